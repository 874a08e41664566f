import { readFile } from 'node:fs/promises';
import { userInfo } from 'node:os';
import SSHConfig from 'ssh-config';
import type { SshEndpoint } from '../model/inventory.js';
import { expandHome } from './sshOptions.js';

/** OpenSSH's per-user configuration, read for `Host` aliases as `ssh` itself would. */
export const DEFAULT_SSH_CONFIG = '~/.ssh/config';

/** Bastions behind bastions: more hops than this is a loop in the configuration. */
const MAX_HOPS = 5;

const first = (value: string | string[] | undefined): string | undefined => (Array.isArray(value) ? value[0] : value);

/** `[user@]host[:port]`, a ProxyJump hop. */
function parseHop(hop: string): { host: string; user?: string; port?: number } {
  const match = /^(?:([^@]+)@)?(\[[^\]]+\]|[^:]+)(?::(\d+))?$/.exec(hop.trim());
  if (match === null) throw new Error(`ProxyJump hop "${hop}" is not [user@]host[:port]`);
  return { host: match[2]!.replace(/^\[(.*)\]$/, '$1'), ...(match[1] ? { user: match[1] } : {}), ...(match[3] ? { port: Number(match[3]) } : {}) };
}

/**
 * The endpoint with what `~/.ssh/config` says for its host filled in: `HostName`, `Port`, `User`, `IdentityFile`,
 * `UserKnownHostsFile` and `ProxyJump` (each hop resolved the same way). What the inventory says wins, as `ssh -o` does; a
 * user given nowhere is the local user, as with `ssh`. No config file: the endpoint as it is.
 */
export async function withSshConfig(endpoint: Omit<SshEndpoint, 'user'> & { user?: string }, file = DEFAULT_SSH_CONFIG, hops = 0): Promise<SshEndpoint> {
  let text: string | undefined;
  try {
    text = await readFile(expandHome(file), 'utf8');
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code !== 'ENOENT') throw new Error(`could not read the SSH config ${file}: ${(error as NodeJS.ErrnoException).code}`);
  }
  const computed = text === undefined ? {} : (SSHConfig.parse(text).compute(endpoint.host) as Record<string, string | string[]>);
  const hostName = first(computed.HostName)?.replace(/%h/g, endpoint.host);
  const port = endpoint.port ?? (first(computed.Port) !== undefined ? Number(first(computed.Port)) : undefined);
  const identity = endpoint.identity_file ?? first(computed.IdentityFile);
  const knownHosts = endpoint.known_hosts ?? first(computed.UserKnownHostsFile)?.split(/\s+/)[0];
  const resolved: SshEndpoint = {
    ...endpoint,
    host: hostName ?? endpoint.host,
    user: endpoint.user ?? first(computed.User) ?? userInfo().username,
    ...(port !== undefined ? { port } : {}),
    ...(identity !== undefined ? { identity_file: identity } : {}),
    ...(knownHosts !== undefined ? { known_hosts: knownHosts } : {}),
  };
  const proxyJump = first(computed.ProxyJump);
  if (endpoint.jump !== undefined) return { ...resolved, jump: await withSshConfig(endpoint.jump, file, hops + 1) };
  if (proxyJump === undefined || proxyJump === 'none') return resolved;
  if (hops >= MAX_HOPS) throw new Error(`ProxyJump for ${endpoint.host} goes through more than ${MAX_HOPS} bastions; is the SSH config a loop?`);
  // `a,b`: reach a, then b through it, then the host through b.
  const chain = proxyJump.split(',').map(parseHop);
  let jump: SshEndpoint | undefined;
  for (const hop of chain) jump = await withSshConfig({ ...hop, ...(jump !== undefined ? { jump } : {}) }, file, hops + 1);
  return { ...resolved, ...(jump !== undefined ? { jump } : {}) };
}
