import { stopStep } from '../../src/steps/stop/stop.js';
// Helpers of the rollout integration tests (steps-rollout*.test.ts): step contexts for a lab host, container look-ups, exec.
import type Docker from 'dockerode';
import { createRegistryClient } from '../../src/adapters/registry.js';
import { registrySettings } from '../../src/model/inventory.js';
import { demuxLogs } from '../../src/containers/logs.js';
import type { StepContext } from '../../src/steps/types.js';
import { buildBusyboxImage, labDocker, pushImage, referenceIn, REGISTRY, removeImageReferences } from '../support/lab.js';
import { labHost, makeStepContext, type LabHostName } from '../support/stepContext.js';

/** The command the tests give their app containers: logs lines, creates the file V2's healthcheck wants, stops on TERM. */
export const APP_CMD = [
  '/bin/sh',
  '-c',
  // It also logs the data it finds and records its MODE in the volumes, so tests see that old and new containers share them.
  `trap 'exit 0' TERM; echo "t-rollout app up with MODE=$MODE"; echo "data: $(cat /data/named.txt /anon/anon.txt 2>/dev/null | tr '\\n' ' ')"; echo "$MODE" >> /data/seen.txt; echo "$MODE" >> /anon/seen.txt; touch /tmp/alive; while true; do sleep 1; done`,
];

// Versions of the test app image (busybox FROM scratch lines): V1 plain, V2 with a HEALTHCHECK and new defaults, V3 whose
// healthcheck always fails, V4 whose entrypoint exits at once. Every version declares `VOLUME /anon`.

/** The images' own command: quick to stop (PID 1 ignores SIGTERM without a trap) and healthy under V2's check. */
const IMAGE_CMD = `CMD ["/bin/sh", "-c", "trap 'exit 0' TERM; touch /tmp/alive; while true; do sleep 1; done"]`;
export const V1 = ['VOLUME /anon', 'ENV MODE=v1', 'LABEL org.t-rollout.version=1', IMAGE_CMD];
export const V2 = [
  'VOLUME /anon',
  'ENV MODE=v2',
  'LABEL org.t-rollout.version=2',
  // Healthy from its first probe, and never unhealthy while it runs. Beside two CPU-bound neighbours a probe (a process the
  // engine starts in the container) can take over 2 s, and at --retries=2 two such probes in a row make a healthy container
  // unhealthy: the likely cause of a stress run's failed start, whose reason went unprinted (that case now prints it).
  // The unhealthy case is V3's.
  'HEALTHCHECK --interval=1s --timeout=10s --retries=100 CMD test -f /tmp/alive',
  IMAGE_CMD,
];
export const V3_UNHEALTHY = [
  ...V2.filter((l) => !l.startsWith('HEALTHCHECK') && !l.startsWith('ENV')),
  'ENV MODE=v3',
  'HEALTHCHECK --interval=1s --timeout=2s --retries=1 CMD test -f /nonexistent',
];
export const V4_EXITS = ['VOLUME /anon', 'ENV MODE=v4', `ENTRYPOINT ["/bin/sh", "-c", "echo 'fatal: t-rollout config missing' >&2; exit 3"]`];

/** Builds a version of a test image on build1 and pushes it; `pushed` collects manifest digests for clean-up. */
export async function publish(ref: string, lines: string[], pushed: string[]): Promise<string> {
  const build = labDocker('build1');
  const id = await buildBusyboxImage(build, ref, { lines });
  pushed.push(await pushImage(build, ref));
  return id;
}

/** `docker pull` on an engine (the tests' own setup; the step under test does its own), with credentials when given. */
export async function pullOn(docker: Docker, ref: string, auth?: { username: string; password: string }): Promise<void> {
  const serveraddress = ref.slice(0, ref.indexOf('/'));
  const stream = await docker.pull(ref, auth !== undefined ? { authconfig: { ...auth, serveraddress } } : {});
  await new Promise((resolve, reject) => docker.modem.followProgress(stream, (error: Error | null) => (error ? reject(error) : resolve(undefined))));
}

/** A step context that also closes its connections. */
export type RolloutContext = StepContext & { close(): Promise<void> };

/** A fresh step context for one lab host (no facts, a ConnectionPool of its own), with `vars` over the host's. */
export function rolloutContext(host: LabHostName, { check, vars = {} }: { check: boolean; vars?: Record<string, unknown> }): RolloutContext {
  const { ctx, close } = makeStepContext({ host: labHost(host), vars, check });
  // The guard stop placed goes when the context does, as the runner releases it when a host is finished.
  const finish = async (): Promise<void> => {
    await stopStep.finishHost!(ctx);
    await close();
  };
  return Object.assign(ctx, { close: finish });
}

/** The image ID a reference names on an engine, or undefined. */
export async function imageId(docker: Docker, ref: string): Promise<string | undefined> {
  try {
    return (await docker.getImage(ref).inspect()).Id;
  } catch {
    return undefined;
  }
}

/** Whether a container (by name or ID) runs, and its image ID; undefined when there is no such container. */
export async function containerState(docker: Docker, name: string): Promise<{ running: boolean; image: string } | undefined> {
  try {
    const inspect = await docker.getContainer(name).inspect();
    return { running: inspect.State.Running, image: inspect.Image };
  } catch (error) {
    if ((error as { statusCode?: number }).statusCode === 404) return undefined;
    throw error;
  }
}

/** Runs a command in a running container; resolves with stdout and stderr together, rejects on a non-zero exit. */
export async function execIn(docker: Docker, container: string, cmd: string[]): Promise<string> {
  const exec = await docker.getContainer(container).exec({ Cmd: cmd, AttachStdout: true, AttachStderr: true });
  const stream = await exec.start({ hijack: true, stdin: false });
  const chunks: Buffer[] = [];
  for await (const chunk of stream) chunks.push(chunk as Buffer);
  const output = demuxLogs(Buffer.concat(chunks), false);
  const { ExitCode } = await exec.inspect();
  if (ExitCode !== 0) throw new Error(`${cmd.join(' ')} in ${container} exited ${ExitCode}: ${output}`);
  return output;
}

/** Removes the containers whose name starts with `prefix`, then every volume they used and the named `volumes`. */
export async function cleanUp(docker: Docker, prefix: string, volumes: string[]): Promise<void> {
  const used = new Set(volumes);
  for (const info of await docker.listContainers({ all: true })) {
    if (!info.Names.some((name) => name.replace(/^\//, '').startsWith(prefix))) continue;
    for (const mount of info.Mounts) if (mount.Type === 'volume' && mount.Name) used.add(mount.Name);
    await docker
      .getContainer(info.Id)
      .remove({ force: true, v: true })
      .catch(() => undefined);
  }
  for (const volume of used)
    await docker
      .getVolume(volume)
      .remove({ force: true })
      .catch(() => undefined);
}

/**
 * Removes an engine's images of `repository`: a full name (`127.0.0.1:5055/team/app`), or a path below any registry
 * (`team/app`). By name, not with the engine's reference filter, which matches neither a path below a registry with a port
 * nor an image left with digests only.
 */
export async function removeImages(docker: Docker, repository: string): Promise<void> {
  const inRepository = referenceIn(repository);
  await removeImageReferences(docker, (name) => inRepository(name) || inRepository(name.replace(/^[^/]+\//, '')));
}

/** Deletes manifests pushed by a test from the lab registry (gc sweeps their blobs later). */
export async function deleteManifests(repository: string, digests: Iterable<string>): Promise<void> {
  const registry = createRegistryClient(registrySettings({ registry: REGISTRY })!);
  try {
    for (const digest of new Set(digests)) await registry.deleteManifest(repository, digest).catch(() => undefined);
  } finally {
    registry.close();
  }
}
