import { readFile } from 'node:fs/promises';
import { constants as osConstants } from 'node:os';
import type { Duplex } from 'node:stream';
import type { Client, ClientChannel, ConnectConfig } from 'ssh2';
import { formatDuration } from '../model/duration.js';
import { DEFAULT_TIMEOUTS, type SshEndpoint } from '../model/inventory.js';
import { InterruptedError, UnreachableError, errorMessage } from './errors.js';
import { fingerprint, keyTypeOfBlob, knownKeyTypes, verifyHostKey, type HostKeyVerdict } from './knownHosts.js';
import { DEFAULT_IDENTITY_FILES, DEFAULT_KNOWN_HOSTS, expandHome, hostKeyAlgorithms, hostKeyRefusal, sshConnectError, sshTarget } from './sshOptions.js';
import type { ExecResult, SshSession } from './types.js';
import { withSshConfig } from './sshConfig.js';

/** Options of `connectSsh`. */
export interface SshConnectOptions {
  /** Time allowed for TCP connect + handshake + authentication (`timeouts.ssh`; default 20 s). */
  readyTimeoutMs?: number;
  /** The run's interrupt: a connect still under way when it fires gives up at once. */
  signal?: AbortSignal;
}

/** Commands without their own timeout get this long. */
const DEFAULT_EXEC_TIMEOUT_MS = 10 * 60_000;

/** An open ssh2 connection: runs commands and opens streams to unix sockets on the remote host. */
export class Ssh2Session implements SshSession {
  private open = true;

  constructor(
    private readonly client: Client,
    /** `user@host:port`, for messages. */
    readonly target: string,
  ) {
    client.on('close', () => {
      this.open = false;
    });
  }

  /** False once the connection has dropped or been closed; the pool then opens a new one. */
  get isOpen(): boolean {
    return this.open;
  }

  exec(command: string, options: { signal?: AbortSignal; timeoutMs?: number } = {}): Promise<ExecResult> {
    const { signal, timeoutMs = DEFAULT_EXEC_TIMEOUT_MS } = options;
    if (signal?.aborted) return Promise.reject(signal.reason ?? new Error('aborted'));
    return new Promise((resolve, reject) => {
      this.withChannel((open) => this.client.exec(command, open), 'run a command')
        .then((channel) => {
          const stdout: Buffer[] = [];
          const stderr: Buffer[] = [];
          let exit: { code: number } | undefined;
          let settled = false;
          const finish = (): void => {
            settled = true;
            clearTimeout(timer);
            signal?.removeEventListener('abort', onAbort);
          };
          // sshd may keep the channel until the command ends, so give up at once and ask it to kill the command meanwhile.
          const stop = (error: Error): void => {
            if (settled) return;
            finish();
            reject(error);
            channel.signal('KILL');
            channel.close();
          };
          const timer = setTimeout(() => stop(new Error(`a command on ${this.target} did not finish within ${formatDuration(timeoutMs)}`)), timeoutMs);
          const onAbort = (): void => stop(signal?.reason instanceof Error ? signal.reason : new Error('aborted'));
          signal?.addEventListener('abort', onAbort, { once: true });
          channel.on('data', (chunk: Buffer) => stdout.push(chunk));
          channel.stderr.on('data', (chunk: Buffer) => stderr.push(chunk));
          // ssh2 reports `exit` as (code) or (null, 'SIGTERM', …).
          channel.on('exit', (code: number | null, signalName?: string) => {
            exit = { code: code ?? exitCodeOfSignal(signalName) };
          });
          channel.on('close', () => {
            if (settled) return;
            finish();
            if (exit === undefined) {
              return reject(new UnreachableError(`connection to ${this.target} was lost while a command ran`, 'connection-lost'));
            }
            resolve({ code: exit.code, stdout: Buffer.concat(stdout).toString('utf8'), stderr: Buffer.concat(stderr).toString('utf8') });
          });
        })
        .catch(reject);
    });
  }

  /** A byte stream to a unix socket on the remote host (OpenSSH `direct-streamlocal`), e.g. the Docker Engine's socket. */
  openUnixSocket(socketPath: string): Promise<Duplex> {
    return this.withChannel((open) => this.client.openssh_forwardOutStreamLocal(socketPath, open), `open ${socketPath}`).catch((error: unknown) => {
      // sshd says only "open failed": the socket is missing, refuses, or forwarding is off; either way nothing answers there.
      throw error instanceof UnreachableError ? error : new UnreachableError(errorMessage(error), 'socket-unreachable');
    });
  }

  /** A byte stream to `host:port` as this server reaches it (`direct-tcpip`): how a bastion carries the next hop. */
  forward(host: string, port: number): Promise<Duplex> {
    return this.withChannel((open) => this.client.forwardOut('127.0.0.1', 0, host, port, open), `reach ${host}:${port}`).catch((error: unknown) => {
      throw new UnreachableError(`the bastion ${this.target} could not reach ${host}:${port}: ${errorMessage(error)}`, 'unreachable');
    });
  }

  close(): Promise<void> {
    if (!this.open) return Promise.resolve();
    return new Promise((resolve) => {
      this.client.once('close', () => resolve());
      this.client.end();
    });
  }

  private withChannel(openChannel: (callback: (error: Error | undefined, channel: ClientChannel) => void) => void, purpose: string): Promise<ClientChannel> {
    if (!this.open) return Promise.reject(new UnreachableError(`connection to ${this.target} is closed; could not ${purpose}`, 'connection-lost'));
    return new Promise((resolve, reject) => {
      try {
        openChannel((error, channel) => {
          if (error === undefined || error === null) return resolve(channel);
          const message = `could not ${purpose} on ${this.target}: ${errorMessage(error)}`;
          reject(this.open ? new Error(message) : new UnreachableError(message, 'connection-lost'));
        });
      } catch (error) {
        reject(new UnreachableError(`could not ${purpose} on ${this.target}: ${errorMessage(error)}`, 'connection-lost'));
      }
    });
  }
}

/** 128 + signal number, as a shell reports a command killed by a signal. */
function exitCodeOfSignal(signalName: string | undefined): number {
  const number = signalName === undefined ? undefined : osConstants.signals[signalName as keyof typeof osConstants.signals];
  return number === undefined ? 255 : 128 + number;
}

async function readOptional(path: string): Promise<string> {
  try {
    return await readFile(path, 'utf8');
  } catch (error) {
    if ((error as { code?: unknown }).code === 'ENOENT') return '';
    throw error;
  }
}

/** Key auth: the configured identity file, else the SSH agent, else the first default key that exists. */
async function authentication(endpoint: SshEndpoint): Promise<{ config: Pick<ConnectConfig, 'privateKey' | 'agent' | 'passphrase'>; identity: string }> {
  if (endpoint.identity_file !== undefined) {
    const path = expandHome(endpoint.identity_file);
    try {
      const passphrase = endpoint.passphrase !== undefined ? { passphrase: endpoint.passphrase } : {};
      return { config: { privateKey: await readFile(path), ...passphrase }, identity: path };
    } catch (error) {
      throw new Error(`could not read the SSH identity file ${path} for ${sshTarget(endpoint)}: ${(error as { code?: string }).code ?? errorMessage(error)}`);
    }
  }
  if (process.env.SSH_AUTH_SOCK) return { config: { agent: process.env.SSH_AUTH_SOCK }, identity: 'the keys of the SSH agent' };
  for (const candidate of DEFAULT_IDENTITY_FILES.map(expandHome)) {
    const key = await readFile(candidate).catch(() => undefined);
    if (key !== undefined) return { config: { privateKey: key }, identity: candidate };
  }
  throw new Error(`no SSH key for ${sshTarget(endpoint)}: set identity_file (no agent and no ~/.ssh/id_* key found)`);
}

/**
 * Opens an SSH connection with key authentication. The host key is always checked against `known_hosts` (default
 * `~/.ssh/known_hosts`): an unknown, changed or revoked key, a refused connection, a timeout or a refused key throw `UnreachableError`.
 */
export async function connectSsh(given: Omit<SshEndpoint, 'user'> & { user?: string }, options: SshConnectOptions = {}): Promise<Ssh2Session> {
  // A Host alias of ~/.ssh/config, and what it says of the host, as `ssh` would read it; the inventory's own values win.
  const endpoint = await withSshConfig(given);
  const port = endpoint.port ?? 22;
  const knownHostsFile = expandHome(endpoint.known_hosts ?? DEFAULT_KNOWN_HOSTS);
  const knownHostsText = await readOptional(knownHostsFile);
  const { config: auth, identity } = await authentication(endpoint);
  // Through a bastion: log in there, then speak SSH to the target over a channel the bastion opens to it.
  const bastion = endpoint.jump !== undefined ? await connectSsh(endpoint.jump, options) : undefined;
  const sock = bastion !== undefined ? await bastion.forward(endpoint.host, port) : undefined;
  let refusal: { verdict: Exclude<HostKeyVerdict, 'match'>; keyType: string; keyFingerprint: string } | undefined;

  // Loaded by the first SSH connection of a run, not by runs that never open one.
  const { Client: SshClient } = await import('ssh2');
  const client = new SshClient();
  const readyTimeoutMs = options.readyTimeoutMs ?? DEFAULT_TIMEOUTS.ssh;
  return new Promise<Ssh2Session>((resolve, reject) => {
    let settled = false;
    // ssh2 may emit more than one error (a timeout, then the socket's own): the first decides, the rest must not crash the run.
    const onError = (error: Error): void => {
      if (settled) return;
      settled = true;
      options.signal?.removeEventListener('abort', onAbort);
      client.removeListener('ready', onReady);
      client.end();
      void bastion?.close();
      if (refusal !== undefined) {
        reject(hostKeyRefusal(refusal.verdict, endpoint, knownHostsFile, refusal.keyType, refusal.keyFingerprint));
      } else {
        reject(
          options.signal?.aborted
            ? new InterruptedError(`interrupted while connecting to SSH server ${sshTarget(endpoint)}`)
            : sshConnectError(error, endpoint, identity, readyTimeoutMs),
        );
      }
    };
    const onAbort = (): void => onError(new Error('interrupted'));
    if (options.signal?.aborted) return onAbort();
    options.signal?.addEventListener('abort', onAbort, { once: true });
    const onReady = (): void => {
      options.signal?.removeEventListener('abort', onAbort);
      settled = true;
      // Errors after the handshake surface through `close` and the failing call; the listener keeps them from crashing the process.
      resolve(new Ssh2Session(client, sshTarget(endpoint)));
    };
    client.once('ready', onReady);
    if (bastion !== undefined) client.once('close', () => void bastion.close());
    client.on('error', onError);
    // A server that hangs up in the middle of the handshake closes without an error; that must not leave the run waiting.
    client.once('close', () => {
      if (settled) return;
      settled = true;
      client.removeListener('ready', onReady);
      reject(
        refusal !== undefined
          ? hostKeyRefusal(refusal.verdict, endpoint, knownHostsFile, refusal.keyType, refusal.keyFingerprint)
          : new UnreachableError(`SSH server ${sshTarget(endpoint)} closed the connection during the handshake`, 'connection-lost'),
      );
    });
    try {
      client.connect({
        host: endpoint.host,
        port,
        ...(sock !== undefined ? { sock } : {}),
        username: endpoint.user,
        ...auth,
        readyTimeout: readyTimeoutMs,
        keepaliveInterval: 15_000,
        keepaliveCountMax: 3,
        algorithms: { serverHostKey: hostKeyAlgorithms(knownKeyTypes(knownHostsText, endpoint.host, port)) as never },
        hostVerifier: (key: Buffer): boolean => {
          const keyType = keyTypeOfBlob(key) ?? 'unknown-key-type';
          const verdict = verifyHostKey(knownHostsText, endpoint.host, port, keyType, key);
          if (verdict !== 'match') refusal = { verdict, keyType, keyFingerprint: fingerprint(key) };
          return verdict === 'match';
        },
      });
    } catch (error) {
      // ssh2 parses the private key synchronously; its message names the problem, not the key.
      settled = true;
      client.removeAllListeners();
      void bastion?.close();
      reject(new Error(`could not use ${identity} for ${sshTarget(endpoint)}: ${errorMessage(error)}`));
    }
  });
}
