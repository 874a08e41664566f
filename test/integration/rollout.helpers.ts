// Helpers of the rollout-*.test.ts files: the built CLI as a child process, an inventory of the lab's container hosts written
// into a temp dir, playbooks, and the test app container. Each test file passes its own rollout tag and name prefix, so the lab's
// `prod` containers (and other test files') are never managed by these runs.
import { execFile, spawn, type ChildProcess } from 'node:child_process';
import { mkdtemp, readFile, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type Docker from 'dockerode';
import type { RunReport } from '../../src/runner/report.js';
import { LAB_DIR, labSocket, REGISTRY, REPO_ROOT, SSH, web1SshSocket } from '../support/lab.js';

export const FRESHEN = join(REPO_ROOT, 'bin/freshen.js');

/**
 * The test app's images: busybox FROM scratch lines. Every version has a HEALTHCHECK that passes at its first probe, 2 s after
 * start. Not every second: each probe is a process the engine starts in the container (a tenth of a CPU second or more here),
 * for as long as the container runs, and a file's containers run beside other files'.
 */
const IMAGE_CMD = `CMD ["/bin/sh", "-c", "trap 'exit 0' TERM; sleep $READY_AFTER; touch /tmp/alive; while true; do sleep 1; done"]`;
export const healthyVersion = (version: number, readyAfterSeconds = 0): string[] => [
  'VOLUME /anon',
  `ENV MODE=v${version} READY_AFTER=${readyAfterSeconds}`,
  `LABEL org.t-staged.version=${version}`,
  'HEALTHCHECK --interval=2s --timeout=2s --retries=100 CMD test -f /tmp/alive',
  IMAGE_CMD,
];
/**
 * A version that stays `starting` for the length of any test (its healthcheck never passes, and only 10 000 failures would make
 * it unhealthy) and stops at once on SIGTERM: a replacement that holds its host in the health wait until the test is done.
 */
export const startingVersion = (version: number): string[] => [
  'VOLUME /anon',
  `ENV MODE=v${version} READY_AFTER=never`,
  `LABEL org.t-staged.version=${version}`,
  'HEALTHCHECK --interval=10s --timeout=2s --retries=10000 CMD test -f /tmp/alive',
  `CMD ["/bin/sh", "-c", "trap 'exit 0' TERM; while true; do sleep 0.2; done"]`,
];
/** A version whose healthcheck never passes: reported unhealthy after two probes. */
export const unhealthyVersion = (version: number): string[] => [
  'VOLUME /anon',
  `ENV MODE=v${version} READY_AFTER=0`,
  `LABEL org.t-staged.version=${version}`,
  'HEALTHCHECK --interval=1s --timeout=2s --retries=2 CMD test -f /nonexistent',
  IMAGE_CMD,
];

export type ContainerHost = 'web1' | 'web2' | 'web3';

/** The lab's endpoints for build1 and the container hosts, web1 through the lab sshd (ssh://) as in inventories/lab.yml. */
function hostYaml(host: ContainerHost | 'build1'): string {
  if (host === 'web1') {
    return [
      `        web1:`,
      `          docker:`,
      `            host: "ssh://${SSH.user}@${SSH.host}:${SSH.port}"`,
      `            socket: ${web1SshSocket()}`,
      `            identity_file: ${SSH.identityFile}`,
      `            known_hosts: ${SSH.knownHosts}`,
    ].join('\n');
  }
  return [`        ${host}:`, `          docker:`, `            host: "unix://${labSocket(host)}"`].join('\n');
}

/** Writes an inventory of one host (`name`, its engine at `dockerHost`) with the lab registry and `rollout_tag: tag`; returns its path. */
export function writeOneHostInventory(dir: string, tag: string, name: string, dockerHost: string): Promise<string> {
  const lines = [
    'all:',
    '  vars:',
    `    registry: "${REGISTRY}"`,
    `    rollout_tag: ${tag}`,
    '  hosts:',
    `    ${name}: { docker: { host: "${dockerHost}" } }`,
    '',
  ];
  return writePlaybook(dir, 'inventory.yml', lines.join('\n'));
}

/** Writes an inventory (canary: web1; web: web2, web3; builders: build1; plus `extraHosts` lines under web) with `rollout_tag: tag`. */
export async function writeInventory(dir: string, tag: string, extraWebHosts: string[] = []): Promise<string> {
  const text = [
    'all:',
    '  vars:',
    `    registry: "${REGISTRY}"`,
    `    rollout_tag: ${tag}`,
    '  children:',
    '    builders:',
    '      hosts:',
    hostYaml('build1'),
    '    canary:',
    '      hosts:',
    hostYaml('web1'),
    '    web:',
    '      hosts:',
    hostYaml('web2'),
    hostYaml('web3'),
    ...extraWebHosts,
    '',
  ].join('\n');
  const path = join(dir, 'inventory.yml');
  await writeFile(path, text);
  return path;
}

export async function writePlaybook(dir: string, name: string, text: string): Promise<string> {
  const path = join(dir, name);
  await writeFile(path, text);
  return path;
}

/** A temp dir for one test file's inventory, playbooks, reports and lock directory. */
export const tempDir = (prefix: string): Promise<string> => mkdtemp(join(tmpdir(), prefix));

export interface CliResult {
  code: number;
  stdout: string;
  stderr: string;
}

/** Runs the built CLI to the end; `lockDir` keeps these runs' host locks apart from other test files' runs; `env` is added. */
export function freshen(args: string[], lockDir: string, env: NodeJS.ProcessEnv = {}): Promise<CliResult> {
  return new Promise((resolve) => {
    execFile(
      'node',
      [FRESHEN, ...args],
      { cwd: REPO_ROOT, env: { ...process.env, FRESHEN_LOCK_DIR: lockDir, ...env }, maxBuffer: 16 << 20 },
      (error, stdout, stderr) => {
        resolve({ code: error === null ? 0 : typeof error.code === 'number' ? error.code : 1, stdout, stderr });
      },
    );
  });
}

/** A CLI run in the background, for signals: its output so far, and its end. */
export interface RunningCli {
  child: ChildProcess;
  output(): string;
  done: Promise<CliResult & { signal: NodeJS.Signals | null }>;
}

export function startFreshen(args: string[], lockDir: string): RunningCli {
  const child = spawn('node', [FRESHEN, ...args], { cwd: REPO_ROOT, env: { ...process.env, FRESHEN_LOCK_DIR: lockDir }, stdio: ['ignore', 'pipe', 'pipe'] });
  let stdout = '';
  let stderr = '';
  child.stdout!.on('data', (chunk: Buffer) => (stdout += chunk.toString('utf8')));
  child.stderr!.on('data', (chunk: Buffer) => (stderr += chunk.toString('utf8')));
  const done = new Promise<CliResult & { signal: NodeJS.Signals | null }>((resolve) =>
    child.on('close', (code, signal) => resolve({ code: code ?? -1, signal, stdout, stderr })),
  );
  return { child, output: () => stdout + stderr, done };
}

export const readReport = async (path: string): Promise<RunReport> => JSON.parse(await readFile(path, 'utf8')) as RunReport;

/** Polls `probe` every `everyMs` until it returns a value other than undefined; throws after `timeoutMs`. */
export async function waitFor<T>(what: string, probe: () => Promise<T | undefined>, timeoutMs = 30_000, everyMs = 100): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const value = await probe();
    if (value !== undefined) return value;
    if (Date.now() > deadline) throw new Error(`timed out after ${timeoutMs}ms waiting for ${what}`);
    await new Promise((resolve) => setTimeout(resolve, everyMs));
  }
}

/** The containers on an engine whose name starts with `prefix`: name → image ID and whether it runs. */
export async function containersNamed(docker: Docker, prefix: string): Promise<Map<string, { id: string; image: string; running: boolean }>> {
  const found = new Map<string, { id: string; image: string; running: boolean }>();
  for (const info of await docker.listContainers({ all: true })) {
    const name = info.Names.map((n) => n.replace(/^\//, '')).find((n) => n.startsWith(prefix));
    if (name !== undefined) found.set(name, { id: info.Id, image: info.ImageID, running: info.State === 'running' });
  }
  return found;
}

/** What a user set on the app container, which every replacement must keep. */
export async function userSettings(docker: Docker, name: string) {
  const c = await docker.getContainer(name).inspect();
  return {
    env: c.Config.Env.filter((e) => e.startsWith('T_STAGED_')),
    labels: Object.fromEntries(Object.entries(c.Config.Labels ?? {}).filter(([k]) => k.startsWith('t-staged'))),
    restart: c.HostConfig.RestartPolicy,
    network: c.HostConfig.NetworkMode,
    mounts: c.Mounts.filter((m) => m.Type === 'volume' && m.Destination === '/data').map((m) => `${m.Name}:${m.Destination}`),
  };
}

/** Creates and starts the test app container: named volume at /data (with a marker file), env, a label, no network. */
export async function createApp(docker: Docker, name: string, ref: string, volume: string, marker: string): Promise<void> {
  const container = await docker.createContainer({
    name,
    Image: ref,
    Env: [`T_STAGED_SETTING=${name}`],
    Labels: { 't-staged.owner': 'rollout-tests' },
    HostConfig: { NetworkMode: 'none', RestartPolicy: { Name: 'unless-stopped', MaximumRetryCount: 0 }, Binds: [`${volume}:/data`] },
  });
  await container.start();
  const exec = await container.exec({ Cmd: ['/bin/sh', '-c', `echo ${marker} > /data/marker`], AttachStdout: true, AttachStderr: true });
  const stream = await exec.start({ hijack: true, stdin: false });
  await new Promise((resolve) => {
    stream.on('end', resolve);
    stream.resume();
  });
}

/** Reads /data/marker in a running container. */
export async function readMarker(docker: Docker, name: string): Promise<string> {
  const exec = await docker.getContainer(name).exec({ Cmd: ['cat', '/data/marker'], AttachStdout: true, AttachStderr: true });
  const stream = await exec.start({ hijack: true, stdin: false });
  const chunks: Buffer[] = [];
  for await (const chunk of stream) chunks.push(chunk as Buffer);
  // Multiplexed stream: skip the 8-byte frame headers.
  const raw = Buffer.concat(chunks);
  let text = '';
  for (let i = 0; i + 8 <= raw.length;) {
    const size = raw.readUInt32BE(i + 4);
    text += raw.subarray(i + 8, i + 8 + size).toString('utf8');
    i += 8 + size;
  }
  return text.trim();
}

export { LAB_DIR };
