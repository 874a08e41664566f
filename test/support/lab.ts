// The lab (scripts/lab.sh) as integration tests see it: where things are, clients for them, and small image helpers.
import { execFile } from 'node:child_process';
import { existsSync, mkdirSync, readFileSync, symlinkSync } from 'node:fs';
import { copyFile, mkdir, mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import Docker from 'dockerode';
import { createRegistryClient } from '../../src/adapters/registry.js';
import { LayerLister, type LayerEntry } from '../../src/rebase/layerEntries.js';

/** The repository checkout these tests run from. */
export const REPO_ROOT = resolve(dirname(fileURLToPath(import.meta.url)), '../..');
/** scripts/lab.sh, which brings the lab up (`up`), and more. */
export const LAB_SCRIPT = join(REPO_ROOT, 'scripts/lab.sh');
/** Everything the lab keeps: data roots, sockets, registry storage, SSH keys. */
export const LAB_DIR = process.env.FRESHEN_LAB_DIR ?? '/tmp/freshen-lab';
/** The lab registry's name, the prefix of every image reference in it. */
export const REGISTRY = '127.0.0.1:5055';
export const REGISTRY_URL = `http://${REGISTRY}`;
/** The inventory `lab.sh up` writes for this checkout. */
export const LAB_INVENTORY = join(REPO_ROOT, 'inventories/lab.yml');
/** The upstream OS image that `lab.sh publish-upstream` replaces (a security update upstream). */
export const UPSTREAM_IMAGE = `${REGISTRY}/upstream/os:stable`;

/** The lab's hosts, each with its own dockerd. */
export const LAB_HOSTS = ['build1', 'web1', 'web2', 'web3'] as const;
export type LabHost = (typeof LAB_HOSTS)[number];

/** How to reach the lab's sshd (root, key only, host key pinned in `knownHosts`). */
export const SSH = {
  host: '127.0.0.1',
  port: 2222,
  user: 'root',
  identityFile: join(LAB_DIR, 'ssh/id_ed25519'),
  knownHosts: join(LAB_DIR, 'ssh/known_hosts'),
} as const;

/** A container `lab.sh up` keeps on web1, web2 and web3 (from lab/containers.json). */
export interface LabContainer {
  name: string;
  image: string;
  network: string;
  /** `docker run --restart` syntax, e.g. `on-failure:3`. */
  restart: string;
  env?: Record<string, string>;
  /** `docker run -v` syntax; `{shared}` stands for `$LAB_DIR/shared/<host>` (see `labContainers`). */
  volumes?: string[];
  labels?: Record<string, string>;
  command?: string[];
}

const containerFile = JSON.parse(readFileSync(join(REPO_ROOT, 'lab/containers.json'), 'utf8')) as {
  hosts: LabHost[];
  containers: LabContainer[];
};

/** The hosts that run the lab containers. */
export const LAB_CONTAINER_HOSTS: readonly LabHost[] = containerFile.hosts;
/** The lab containers as defined, with `{shared}` placeholders in `volumes`. */
export const LAB_CONTAINERS: readonly LabContainer[] = containerFile.containers;

/** The lab containers as created on one host (placeholders resolved). */
export function labContainers(host: LabHost): LabContainer[] {
  const shared = join(LAB_DIR, 'shared', host);
  return LAB_CONTAINERS.map((def) => ({
    ...def,
    volumes: def.volumes?.map((volume) => volume.replaceAll('{shared}', shared)),
  }));
}

/**
 * Subnets for the networks test files create on lab engines. Every lab dockerd runs in the machine's one network namespace,
 * where each picks a default subnet by looking at the bridges there: two creating a network at the same moment can pick the
 * same one. With a default subnet, start-first.test.ts's client went on getting answers from the replaced version, long after
 * its container was gone, whenever files ran side by side.
 */
export const TEST_SUBNETS = { startFirst: '10.231.1.0/24', recreate: '10.231.2.0/24' } as const;

/** Podman's Docker-compatible API (scripts/lab/podman.sh): an engine for the Podman tests, not an inventory host. */
export const PODMAN_SOCKET = join(LAB_DIR, 'podman/podman.sock');

/** The lab's current Docker Engine (docker.io from Debian unstable, in a chroot; refuses API < 1.44 as Engine 29 does). */
export const CURRENT_ENGINE_SOCKET = join(LAB_DIR, 'current/root/run/lab/docker.sock');
/**
 * The lab's three-node swarm (scripts/lab/swarm.sh): swarm1 is the manager, swarm2 and swarm3 workers, each dockerd in a
 * network namespace of its own. Not inventory hosts, like the current engine.
 */
export const SWARM_NODES = ['swarm1', 'swarm2', 'swarm3'] as const;
export type SwarmNodeName = (typeof SWARM_NODES)[number];
export const swarmSocket = (node: SwarmNodeName): string => join(LAB_DIR, 'docker', node, 'docker.sock');
export const SWARM_SOCKET = swarmSocket('swarm1');
/** A Docker client for a swarm node's engine. */
export const swarmDocker = (node: SwarmNodeName): Docker => new Docker({ socketPath: swarmSocket(node) });
/**
 * Loopback ports the swarm nodes reach too (scripts/lab/loopback-relay.mjs carries them into the nodes' namespaces), for
 * a registry of a test's own that services pull from. One per test file.
 */
export const SWARM_REGISTRY_PORTS = { policy: 5081, failures: 5082 } as const;

/** The unix socket of a lab host's dockerd. */
export const labSocket = (host: LabHost): string => join(LAB_DIR, 'docker', host, 'docker.sock');

/**
 * web1's socket as the tests' ssh:// inventories name it: a link to it of this test process's own. Its guard runs over SSH,
 * where every file shares the sshd's guard directory, and the guard key includes the socket path: one path per file keeps a
 * run in one file from stopping the guard of another file's live run on web1 (src/containers/guardScript.ts).
 */
export function web1SshSocket(): string {
  const link = join(LAB_DIR, 'socket-links', String(process.pid), 'web1.sock');
  mkdirSync(dirname(link), { recursive: true });
  try {
    symlinkSync(labSocket('web1'), link);
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code !== 'EEXIST') throw error;
  }
  return link;
}

/** A Docker client for a lab host's engine, over its local socket. */
export const labDocker = (host: LabHost): Docker => new Docker({ socketPath: labSocket(host) });

/** Runs `scripts/lab.sh ARGS…`; resolves with its exit code and output (never rejects on a non-zero exit). */
export function runLabScript(args: string[], env: NodeJS.ProcessEnv = {}): Promise<{ code: number; stdout: string; stderr: string }> {
  return new Promise((resolvePromise) => {
    execFile('bash', [LAB_SCRIPT, ...args], { env: { ...process.env, ...env }, maxBuffer: 16 * 1024 * 1024 }, (error, stdout, stderr) => {
      const code = error === null ? 0 : typeof error.code === 'number' ? error.code : 1;
      resolvePromise({ code, stdout, stderr });
    });
  });
}

interface ProgressEvent {
  error?: string;
  errorDetail?: { message?: string };
  aux?: { Digest?: string; ID?: string };
}

/** Waits for a build/push/pull progress stream and throws the daemon's error, which arrives as an event. */
async function followProgress(docker: Docker, stream: NodeJS.ReadableStream, what: string): Promise<ProgressEvent[]> {
  const events = await new Promise<ProgressEvent[]>((resolvePromise, reject) => {
    docker.modem.followProgress(stream, (error: Error | null, output: ProgressEvent[]) => (error ? reject(error) : resolvePromise(output)));
  });
  const failure = events.find((event) => event.error !== undefined || event.errorDetail !== undefined);
  if (failure) throw new Error(`${what}: ${failure.errorDetail?.message ?? failure.error}`);
  return events;
}

const BUSYBOX = ['/bin/busybox', '/usr/bin/busybox'].find((path) => existsSync(path)) ?? '/bin/busybox';

/** The tag of the busybox base every test image is built on, per engine; no test or step manages this repository. */
export const BUSYBOX_BASE = 'freshen-lab/busybox:base';
const basesReady = new Map<string, Promise<void>>();

/** Builds `context`'s Dockerfile as `tag` with the build cache. */
export async function buildContext(docker: Docker, context: string, tag: string, src: string[]): Promise<void> {
  const stream = await docker.buildImage({ context, src }, { t: tag, networkmode: 'none', rm: true, forcerm: true });
  await followProgress(docker, stream, `building ${tag}`);
}

/**
 * Builds BUSYBOX_BASE (`FROM scratch` + static busybox + /tmp) on `docker`, once per engine and process; from the build cache
 * after the first time, so the tag stays on the same image while the machine's busybox does not change. The classic builder
 * stands a cached step on the image of the step before it, and removing an image also removes its untagged parents. When
 * every test image shared untagged busybox steps, one file's prune (or freshen's) removed them under another file's build,
 * which failed "unable to find image" (three times in a row once in CI). A tagged base is never such a parent.
 */
function ensureBusyboxBase(docker: Docker): Promise<void> {
  const modem = docker.modem as unknown as { socketPath?: string; host?: string; port?: number };
  const engine = modem.socketPath ?? `${modem.host}:${modem.port}`;
  let ready = basesReady.get(engine);
  if (ready === undefined) {
    ready = (async () => {
      const context = await mkdtemp(join(tmpdir(), 'freshen-lab-base-'));
      try {
        await copyFile(BUSYBOX, join(context, 'busybox'));
        const dockerfile = [
          'FROM scratch',
          'COPY busybox /bin/busybox',
          'RUN ["/bin/busybox", "sh", "-c", "/bin/busybox --install -s /bin && mkdir -p -m 1777 /tmp"]',
        ];
        await writeFile(join(context, 'Dockerfile'), `${dockerfile.join('\n')}\n`);
        await buildContext(docker, context, BUSYBOX_BASE, ['Dockerfile', 'busybox']);
      } finally {
        await rm(context, { recursive: true, force: true });
      }
    })();
    basesReady.set(engine, ready);
    ready.catch(() => basesReady.delete(engine));
  }
  return ready;
}

/**
 * Builds BUSYBOX_BASE + `lines` on `docker`, tags it `tag`, and returns the image ID. `files` (path → content) are written
 * into the build context for `COPY` lines. Cached steps make a repeated build take well under a second.
 */
export async function buildBusyboxImage(
  docker: Docker,
  tag: string,
  { lines = [], files = {} }: { lines?: string[]; files?: Record<string, string> } = {},
): Promise<string> {
  await ensureBusyboxBase(docker);
  const context = await mkdtemp(join(tmpdir(), 'freshen-lab-build-'));
  try {
    for (const [path, content] of Object.entries(files)) {
      await mkdir(dirname(join(context, path)), { recursive: true });
      await writeFile(join(context, path), content);
    }
    await writeFile(join(context, 'Dockerfile'), `${[`FROM ${BUSYBOX_BASE}`, ...lines].join('\n')}\n`);
    // Two files building the same lines still share their cached steps, which one of them may be removing right now:
    // another build recreates them.
    for (let attempt = 1; ; attempt++) {
      try {
        await buildContext(docker, context, tag, ['Dockerfile', ...Object.keys(files)]);
        break;
      } catch (error) {
        if (attempt === 3 || !String(error).includes('unable to find image')) throw error;
      }
    }
    return (await docker.getImage(tag).inspect()).Id;
  } finally {
    await rm(context, { recursive: true, force: true });
  }
}

/** Pushes `ref` (which must name the lab registry) from `docker`; returns the manifest digest the registry reported. */
export async function pushImage(docker: Docker, ref: string, auth: { username: string; password: string } | Record<string, never> = {}): Promise<string> {
  // The engine rejects a push without X-Registry-Auth, even for a registry without auth.
  const stream = await docker.getImage(ref).push({ authconfig: auth });
  const events = await followProgress(docker, stream, `pushing ${ref}`);
  const digest = events.find((event) => event.aux?.Digest !== undefined)?.aux?.Digest;
  if (digest === undefined) throw new Error(`pushing ${ref}: the daemon reported no digest`);
  return digest;
}

/** Force-removes (with anonymous volumes) every container whose name starts with `namePrefix`; returns their names. */
export async function removeContainers(docker: Docker, namePrefix: string): Promise<string[]> {
  const containers = await docker.listContainers({ all: true });
  const names: string[] = [];
  for (const info of containers) {
    const name = info.Names.map((candidate) => candidate.replace(/^\//, '')).find((n) => n.startsWith(namePrefix));
    if (name === undefined) continue;
    try {
      await docker.getContainer(info.Id).remove({ force: true, v: true });
    } catch (error) {
      // Already gone, or already being removed by someone else: either way it is going.
      const status = (error as { statusCode?: number }).statusCode;
      if (status !== 404 && status !== 409) throw error;
    }
    names.push(name);
  }
  return names;
}

const withTimeout = async <T>(promise: Promise<T>, ms: number, what: string): Promise<T> => {
  let timer: NodeJS.Timeout | undefined;
  try {
    return await Promise.race([
      promise,
      new Promise<never>((_, reject) => {
        timer = setTimeout(() => reject(new Error(`${what} timed out after ${ms}ms`)), ms);
      }),
    ]);
  } finally {
    clearTimeout(timer);
  }
};

const describe = (error: unknown): string => (error instanceof Error ? error.message : String(error));

/** `ssh … root@127.0.0.1 true` with the lab key and strict host-key checking; resolves with ssh's stderr on failure. */
export function sshTrue(knownHosts: string = SSH.knownHosts): Promise<string | undefined> {
  return new Promise((resolvePromise) => {
    execFile(
      'ssh',
      [
        '-F',
        '/dev/null',
        '-i',
        SSH.identityFile,
        '-o',
        'IdentitiesOnly=yes',
        '-o',
        'BatchMode=yes',
        '-o',
        'ConnectTimeout=5',
        '-o',
        `UserKnownHostsFile=${knownHosts}`,
        '-o',
        'GlobalKnownHostsFile=/dev/null',
        '-o',
        'StrictHostKeyChecking=yes',
        '-p',
        String(SSH.port),
        `${SSH.user}@${SSH.host}`,
        'true',
      ],
      { timeout: 15_000 },
      (error, _stdout, stderr) => resolvePromise(error === null ? undefined : stderr.trim() || describe(error)),
    );
  });
}

/** Each lab service and why it does not answer (empty when all answer). */
export async function labProblems(): Promise<string[]> {
  const checks: Array<Promise<string | undefined>> = [
    ...LAB_HOSTS.map(async (host) => {
      try {
        await withTimeout(labDocker(host).ping(), 5_000, 'ping');
        return undefined;
      } catch (error) {
        return `dockerd ${host} (unix://${labSocket(host)}): ${describe(error)}`;
      }
    }),
    (async () => {
      try {
        const response = await fetch(`${REGISTRY_URL}/v2/`, { signal: AbortSignal.timeout(5_000) });
        return response.status === 200 ? undefined : `registry (${REGISTRY_URL}/v2/): HTTP ${response.status}`;
      } catch (error) {
        return `registry (${REGISTRY_URL}/v2/): ${describe(error)}`;
      }
    })(),
    sshTrue().then((failure) => (failure === undefined ? undefined : `sshd (${SSH.host}:${SSH.port}): ${failure}`)),
    Promise.resolve(existsSync(LAB_INVENTORY) ? undefined : `inventory: ${LAB_INVENTORY} is missing`),
  ];
  return (await Promise.all(checks)).filter((problem): problem is string => problem !== undefined);
}

/** Throws, naming every lab service that does not answer, unless the whole lab is up. */
export async function assertLabUp(): Promise<void> {
  const problems = await labProblems();
  if (problems.length > 0) {
    throw new Error(`The freshen lab is not up (run: bash scripts/lab.sh up, as root):\n${problems.map((p) => `  - ${p}`).join('\n')}`);
  }
}

/** Deletes every manifest tagged in the lab registry's `repositories`, so no leftover `prod` makes them managed for later runs. */
export async function untagRepositories(repositories: Iterable<string>): Promise<void> {
  const registry = createRegistryClient({ name: REGISTRY, url: REGISTRY_URL });
  try {
    for (const repository of repositories) {
      const digests = new Set<string>();
      for (const tag of await registry.tags(repository).catch(() => [])) {
        const digest = await registry.manifestDigest(repository, tag);
        if (digest) digests.add(digest);
      }
      for (const digest of digests) await registry.deleteManifest(repository, digest).catch(() => undefined);
    }
  } finally {
    registry.close();
  }
}

/** Whether a reference (`REPO:TAG` or `REPO@DIGEST`) names one of `repositories` (full names, registry included). */
export const referenceIn =
  (...repositories: string[]) =>
  (reference: string): boolean => {
    const at = reference.indexOf('@');
    const colon = reference.lastIndexOf(':');
    const repository = at >= 0 ? reference.slice(0, at) : colon > reference.lastIndexOf('/') ? reference.slice(0, colon) : reference;
    return repositories.includes(repository);
  };

/**
 * Removes from an engine every image reference (tag or digest) that `matches`, by name and never by image ID: integration files
 * run side by side, and an image of the same content (two busybox builds of the same lines are one image) may carry another
 * file's tags at that moment, which removing the ID would take too. An image goes with its last reference. Dependents'
 * references are removed before their bases' when `matches` names both, in the engine's listing order per round: a base
 * with children cannot go, so a second round takes what the first could not. `noprune` keeps the untagged parents: they
 * are the build cache's steps another file's build may be standing on right now (see buildBusyboxImage).
 */
export async function removeImageReferences(docker: Docker, matches: (reference: string) => boolean): Promise<void> {
  for (let round = 0; round < 2; round++) {
    for (const image of await docker.listImages()) {
      for (const name of [...(image.RepoTags ?? []), ...(image.RepoDigests ?? [])].filter(matches))
        await docker
          .getImage(name)
          .remove({ force: true, noprune: true })
          .catch(() => undefined);
    }
  }
}

/** Removes every local image reference of the lab registry's `repositories` from an engine (see removeImageReferences). */
export const removeRepositoryImages = (docker: Docker, repositories: Iterable<string>): Promise<void> =>
  removeImageReferences(docker, referenceIn(...[...repositories].map((repository) => `${REGISTRY}/${repository}`)));

/** The file tree of a container of `ref` (docker export), path → what it holds, as the layer lister reads a tar. */
export async function exportedTree(engine: Docker, ref: string): Promise<Map<string, LayerEntry>> {
  const container = await engine.createContainer({ Image: ref, Cmd: ['true'], HostConfig: { NetworkMode: 'none' } });
  try {
    const lister = new LayerLister();
    for await (const chunk of (await container.export()) as AsyncIterable<Buffer>) lister.push(chunk);
    return new Map(lister.end().map((e) => [e.path, e]));
  } finally {
    await container.remove({ force: true });
  }
}
