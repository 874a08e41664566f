import type Docker from 'dockerode';
import type { ProbeAttempt } from '../containers/health.js';
import { demuxLogs, lastLines } from '../containers/logs.js';
import { errorMessage } from './errors.js';
import type { ContainerConfig, ContainerCreateOptions, ContainerInspect, NetworkConnection } from '../containers/types.js';

// Thin calls to the Docker Engine API used by pull, stop and start. Decisions live in the pure helpers next to this file.

/** A local image, as far as the rollout steps read it. */
export interface LocalImage {
  Id: string;
  RepoDigests: string[];
  Config: ContainerConfig;
  /** Bytes of its layers' content, uncompressed. */
  Size?: number;
  /** Its layers' diff IDs, bottom first. */
  Layers?: string[];
}

export const isNotFound = (error: unknown): boolean => (error as { statusCode?: number } | undefined)?.statusCode === 404;

/** Inspects every container on the engine, running or not (a container removed meanwhile is left out). */
export async function inspectAllContainers(docker: Docker): Promise<ContainerInspect[]> {
  const list = await docker.listContainers({ all: true });
  const inspected = await Promise.all(list.map((entry) => inspectContainer(docker, entry.Id)));
  return inspected.filter((inspect): inspect is ContainerInspect => inspect !== undefined);
}

/**
 * On Podman: each container's pod, by container ID (pod members only), from Podman's own list (`/libpod/containers/json`),
 * since its Docker-compatible inspect does not say.
 */
export async function podmanPods(docker: Docker): Promise<Map<string, string>> {
  const list = await new Promise<unknown>((resolve, reject) =>
    docker.modem.dial({ path: '/libpod/containers/json?', method: 'GET', statusCodes: { 200: true }, options: { all: true } }, (error, data) =>
      error ? reject(error) : resolve(data),
    ),
  );
  const pods = new Map<string, string>();
  for (const entry of Array.isArray(list) ? list : []) {
    const { Id, Pod, PodName } = entry as { Id?: unknown; Pod?: unknown; PodName?: unknown };
    if (typeof Id === 'string' && typeof Pod === 'string' && Pod !== '') pods.set(Id, typeof PodName === 'string' && PodName !== '' ? PodName : Pod);
  }
  return pods;
}

/** Inspects a container by ID or name; undefined when there is none. */
export async function inspectContainer(docker: Docker, idOrName: string): Promise<ContainerInspect | undefined> {
  try {
    return (await docker.getContainer(idOrName).inspect()) as unknown as ContainerInspect;
  } catch (error) {
    if (isNotFound(error)) return undefined;
    throw error;
  }
}

/** Inspects an image by reference or ID; undefined when it is not on the engine. */
export async function localImage(docker: Docker, ref: string): Promise<LocalImage | undefined> {
  try {
    const info = await docker.getImage(ref).inspect();
    return {
      Id: info.Id,
      RepoDigests: info.RepoDigests ?? [],
      Config: (info.Config ?? {}) as ContainerConfig,
      Size: info.Size,
      Layers: info.RootFS?.Layers ?? [],
    };
  } catch (error) {
    if (isNotFound(error)) return undefined;
    throw error;
  }
}

/** Creates a container and connects it to its extra networks; resolves to its ID. */
export async function createContainer(docker: Docker, spec: ContainerCreateOptions, networks: NetworkConnection[]): Promise<string> {
  const container = await docker.createContainer(spec as unknown as Docker.ContainerCreateOptions);
  for (const { network, EndpointConfig } of networks) {
    await docker.getNetwork(network).connect({ Container: container.id, EndpointConfig });
  }
  return container.id;
}

/** Stops a container (a container already stopped is fine: Docker answers 304). */
export async function stopContainer(docker: Docker, id: string, timeoutSeconds: number): Promise<void> {
  try {
    await docker.getContainer(id).stop({ t: timeoutSeconds });
  } catch (error) {
    if ((error as { statusCode?: number }).statusCode !== 304) throw error;
  }
}

/** Starts a container (one already running is fine: Docker answers 304). */
export async function startContainer(docker: Docker, id: string): Promise<void> {
  try {
    await docker.getContainer(id).start();
  } catch (error) {
    if ((error as { statusCode?: number }).statusCode !== 304) throw error;
  }
}

export async function renameContainer(docker: Docker, id: string, name: string): Promise<void> {
  await docker.getContainer(id).rename({ name });
}

/** Removes a container but never its volumes: anonymous volumes are shared with the container that replaces it. */
export async function removeContainer(docker: Docker, id: string): Promise<void> {
  await docker.getContainer(id).remove({ force: true, v: false });
}

/** The last `count` lines a container wrote, stdout and stderr together; empty when they cannot be read. */
export async function tailLogs(docker: Docker, id: string, tty: boolean, count = 20): Promise<string[]> {
  try {
    const body = (await docker.getContainer(id).logs({ stdout: true, stderr: true, tail: count, follow: false })) as unknown as Buffer;
    return lastLines(demuxLogs(body, tty), count);
  } catch {
    return [];
  }
}

/**
 * Runs `cmd` in a running container (`docker exec`, no TTY, no stdin) and waits at most `timeoutMs` for it to finish. A command
 * that outlives the deadline is abandoned (the Engine API cannot kill an exec); it dies with its container if that is rolled back.
 */
export async function execProbe(docker: Docker, id: string, cmd: string[], timeoutMs: number): Promise<ProbeAttempt> {
  let timer: NodeJS.Timeout | undefined;
  let stream: NodeJS.ReadableStream | undefined;
  const run = async (): Promise<ProbeAttempt> => {
    const exec = await docker.getContainer(id).exec({ Cmd: cmd, AttachStdout: true, AttachStderr: true, Tty: false });
    stream = await exec.start({ hijack: true, stdin: false });
    const chunks: Buffer[] = [];
    for await (const chunk of stream) chunks.push(Buffer.isBuffer(chunk) ? chunk : Buffer.from(chunk as string));
    const { ExitCode } = await exec.inspect();
    return { exitCode: ExitCode ?? undefined, output: demuxLogs(Buffer.concat(chunks), false) };
  };
  const deadline = new Promise<ProbeAttempt>((resolve) => {
    timer = setTimeout(() => resolve({ output: '', error: `it did not finish within ${timeoutMs}ms` }), timeoutMs);
  });
  try {
    return await Promise.race([run().catch((error: unknown) => ({ output: '', error: `it could not run: ${errorMessage(error)}` })), deadline]);
  } finally {
    clearTimeout(timer);
    (stream as { destroy?: () => void } | undefined)?.destroy?.();
  }
}
