import { readFile } from 'node:fs/promises';
import { userInfo } from 'node:os';
import type Docker from 'dockerode';
import type { DockerEndpoint } from '../model/inventory.js';
import { isPodmanVersion, negotiateApiVersion, type EngineVersionInfo } from './engineApi.js';
import { markPodmanEngine } from './engineKind.js';
import { DEFAULT_TIMEOUTS } from '../model/inventory.js';
import { formatDuration } from '../model/duration.js';
import { InterruptedError, UnreachableError, errorMessage, isConnectionError } from './errors.js';
import { connectSsh, type Ssh2Session, type SshConnectOptions } from './ssh.js';
import { expandHome } from './sshOptions.js';
import { UnixSocketOverSshAgent } from './sshSocketAgent.js';

export const DEFAULT_REMOTE_DOCKER_SOCKET = '/var/run/docker.sock';

/** A `docker.host` value, understood. */
export type DockerAddress =
  { kind: 'unix'; socketPath: string } | { kind: 'tcp'; host: string; port: number } | { kind: 'ssh'; user: string; host: string; port: number };

/** Parses `unix:///path`, `tcp://host[:port]` or `ssh://[user@]host[:port]`; throws on anything else. */
export function parseDockerHost(address: string, defaults: { tls?: boolean; user?: string } = {}): DockerAddress {
  if (address.startsWith('unix://')) {
    const socketPath = address.slice('unix://'.length);
    if (!socketPath.startsWith('/')) throw new Error(`docker host ${address} needs an absolute socket path (unix:///path/docker.sock)`);
    return { kind: 'unix', socketPath };
  }
  let url: URL;
  try {
    url = new URL(address);
  } catch {
    throw new Error(`docker host ${redactAddress(address)} is not unix:///path, tcp://host:port or ssh://user@host`);
  }
  const host = url.hostname.replace(/^\[(.*)\]$/, '$1');
  if (url.protocol === 'tcp:') return { kind: 'tcp', host, port: url.port === '' ? (defaults.tls ? 2376 : 2375) : Number(url.port) };
  if (url.protocol === 'ssh:') {
    const user = url.username === '' ? (defaults.user ?? userInfo().username) : decodeURIComponent(url.username);
    return { kind: 'ssh', user, host, port: url.port === '' ? 22 : Number(url.port) };
  }
  throw new Error(`docker host ${redactAddress(address)} has an unsupported scheme ${url.protocol} (use unix://, tcp:// or ssh://)`);
}

/** The address without a password, for messages. */
export const redactAddress = (address: string): string => address.replace(/^([a-z]+:\/\/[^:/@]*):[^@/]*@/i, '$1@');

const hasTls = (endpoint: DockerEndpoint): boolean =>
  endpoint.tls !== undefined && endpoint.tls !== false && [endpoint.tls.ca, endpoint.tls.cert, endpoint.tls.key].some((file) => file !== undefined);

/** `timeouts.engine` for the first ping and version request, `timeouts.ssh` for an `ssh://` engine's SSH, and the run's interrupt. */
export interface EngineConnectOptions {
  pingTimeoutMs?: number;
  sshTimeoutMs?: number;
  signal?: AbortSignal;
}

/** What dockerode keeps per client so that `closeDocker` can release it. */
const closers = new WeakMap<Docker, () => Promise<void>>();

/** The Engine API version each connected client negotiated, e.g. `1.41`. */
const negotiated = new WeakMap<Docker, string>();

/** The Engine API version `docker` speaks with its engine (negotiated by `connectDocker`). */
export const engineApiVersion = (docker: Docker): string | undefined => negotiated.get(docker);

/** What `freshen ping` says of a connected engine: the API version negotiated, the engine's own version, its Swarm role. */
export async function engineSummary(docker: Docker): Promise<{ api?: string; version?: string; swarm: string }> {
  const info = (await docker.info()) as { ServerVersion?: string; Swarm?: { LocalNodeState?: string; ControlAvailable?: boolean } };
  const state = info.Swarm?.LocalNodeState ?? 'inactive';
  const swarm = state === 'active' ? (info.Swarm?.ControlAvailable ? 'swarm manager' : 'swarm worker') : state === 'inactive' ? 'no swarm' : `swarm ${state}`;
  const api = engineApiVersion(docker);
  return { ...(api !== undefined ? { api } : {}), ...(info.ServerVersion !== undefined ? { version: info.ServerVersion } : {}), swarm };
}

/**
 * Connects to a host's Docker Engine, checks it answers a ping and negotiates the Engine API version (`engineApi.ts`). `ssh://` reaches the engine's unix socket (`endpoint.socket`,
 * default /var/run/docker.sock) through SSH channels, with the same strict host key checking as `connectSsh`.
 * Anything that prevents talking to the engine throws `UnreachableError`. Release the client with `closeDocker`.
 */
export async function connectDocker(endpoint: DockerEndpoint, options: EngineConnectOptions = {}): Promise<Docker> {
  const address = parseDockerHost(endpoint.host, { tls: hasTls(endpoint) });
  const { docker, close } = await dockerClient(address, endpoint, options);
  const timeoutMs = options.pingTimeoutMs ?? DEFAULT_TIMEOUTS.engine;
  // The time-out, or the run's interrupt: a first Ctrl-C stops a connect that hangs at once, not after the time-out.
  const deadline = (): AbortSignal => (options.signal ? AbortSignal.any([AbortSignal.timeout(timeoutMs), options.signal]) : AbortSignal.timeout(timeoutMs));
  try {
    // dockerode accepts an abort signal here, though its types do not say so.
    const ping = docker.ping.bind(docker) as unknown as (opts: { abortSignal: AbortSignal }) => Promise<unknown>;
    await ping({ abortSignal: deadline() });
  } catch (error) {
    await close();
    throw pingError(error, endpoint, timeoutMs, options.signal);
  }
  try {
    // Unversioned, as every engine answers it; every later request carries the version chosen here.
    const versionOf = docker.version.bind(docker) as unknown as (opts: { abortSignal: AbortSignal }) => Promise<EngineVersionInfo>;
    const version = await versionOf({ abortSignal: deadline() });
    if (isPodmanVersion(version)) markPodmanEngine(docker);
    const outcome = negotiateApiVersion(version);
    if ('problem' in outcome) throw new UnreachableError(`${engineName(endpoint)} cannot be used: ${outcome.problem}`, 'api-mismatch');
    (docker as unknown as { modem: { version?: string } }).modem.version = `v${outcome.version}`;
    negotiated.set(docker, outcome.version);
  } catch (error) {
    await close();
    throw error instanceof UnreachableError ? error : pingError(error, endpoint, timeoutMs, options.signal);
  }
  closers.set(docker, close);
  return docker;
}

/** Closes what `connectDocker` opened (the SSH connection of an `ssh://` engine); safe to call twice. */
export async function closeDocker(docker: Docker): Promise<void> {
  const close = closers.get(docker);
  closers.delete(docker);
  await close?.();
}

// Every connection setting is given explicitly so that DOCKER_HOST / DOCKER_CERT_PATH in the environment cannot redirect us.
const NO_DEFAULTS = {
  socketPath: undefined,
  host: undefined,
  port: undefined,
  protocol: undefined,
  username: undefined,
  ca: undefined,
  cert: undefined,
  key: undefined,
  timeout: undefined,
};

/** dockerode (and its protobuf and gRPC code) is loaded by the first step that talks to an engine, not by every run. */
async function newDocker(options: Docker.DockerOptions): Promise<Docker> {
  const { default: DockerClient } = await import('dockerode');
  return new DockerClient(options);
}

async function dockerClient(
  address: DockerAddress,
  endpoint: DockerEndpoint,
  options: EngineConnectOptions,
): Promise<{ docker: Docker; close: () => Promise<void> }> {
  switch (address.kind) {
    case 'unix':
      return { docker: await newDocker({ ...NO_DEFAULTS, socketPath: address.socketPath }), close: async () => {} };
    case 'tcp': {
      // The loader refuses this already; a value that reached here another way (a test, a library user) is refused too.
      if (!hasTls(endpoint) && endpoint.tls !== false) {
        throw new Error(`docker host ${redactAddress(endpoint.host)} is tcp:// without TLS; give tls {ca, cert, key}, or tls: false to accept plain text`);
      }
      const tls = hasTls(endpoint) ? await readTlsFiles(endpoint) : undefined;
      const docker = await newDocker({
        ...NO_DEFAULTS,
        host: address.host,
        port: address.port,
        protocol: tls === undefined ? 'http' : 'https',
        ...tls,
      });
      return { docker, close: async () => {} };
    }
    case 'ssh':
      return sshDockerClient(address, endpoint, {
        ...(options.sshTimeoutMs !== undefined ? { readyTimeoutMs: options.sshTimeoutMs } : {}),
        ...(options.signal ? { signal: options.signal } : {}),
      });
    default: {
      const unexpected: never = address;
      throw new Error(`unexpected docker address ${JSON.stringify(unexpected)}`);
    }
  }
}

async function readTlsFiles(endpoint: DockerEndpoint): Promise<{ ca?: Buffer; cert?: Buffer; key?: Buffer }> {
  const read = async (what: string, file: string | undefined): Promise<Buffer | undefined> => {
    if (file === undefined) return undefined;
    try {
      return await readFile(expandHome(file));
    } catch (error) {
      throw new Error(
        `could not read the TLS ${what} file ${file} for docker host ${redactAddress(endpoint.host)}: ${(error as { code?: string }).code ?? errorMessage(error)}`,
      );
    }
  };
  const files = endpoint.tls === false ? undefined : endpoint.tls;
  return { ca: await read('ca', files?.ca), cert: await read('cert', files?.cert), key: await read('key', files?.key) };
}

async function sshDockerClient(
  address: Extract<DockerAddress, { kind: 'ssh' }>,
  endpoint: DockerEndpoint,
  sshOptions: SshConnectOptions,
): Promise<{ docker: Docker; close: () => Promise<void> }> {
  const sshEndpoint = {
    host: address.host,
    port: address.port,
    user: address.user,
    identity_file: endpoint.identity_file,
    known_hosts: endpoint.known_hosts,
    passphrase: endpoint.passphrase,
    jump: endpoint.jump,
  };
  let current: Promise<Ssh2Session> = connectSsh(sshEndpoint, sshOptions);
  let closed = false;
  // One SSH connection for all requests; reopened if it dropped between steps.
  const session = async (): Promise<Ssh2Session> => {
    const open = await current.catch(() => undefined);
    if (closed) throw new UnreachableError(`the SSH connection to docker host ${redactAddress(endpoint.host)} was closed`, 'connection-lost');
    if (open?.isOpen !== true) current = connectSsh(sshEndpoint, sshOptions);
    return current;
  };
  await current;
  const agent = new UnixSocketOverSshAgent(session, endpoint.socket ?? DEFAULT_REMOTE_DOCKER_SOCKET);
  // The host name only fills the HTTP Host header: every connection comes from the agent.
  const docker = await newDocker({ ...NO_DEFAULTS, host: 'docker', protocol: 'http', agent } as Docker.DockerOptions);
  const close = async (): Promise<void> => {
    closed = true;
    agent.destroy();
    const open = await current.catch(() => undefined);
    await open?.close();
  };
  return { docker, close };
}

const engineName = (endpoint: DockerEndpoint): string =>
  `Docker Engine at ${redactAddress(endpoint.host)}${endpoint.socket !== undefined ? ` (socket ${endpoint.socket})` : ''}`;

function pingError(error: unknown, endpoint: DockerEndpoint, timeoutMs: number, interrupt?: AbortSignal): UnreachableError | InterruptedError {
  const where = engineName(endpoint);
  if (interrupt?.aborted) return new InterruptedError(`interrupted while connecting to ${where}`);
  if (error instanceof UnreachableError) {
    return error.code === 'socket-unreachable' ? new UnreachableError(`${where} could not be reached: ${error.message}`, error.code) : error;
  }
  const code = (error as { code?: unknown }).code;
  if ((error as { name?: unknown }).name === 'TimeoutError' || (error as { name?: unknown }).name === 'AbortError') {
    return new UnreachableError(`${where} did not answer a ping within ${formatDuration(timeoutMs)} (timeouts.engine)`, 'timeout');
  }
  if (code === 'ENOENT') return new UnreachableError(`${where} could not be reached: no such socket`, 'unreachable');
  if (code === 'ECONNREFUSED') return new UnreachableError(`${where} could not be reached: connection refused`, 'connection-refused');
  if (isConnectionError(error)) return new UnreachableError(`${where} could not be reached: ${String(code)}`, 'unreachable');
  return new UnreachableError(`${where} did not answer a ping: ${errorMessage(error)}`, 'unreachable');
}
