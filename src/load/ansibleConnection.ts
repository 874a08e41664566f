import net from 'node:net';
import { shellWords } from './iniInventory.js';
import { resolveInputPath } from './paths.js';
import { isRecord } from './variables.js';

/** The variables that make a host an Ansible host, whose SSH connection freshen can take from them. */
const CONNECTION_VARIABLES = [
  'ansible_host',
  'ansible_ssh_host',
  'ansible_port',
  'ansible_ssh_port',
  'ansible_user',
  'ansible_ssh_user',
  'ansible_ssh_private_key_file',
  'ansible_private_key_file',
  'ansible_ssh_common_args',
  'ansible_ssh_extra_args',
  'ansible_connection',
] as const;

export interface AnsibleEndpoints {
  /** The `ssh` and `docker` variables the host did not set itself, made from its Ansible connection variables. */
  vars: Record<string, unknown>;
  problems: string[];
  warnings: string[];
}

/**
 * `ssh` and `docker` for a host that sets neither but has Ansible's connection variables: SSH to `ansible_host` (else its
 * name) as `ansible_user` on `ansible_port` with `ansible_ssh_private_key_file`, through a ProxyJump given in
 * `ansible_ssh_common_args` or `ansible_ssh_extra_args`; the engine over that same SSH (`ssh://`), or the local socket for
 * `ansible_connection: local`. Paths are as Ansible passes them to ssh: `~` expanded, relative to the working directory.
 */
export function ansibleEndpoints(name: string, vars: Record<string, unknown>): AnsibleEndpoints {
  const result: AnsibleEndpoints = { vars: {}, problems: [], warnings: [] };
  if (!CONNECTION_VARIABLES.some((key) => vars[key] !== undefined)) return result;
  const text = (key: string): string | undefined => {
    const value = vars[key];
    return typeof value === 'string' && value !== '' ? value : typeof value === 'number' ? String(value) : undefined;
  };
  const connection = text('ansible_connection') ?? 'ssh';
  if (connection === 'local') {
    if (vars.docker === undefined) result.vars.docker = { host: 'unix:///var/run/docker.sock' };
    else if (isRecord(vars.docker) && vars.docker.host === undefined)
      result.vars.docker = { host: `unix://${String(vars.docker.socket ?? '/var/run/docker.sock')}` };
    return result;
  }
  if (connection !== 'ssh' && connection !== 'paramiko' && connection !== 'smart') {
    result.problems.push(`ansible_connection is "${connection}"; freshen reaches hosts over SSH (ssh, paramiko, smart) or locally (local)`);
    return result;
  }
  const host = text('ansible_host') ?? text('ansible_ssh_host') ?? name;
  const portText = text('ansible_port') ?? text('ansible_ssh_port');
  const port = portText === undefined ? undefined : Number(portText);
  if (port !== undefined && !(Number.isInteger(port) && port >= 1 && port <= 65535)) {
    result.problems.push(`ansible_port is "${portText}", which is not a port (1 to 65535)`);
    return result;
  }
  const user = text('ansible_user') ?? text('ansible_ssh_user');
  const key = text('ansible_ssh_private_key_file') ?? text('ansible_private_key_file');
  const options = sshOptions([text('ansible_ssh_common_args'), text('ansible_ssh_extra_args')]);
  result.problems.push(...options.problems);
  result.warnings.push(...options.warnings);
  if (options.problems.length > 0) return result;
  const endpoint = {
    host,
    ...(port !== undefined ? { port } : {}),
    ...(user !== undefined ? { user } : {}),
    ...(key !== undefined ? { identity_file: resolveInputPath(key, process.cwd()) } : {}),
    ...(options.knownHosts !== undefined ? { known_hosts: resolveInputPath(options.knownHosts, process.cwd()) } : {}),
    ...(options.jump !== undefined ? { jump: options.jump } : {}),
  };
  if (vars.ssh === undefined) result.vars.ssh = endpoint;
  // A `docker` without `host` (say, only its `socket`) is completed from the same SSH connection; what it sets wins.
  const docker = vars.docker;
  if (docker === undefined || (isRecord(docker) && docker.host === undefined)) {
    const { host: _host, port: _port, user: _user, ...rest } = endpoint as typeof endpoint & { port?: number; user?: string };
    result.vars.docker = { host: sshUrl(host, port, user), ...rest, ...(isRecord(docker) ? docker : {}) };
  }
  return result;
}

const sshUrl = (host: string, port: number | undefined, user: string | undefined): string =>
  `ssh://${user !== undefined ? `${encodeURIComponent(user)}@` : ''}${net.isIPv6(host) ? `[${host}]` : host}${port !== undefined ? `:${port}` : ''}`;

interface SshOptions {
  jump?: { host: string; port?: number; user?: string };
  knownHosts?: string;
  problems: string[];
  warnings: string[];
}

/** The ssh options freshen honours from Ansible's extra ssh arguments: ProxyJump (-J) and UserKnownHostsFile; others are named as ignored. */
function sshOptions(argStrings: Array<string | undefined>): SshOptions {
  const result: SshOptions = { problems: [], warnings: [] };
  const ignored: string[] = [];
  for (const args of argStrings) {
    if (args === undefined) continue;
    const words = shellWords(args);
    if ('error' in words) {
      result.problems.push(`ansible_ssh_common_args: ${words.error}`);
      continue;
    }
    for (let i = 0; i < words.words.length; i++) {
      const word = words.words[i]!;
      let option: string | undefined;
      if (word === '-o') option = words.words[++i];
      else if (word.startsWith('-o')) option = word.slice(2);
      else if (word === '-J') option = `ProxyJump=${words.words[++i] ?? ''}`;
      else if (word.startsWith('-J')) option = `ProxyJump=${word.slice(2)}`;
      else {
        ignored.push(word);
        continue;
      }
      const [rawKey = '', ...valueParts] = (option ?? '').split(/=|\s+/);
      const value = valueParts.join('=').trim();
      const keyName = rawKey.toLowerCase();
      if (keyName === 'proxyjump') {
        if (value.includes(',')) result.problems.push(`ProxyJump ${value} goes through several jump hosts; freshen goes through one`);
        else if (value.toLowerCase() !== 'none') result.jump = jumpHost(value);
      } else if (keyName === 'userknownhostsfile') {
        result.knownHosts = value.split(/\s+/)[0];
      } else if (keyName === 'proxycommand') {
        result.problems.push('ProxyCommand is not supported; write the jump host as -o ProxyJump=USER@HOST:PORT');
      } else {
        ignored.push(`-o ${option}`);
      }
    }
  }
  if (ignored.length > 0) result.warnings.push(`freshen ignores these ssh arguments: ${ignored.join(' ')}`);
  return result;
}

/** `user@host:port`, `host`, or `ssh://user@host:port`, as ProxyJump takes them. */
function jumpHost(value: string): { host: string; port?: number; user?: string } {
  const bare = value.replace(/^ssh:\/\//, '');
  const at = bare.lastIndexOf('@');
  const user = at >= 0 ? bare.slice(0, at) : undefined;
  const rest = at >= 0 ? bare.slice(at + 1) : bare;
  const hostPort = /^\[([^\]]+)\](?::(\d+))?$/.exec(rest) ?? /^([^:]+)(?::(\d+))?$/.exec(rest);
  const host = hostPort?.[1] ?? rest;
  return { host, ...(hostPort?.[2] ? { port: Number(hostPort[2]) } : {}), ...(user ? { user } : {}) };
}
