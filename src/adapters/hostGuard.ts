import { execFile } from 'node:child_process';
import { createHash, randomBytes } from 'node:crypto';
import type { DockerEndpoint } from '../model/inventory.js';
import { placeGuardCommand, releaseGuardCommand, renewGuardCommand, type GuardedContainer } from '../containers/guardScript.js';
import type { GuardPlaced, GuardSite, HostGuard } from '../containers/hostGuardPort.js';
import { shellQuote } from '../shared/shellQuote.js';
import { DEFAULT_REMOTE_DOCKER_SOCKET, parseDockerHost, redactAddress } from './docker.js';
import { errorMessage } from './errors.js';
import { connectSsh } from './ssh.js';
import type { ExecResult, SshSession } from './types.js';

/** Where the guard of a host with this `docker` endpoint can run, or why none can (it is then named in the output). */
export function guardSite(endpoint: DockerEndpoint): GuardSite | { why: string } {
  const address = parseDockerHost(endpoint.host);
  switch (address.kind) {
    case 'unix':
      return { via: 'local', dockerHost: `unix://${address.socketPath}` };
    case 'ssh':
      return { via: 'ssh', dockerHost: `unix://${endpoint.socket ?? DEFAULT_REMOTE_DOCKER_SOCKET}`, endpoint };
    case 'tcp':
      return { why: `its engine is reached over ${redactAddress(endpoint.host)}, and a guard needs a shell beside the engine (unix:// or ssh://)` };
  }
}

/** The host's guard key, stable across runs, so a later run finds (and stops) a guard an earlier, killed run left. */
export const guardKey = (hostName: string, site: GuardSite): string =>
  createHash('sha256')
    .update(`${hostName}\0${site.via}\0${site.via === 'ssh' ? site.endpoint.host : ''}\0${site.dockerHost}`)
    .digest('hex')
    .slice(0, 16);

/** Runs shell commands where the guard lives. */
interface GuardShell {
  run(command: string): Promise<ExecResult>;
  close(): Promise<void>;
}

const COMMAND_TIMEOUT_MS = 20_000;

function localShell(): GuardShell {
  return {
    run: (command) =>
      new Promise((resolve) => {
        execFile('sh', ['-c', command], { timeout: COMMAND_TIMEOUT_MS, encoding: 'utf8' }, (error, stdout, stderr) => {
          const code = error === null ? 0 : typeof error.code === 'number' ? error.code : 1;
          resolve({ code, stdout, stderr: error !== null && stderr === '' ? error.message : stderr });
        });
      }),
    close: async () => undefined,
  };
}

async function sshShell(endpoint: GuardSite & { via: 'ssh' }): Promise<GuardShell> {
  const address = parseDockerHost(endpoint.endpoint.host) as { kind: 'ssh'; user: string; host: string; port: number };
  const { identity_file, known_hosts, passphrase, jump } = endpoint.endpoint;
  const session: SshSession = await connectSsh({ host: address.host, port: address.port, user: address.user, identity_file, known_hosts, passphrase, jump });
  return {
    // The login shell may not be a POSIX one.
    run: (command) => session.exec(`sh -c ${shellQuote(command)}`, { timeoutMs: COMMAND_TIMEOUT_MS }),
    close: () => session.close(),
  };
}

/** A placed guard, kept alive by renewals until released. */
interface LiveGuard {
  shell: GuardShell;
  /** The placement's directory on the host. */
  dir: string;
  timer: NodeJS.Timeout;
  renewing: boolean;
  /** Set once a renewal found the guard gone: it acted while this run still worked on the host. */
  lost: boolean;
}

const live = new Map<string, LiveGuard>();

/**
 * Places the guard for `containers` and renews its deadline every quarter of it until `releaseGuard`. The deadline counts on
 * the host's clock, so skew between the machines does not shorten it.
 */
export async function placeGuard(key: string, site: GuardSite, containers: readonly GuardedContainer[], deadlineSeconds: number): Promise<GuardPlaced> {
  await releaseGuard(key, { keepOnHost: true });
  let shell: GuardShell;
  try {
    shell = site.via === 'local' ? localShell() : await sshShell(site);
  } catch (error) {
    return { placed: false, why: `freshen could not open a shell on the host: ${errorMessage(error)}` };
  }
  const result = await shell.run(placeGuardCommand(key, randomBytes(4).toString('hex'), site.dockerHost, containers, deadlineSeconds));
  if (result.code !== 0) {
    await shell.close();
    return { placed: false, why: result.code === 3 ? 'the host has no docker command' : `placing it failed: ${lastLine(result.stderr)}` };
  }
  const dir = result.stdout.trim();
  const guard: LiveGuard = {
    shell,
    dir,
    renewing: false,
    lost: false,
    timer: setInterval(() => void renew(guard, deadlineSeconds), renewEveryMs(deadlineSeconds)),
  };
  guard.timer.unref();
  live.set(key, guard);
  return { placed: true, dir };
}

/** True when a renewal found the host's guard gone while this run still worked there: it acted (or someone removed it). */
export const guardLost = (key: string): boolean => live.get(key)?.lost === true;

const renewEveryMs = (deadlineSeconds: number): number => Math.max(500, (deadlineSeconds * 1000) / 4);

async function renew(guard: LiveGuard, deadlineSeconds: number): Promise<void> {
  if (guard.renewing || guard.lost) return;
  guard.renewing = true;
  try {
    const result = await guard.shell.run(renewGuardCommand(guard.dir, deadlineSeconds));
    if (result.code === 4) guard.lost = true;
  } catch {
    // The next tick tries again; the guard acts only once renewals stayed away for the whole deadline.
  } finally {
    guard.renewing = false;
  }
}

/**
 * Stops renewing and removes the guard from the host (unless `keepOnHost`: the new placement stops it). Never throws: a guard
 * that could not be removed only acts on containers whose replacement does not serve, and a finished host has none.
 */
export async function releaseGuard(key: string, options: { keepOnHost?: boolean } = {}): Promise<void> {
  const guard = live.get(key);
  if (guard === undefined) return;
  live.delete(key);
  clearInterval(guard.timer);
  try {
    if (options.keepOnHost !== true) await guard.shell.run(releaseGuardCommand(guard.dir));
  } catch {
    // See above.
  } finally {
    await guard.shell.close().catch(() => undefined);
  }
}

const lastLine = (text: string): string => text.trim().split('\n').at(-1) ?? '';

/** The host guard port (src/containers/hostGuardPort.ts) over a local shell or the host's SSH connection. */
export const hostGuard: HostGuard = {
  siteFor: guardSite,
  keyFor: guardKey,
  place: placeGuard,
  lost: guardLost,
  release: (key) => releaseGuard(key),
};
