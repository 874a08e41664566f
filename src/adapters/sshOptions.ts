import { formatDuration } from '../model/duration.js';
import { homedir } from 'node:os';
import { join } from 'node:path';
import type { SshEndpoint } from '../model/inventory.js';
import { UnreachableError, errorMessage } from './errors.js';
import type { HostKeyVerdict } from './knownHosts.js';

/** Server host key algorithms ssh2 offers by default, in its order. */
const DEFAULT_HOST_KEY_ALGORITHMS = [
  'ssh-ed25519',
  'ecdsa-sha2-nistp256',
  'ecdsa-sha2-nistp384',
  'ecdsa-sha2-nistp521',
  'rsa-sha2-512',
  'rsa-sha2-256',
  'ssh-rsa',
];

/** `ssh-rsa` keys are signed with any of these algorithms; other key types name their one algorithm. */
const ALGORITHMS_OF_KEY_TYPE: Record<string, string[]> = { 'ssh-rsa': ['rsa-sha2-512', 'rsa-sha2-256', 'ssh-rsa'] };

/**
 * Host key algorithms to offer, those of the key types known_hosts lists for the host first, so the server presents a key we can
 * check (OpenSSH does the same) instead of one of a type we have never seen.
 */
export function hostKeyAlgorithms(knownKeyTypes: string[]): string[] {
  const preferred = knownKeyTypes
    .flatMap((type) => ALGORITHMS_OF_KEY_TYPE[type] ?? [type])
    .filter((algorithm) => DEFAULT_HOST_KEY_ALGORITHMS.includes(algorithm));
  return [...new Set([...preferred, ...DEFAULT_HOST_KEY_ALGORITHMS])];
}

/** `~/…` → the home directory; other paths unchanged. */
export const expandHome = (path: string): string => (path === '~' ? homedir() : path.startsWith('~/') ? join(homedir(), path.slice(2)) : path);

export const DEFAULT_KNOWN_HOSTS = '~/.ssh/known_hosts';

/** Keys OpenSSH tries when no identity file is configured, in its order. */
export const DEFAULT_IDENTITY_FILES = ['~/.ssh/id_ed25519', '~/.ssh/id_ecdsa', '~/.ssh/id_rsa'];

/** `user@host:port`, how messages name an SSH server. */
export const sshTarget = (endpoint: SshEndpoint): string => `${endpoint.user}@${endpoint.host}:${endpoint.port ?? 22}`;

/** The sentence for a host key that was not accepted; says what to check and never suggests turning verification off. */
export function hostKeyRefusal(
  verdict: Exclude<HostKeyVerdict, 'match'>,
  endpoint: SshEndpoint,
  knownHostsFile: string,
  keyType: string,
  keyFingerprint: string,
): UnreachableError {
  const server = `${endpoint.host}:${endpoint.port ?? 22}`;
  const presented = `${keyType} ${keyFingerprint}`;
  switch (verdict) {
    case 'unknown': {
      const portFlag = (endpoint.port ?? 22) === 22 ? '' : `-p ${endpoint.port} `;
      return new UnreachableError(
        `SSH host key of ${server} (${presented}) is not in ${knownHostsFile}; after checking the fingerprint, add it with ` +
          `\`ssh-keyscan ${portFlag}${endpoint.host} >> ${knownHostsFile}\``,
        'host-key-unknown',
      );
    }
    case 'mismatch':
      return new UnreachableError(
        `SSH host key of ${server} (${presented}) does not match the one in ${knownHostsFile}; refusing to connect ` +
          '(the server was reinstalled, or someone is in the middle)',
        'host-key-mismatch',
      );
    case 'revoked':
      return new UnreachableError(`SSH host key of ${server} (${presented}) is marked @revoked in ${knownHostsFile}; refusing to connect`, 'host-key-revoked');
    default: {
      const unexpected: never = verdict;
      throw new Error(`unexpected host key verdict ${String(unexpected)}`);
    }
  }
}

/** Turns an ssh2 connection error into an `UnreachableError` that names the server (and never a key's content). */
export function sshConnectError(error: unknown, endpoint: SshEndpoint, identity: string, readyTimeoutMs: number): UnreachableError {
  const target = sshTarget(endpoint);
  const level = (error as { level?: unknown }).level;
  const code = (error as { code?: unknown }).code;
  if (level === 'client-authentication') {
    return new UnreachableError(`SSH server ${target} did not accept ${identity} for user ${endpoint.user}`, 'auth-failed');
  }
  if (level === 'client-timeout' || code === 'ETIMEDOUT') {
    return new UnreachableError(`SSH server ${target} did not complete the handshake within ${formatDuration(readyTimeoutMs)} (timeouts.ssh)`, 'timeout');
  }
  if (code === 'ECONNREFUSED') return new UnreachableError(`could not connect to SSH server ${target}: connection refused`, 'connection-refused');
  if (typeof code === 'string') return new UnreachableError(`could not connect to SSH server ${target}: ${code}`, 'unreachable');
  return new UnreachableError(`could not connect to SSH server ${target}: ${errorMessage(error)}`, 'unreachable');
}
