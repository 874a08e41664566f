import { parseDuration } from './duration.js';
/** The inventory after loading: groups, hosts, and each host's variables merged (all < parent group < child group < host). */
export interface Inventory {
  file: string;
  groups: Map<string, Group>;
  hosts: Map<string, Host>;
}

export interface Group {
  name: string;
  /** Hosts listed directly under this group. */
  hosts: string[];
  children: string[];
  vars: Record<string, unknown>;
}

export interface Host {
  name: string;
  /** Every group the host belongs to, directly or through children, including `all`. */
  groups: string[];
  /** Merged variables; connection settings (`docker`, `ssh`, `registry_gc`) live here too. */
  vars: Record<string, unknown>;
}

/** How to reach a host's Docker Engine API. Paths are absolute after loading. */
export interface DockerEndpoint {
  /** `unix:///var/run/docker.sock`, `tcp://host:2376` or `ssh://user@host[:port]`. */
  host: string;
  /** `false`: plain text accepted on purpose (tcp:// only). */
  tls?: { ca?: string; cert?: string; key?: string } | false;
  /** For `ssh://`: the engine's socket on the remote host. */
  socket?: string;
  /** For `ssh://`: private key and known_hosts file. */
  identity_file?: string;
  known_hosts?: string;
  /** For `ssh://`: the identity file's passphrase (from `passphrase_env`/`passphrase_file`) and a bastion to go through. */
  passphrase?: string;
  jump?: SshEndpoint;
}

/** How to run commands on a host over SSH. */
export interface SshEndpoint {
  /** A host name, an address, or a `Host` alias of ~/.ssh/config. */
  host: string;
  port?: number;
  /** Default: the `User` of ~/.ssh/config for the host, else the local user (as `ssh` does). */
  user: string;
  identity_file?: string;
  known_hosts?: string;
  /** The identity file's passphrase, resolved by the loader from `passphrase_env` or `passphrase_file`. */
  passphrase?: string;
  /** A bastion to connect through (ProxyJump). */
  jump?: SshEndpoint;
}

/** Where images live and how to reach the registry's HTTP API. */
export interface RegistrySettings {
  /** Image name prefix, `host[:port]`. */
  name: string;
  /** Base URL of the API; https unless the registry is on loopback. */
  url: string;
  /** A password, or (from Docker's credential store only) an identity token: an OAuth2 refresh token for the token service. */
  auth?: { username: string; password: string; identityToken?: string };
  /** The registry's CA and client certificate (`registry_tls`, with `registry_ca` as the CA's older name). */
  tls?: { ca?: string; cert?: string; key?: string };
  /** Where Docker keeps per-registry TLS files (`registry_certs_dir`, default /etc/docker/certs.d). */
  certsDir?: string;
  /** Requests in flight to the registry at once, across the run's hosts (`registry_concurrency`). */
  concurrency?: number;
}

/** How a registry host collects garbage: commands run over SSH, in order. */
export interface RegistryGcSettings {
  /** Puts the registry in read-only mode or stops it, so no upload races the sweep. */
  before?: string;
  command: string;
  /** Restarts the registry so its blob cache is fresh. */
  after?: string;
  /** The collector's dry run; derived from `command` when absent. */
  dry_run_command?: string;
  /** Storage directory on the registry host, measured with `du` before and after. */
  data_dir?: string;
}

/** How long freshen waits for each kind of peer before it calls the host unreachable (`timeouts`), in milliseconds. */
export interface ConnectionTimeouts {
  /** TCP connect plus the SSH handshake and login, for `ssh` and `ssh://` engines (`timeouts.ssh`). */
  ssh: number;
  /** The engine's answer to freshen's first ping and version request, connect included (`timeouts.engine`). */
  engine: number;
  /** Each registry request, from when it is sent to its answer's headers (`timeouts.registry`). */
  registry: number;
}

export const DEFAULT_TIMEOUTS: ConnectionTimeouts = { ssh: 20_000, engine: 15_000, registry: 30_000 };

/** The `timeouts` of a host's variables, each a duration the loader has checked, over the defaults. */
export function connectionTimeouts(vars: Record<string, unknown>): ConnectionTimeouts {
  const given = (typeof vars.timeouts === 'object' && vars.timeouts !== null ? vars.timeouts : {}) as Record<string, unknown>;
  const pick = (key: keyof ConnectionTimeouts): number => {
    const value = given[key];
    const ms = typeof value === 'string' || typeof value === 'number' ? parseDuration(value) : undefined;
    return ms !== undefined && ms > 0 ? ms : DEFAULT_TIMEOUTS[key];
  };
  return { ssh: pick('ssh'), engine: pick('engine'), registry: pick('registry') };
}

/** The endpoints and settings a host's resolved variables name (`resolveVariables`). */
export const dockerEndpoint = (vars: Record<string, unknown>): DockerEndpoint | undefined => vars.docker as DockerEndpoint | undefined;
export const sshEndpoint = (vars: Record<string, unknown>): SshEndpoint | undefined => vars.ssh as SshEndpoint | undefined;
export const registryGcSettings = (vars: Record<string, unknown>): RegistryGcSettings | undefined => vars.registry_gc as RegistryGcSettings | undefined;

/** The rollout tag that marks managed images (`prod` unless `rollout_tag` says otherwise). */
export const rolloutTag = (vars: Record<string, unknown>): string => (typeof vars.rollout_tag === 'string' ? vars.rollout_tag : 'prod');

/**
 * The stages a build goes through, as the rollout tags their hosts follow, first to last (`[canary, prod]`); empty when the
 * variable is not set. A host whose rollout tag is a stage records what its rollouts adopt and roll back, and `promote` moves
 * each stage's tag to the build the stage before it ran long enough.
 */
export const stagesOf = (vars: Record<string, unknown>): readonly string[] =>
  Array.isArray(vars.stages) && vars.stages.every((s) => typeof s === 'string') ? (vars.stages as string[]) : [];

const isLoopback = (name: string): boolean => /^(localhost|127\.\d+\.\d+\.\d+|\[::1\])(:\d+)?$/.test(name);

/** `registry_tls` ({ca, cert, key}) and `registry_certs_dir`; `registry_ca` still names the CA when registry_tls does not. */
function registryTls(vars: Record<string, unknown>): Pick<RegistrySettings, 'tls' | 'certsDir'> {
  const given = (typeof vars.registry_tls === 'object' && vars.registry_tls !== null ? vars.registry_tls : {}) as Record<string, unknown>;
  const text = (value: unknown): string | undefined => (typeof value === 'string' && value !== '' ? value : undefined);
  const tls = { ca: text(given.ca) ?? text(vars.registry_ca), cert: text(given.cert), key: text(given.key) };
  const defined = Object.fromEntries(Object.entries(tls).filter(([, v]) => v !== undefined)) as NonNullable<RegistrySettings['tls']>;
  return {
    ...(Object.keys(defined).length > 0 ? { tls: defined } : {}),
    ...(text(vars.registry_certs_dir) !== undefined ? { certsDir: text(vars.registry_certs_dir) } : {}),
  };
}

/**
 * Registry settings from merged variables: `registry` (name), `registry_url`, `registry_auth`
 * (`username` with `password`, `password_env` or `password_file`, resolved by the loader into `password`), `registry_tls`
 * (or `registry_ca`), `registry_certs_dir`.
 */
export function registrySettings(vars: Record<string, unknown>): RegistrySettings | undefined {
  const name = vars.registry;
  if (typeof name !== 'string' || name === '') return undefined;
  const tls = registryTls(vars);
  // A loopback registry speaks plain HTTP unless TLS files are given for it.
  const scheme = isLoopback(name) && tls.tls === undefined ? 'http' : 'https';
  const url = typeof vars.registry_url === 'string' ? vars.registry_url : `${scheme}://${name}`;
  const auth = vars.registry_auth as { username?: string; password?: string } | undefined;
  return {
    name,
    url: url.replace(/\/+$/, ''),
    auth: auth?.username !== undefined ? { username: auth.username, password: auth.password ?? '' } : undefined,
    ...tls,
    ...(typeof vars.registry_concurrency === 'number' ? { concurrency: vars.registry_concurrency } : {}),
  };
}
