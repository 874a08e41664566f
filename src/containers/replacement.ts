import type {
  ContainerConfig,
  ContainerCreateOptions,
  ContainerInspect,
  EndpointInfo,
  EndpointSpec,
  HealthConfig,
  HostConfigInfo,
  MountPoint,
  NetworkConnection,
} from './types.js';
import { isParkedName, originalName } from './managed.js';
import { containerName } from './types.js';

// Docker's inspect shows a container's configuration merged with its image's defaults (daemon `merge()`): Env, Labels, Cmd,
// Entrypoint, WorkingDir, User, Healthcheck, ExposedPorts, Volumes and StopSignal fill in from the image. Recreating with the
// merged values would freeze the OLD image's defaults into the new container, so values equal to the old image's are dropped
// and the new image's defaults apply. A value the user set equal to the old default is indistinguishable and follows the image.

const hasValue = (value: unknown): boolean => (Array.isArray(value) ? value.length > 0 : value !== undefined && value !== null && value !== '');

const isEmpty = (list: readonly unknown[] | null | undefined): boolean => list === undefined || list === null || list.length === 0;

const sameList = (a: readonly string[] | null | undefined, b: readonly string[] | null | undefined): boolean =>
  (a ?? []).length === (b ?? []).length && (a ?? []).every((item, i) => item === (b ?? [])[i]);

/** Keys of `a` not in `b`. */
function keysNotIn(a: Record<string, object> | null | undefined, b: Record<string, object> | null | undefined): string[] {
  return Object.keys(a ?? {}).filter((key) => !(b && key in b));
}

const asSet = (keys: string[]): Record<string, object> | undefined => (keys.length === 0 ? undefined : Object.fromEntries(keys.sort().map((key) => [key, {}])));

/**
 * Container environment entries the old image did not provide. `HOSTNAME=` the container's own hostname is what the runtime
 * sets in every container (Podman also reports it in `Config.Env`): kept, it would give the replacement the old one's name.
 */
export function ownEnv(env: string[] | null | undefined, imageEnv: string[] | null | undefined, hostname?: string): string[] | undefined {
  const own = (env ?? []).filter((entry) => !(imageEnv ?? []).includes(entry) && !(hostname !== undefined && entry === `HOSTNAME=${hostname}`));
  return own.length === 0 ? undefined : own;
}

/** Container labels whose value the old image did not give. */
export function ownLabels(
  labels: Record<string, string> | null | undefined,
  imageLabels: Record<string, string> | null | undefined,
): Record<string, string> | undefined {
  const own = Object.entries(labels ?? {}).filter(([key, value]) => imageLabels?.[key] !== value);
  return own.length === 0 ? undefined : Object.fromEntries(own);
}

/** Healthcheck fields the user set; Docker fills zero fields from the image, so dropping a field lets the new image's apply. */
export function ownHealthcheck(health: HealthConfig | null | undefined, imageHealth: HealthConfig | null | undefined): HealthConfig | undefined {
  if (!health) return undefined;
  const own: HealthConfig = {};
  if (!isEmpty(health.Test) && !sameList(health.Test, imageHealth?.Test)) own.Test = health.Test!;
  for (const field of ['Interval', 'Timeout', 'StartPeriod', 'Retries'] as const) {
    const value = health[field];
    if (value !== undefined && value !== 0 && value !== imageHealth?.[field]) own[field] = value;
  }
  return Object.keys(own).length === 0 ? undefined : own;
}

/** `src:dest[:options]` → `dest`. */
const bindDestination = (bind: string): string => bind.split(':')[1] ?? bind;

/**
 * Volumes mounted without a name the user chose (image `VOLUME`s, `-v /path`, `--mount type=volume` without source): Docker
 * would create fresh empty ones for a new container, so they are passed by the name Docker gave them, and reused.
 */
export function anonymousVolumeBinds(mounts: MountPoint[] | null | undefined, host: HostConfigInfo, inherited: ReadonlySet<string> = new Set()): string[] {
  const taken = new Set([...(host.Binds ?? []).map(bindDestination), ...(host.Mounts ?? []).map((mount) => mount.Target)]);
  return (mounts ?? [])
    .filter((mount) => mount.Type === 'volume' && mount.Name && !taken.has(mount.Destination) && !inherited.has(mount.Name))
    .map((mount) => `${mount.Name}:${mount.Destination}${mount.RW === false ? ':ro' : ''}`);
}

/** `--mount type=volume,dst=/x` (no source) gets the name of the volume it was given. */
function namedMounts(host: HostConfigInfo, mounts: MountPoint[] | null | undefined): HostConfigInfo['Mounts'] {
  if (!host.Mounts) return host.Mounts;
  return host.Mounts.map((mount) => {
    if (mount.Type !== 'volume' || mount.Source) return mount;
    const mounted = (mounts ?? []).find((point) => point.Type === 'volume' && point.Destination === mount.Target);
    return mounted?.Name ? { ...mount, Source: mounted.Name } : mount;
  });
}

/**
 * Inspect shows legacy links as `/other:/self/alias`, a user network's endpoint links as `other:alias` or, given without an
 * alias, `other`; create takes `other:alias` or `other` (an empty alias, `other:`, is refused).
 */
export const createLink = (link: string): string => {
  const [target = '', alias] = link.split(':');
  const name = target.replace(/^\//, '');
  const shortAlias = alias?.slice(alias.lastIndexOf('/') + 1);
  return shortAlias ? `${name}:${shortAlias}` : name;
};

/** A ulimit's name as create takes it: Podman reports `RLIMIT_NOFILE` in inspect and refuses that name on create. */
export const ulimitName = (name: string): string => name.replace(/^RLIMIT_/i, '').toLowerCase();

/** The copy of HostConfig the replacement is created with: everything kept, volumes by name, links in create syntax. */
export function replacementHostConfig(old: ContainerInspect, inherited: ReadonlySet<string> = new Set()): HostConfigInfo {
  const host = old.HostConfig;
  const anonymous = anonymousVolumeBinds(old.Mounts, host, inherited);
  const copy: HostConfigInfo = { ...host };
  if (Array.isArray(host.Ulimits)) copy.Ulimits = (host.Ulimits as Array<{ Name: string }>).map((limit) => ({ ...limit, Name: ulimitName(limit.Name) }));
  if (anonymous.length > 0) copy.Binds = [...(host.Binds ?? []), ...anonymous];
  if (host.Mounts) copy.Mounts = namedMounts(host, old.Mounts);
  if (host.Links) copy.Links = host.Links.map(createLink);
  return copy;
}

const BUILTIN_NETWORK_MODES = new Set(['', 'default', 'bridge', 'host', 'none']);

/** Network modes that are a network of their own (user-defined), where endpoint settings such as aliases apply. */
export const isUserNetwork = (mode: string | undefined): mode is string =>
  mode !== undefined && !BUILTIN_NETWORK_MODES.has(mode) && !mode.startsWith('container:');

/** An endpoint's user settings; Docker adds the container's short ID as an alias itself, so that one is left out. */
export function endpointSpec(endpoint: EndpointInfo, containerId: string): EndpointSpec {
  const spec: EndpointSpec = {};
  const ipam = endpoint.IPAMConfig;
  if (ipam && Object.values(ipam).some(hasValue)) spec.IPAMConfig = ipam;
  if (!isEmpty(endpoint.Links)) spec.Links = endpoint.Links!.map(createLink);
  const aliases = (endpoint.Aliases ?? []).filter((alias) => alias !== containerId.slice(0, 12));
  if (aliases.length > 0) spec.Aliases = aliases;
  if (endpoint.DriverOpts && Object.keys(endpoint.DriverOpts).length > 0) spec.DriverOpts = endpoint.DriverOpts;
  return spec;
}

/** Networks beyond the network mode's own, connected after create: API 1.41 takes a single endpoint at create. */
export function extraNetworkConnections(old: ContainerInspect): NetworkConnection[] {
  const mode = old.HostConfig.NetworkMode;
  const primary = isUserNetwork(mode) ? mode : mode === 'default' || mode === 'bridge' || mode === '' ? 'bridge' : undefined;
  if (primary === undefined) return []; // host, none and container:X allow no other network
  return Object.entries(old.NetworkSettings?.Networks ?? {})
    .filter(([network]) => network !== primary)
    .sort(([a], [b]) => a.localeCompare(b))
    .map(([network, endpoint]) => ({ network, EndpointConfig: endpointSpec(endpoint, old.Id) }));
}

/** Drops keys whose value is undefined, so specs compare (and serialise) cleanly. */
function compact<T extends object>(value: T): T {
  return Object.fromEntries(Object.entries(value).filter(([, v]) => v !== undefined)) as T;
}

const unlessDefault = (value: string | undefined, imageValue: string | undefined): string | undefined =>
  value === undefined || value === '' || value === imageValue ? undefined : value;

/**
 * The create request for a container replacing `old` (named as `old` was before it was parked): its whole configuration with `image` (the same reference, now naming the
 * new image), minus the values the old image supplied (`oldImage`, the old image's `Config`). Hostname and domain name are kept
 * only when the user set them (Docker's default hostname is the short container ID; `container:` network mode allows neither).
 */
export function replacementSpec(
  old: ContainerInspect,
  oldImage: ContainerConfig | null | undefined,
  image: string,
  /** Volumes it mounts through `--volumes-from`: kept by that reference, not copied into its binds. */
  inherited: ReadonlySet<string> = new Set(),
): ContainerCreateOptions {
  const config = old.Config;
  const img = oldImage ?? {};
  const networkMode = old.HostConfig.NetworkMode;
  const sharesNetwork = networkMode?.startsWith('container:') ?? false;
  const defaultEntrypoint = sameList(config.Entrypoint, img.Entrypoint);
  const primary = isUserNetwork(networkMode) ? old.NetworkSettings?.Networks?.[networkMode] : undefined;
  // A published port must stay exposed even when only the old image exposed it.
  const exposed = [...keysNotIn(config.ExposedPorts, img.ExposedPorts), ...Object.keys(old.HostConfig.PortBindings ?? {})];
  return compact<ContainerCreateOptions>({
    name: isParkedName(containerName(old)) ? originalName(containerName(old)) : containerName(old),
    Image: image,
    Hostname: sharesNetwork || config.Hostname === old.Id.slice(0, 12) ? undefined : unlessDefault(config.Hostname, undefined),
    Domainname: sharesNetwork ? undefined : unlessDefault(config.Domainname, undefined),
    User: unlessDefault(config.User, img.User),
    AttachStdin: config.AttachStdin ?? false,
    AttachStdout: config.AttachStdout ?? false,
    AttachStderr: config.AttachStderr ?? false,
    Tty: config.Tty ?? false,
    OpenStdin: config.OpenStdin ?? false,
    StdinOnce: config.StdinOnce ?? false,
    Env: ownEnv(config.Env, img.Env, config.Hostname),
    // A user-set entrypoint discards the image's Cmd, so the container's Cmd is then the user's own.
    Entrypoint: defaultEntrypoint ? undefined : (config.Entrypoint ?? undefined),
    Cmd: (defaultEntrypoint && sameList(config.Cmd, img.Cmd)) || isEmpty(config.Cmd) ? undefined : config.Cmd!,
    Labels: ownLabels(config.Labels, img.Labels),
    Volumes: asSet(keysNotIn(config.Volumes, img.Volumes)),
    WorkingDir: unlessDefault(config.WorkingDir, img.WorkingDir),
    ExposedPorts: asSet([...new Set(exposed)]),
    StopSignal: unlessDefault(config.StopSignal, img.StopSignal),
    // Set through the API only (or the Dockerfile's SHELL, which the new image's own then replaces).
    Shell: isEmpty(config.Shell) || sameList(config.Shell, img.Shell) ? undefined : config.Shell!,
    StopTimeout: typeof config.StopTimeout === 'number' ? config.StopTimeout : undefined,
    Healthcheck: ownHealthcheck(config.Healthcheck, img.Healthcheck),
    MacAddress: unlessDefault(config.MacAddress, undefined),
    NetworkDisabled: config.NetworkDisabled === true ? true : undefined,
    HostConfig: replacementHostConfig(old, inherited),
    NetworkingConfig: isUserNetwork(networkMode) && primary ? { EndpointsConfig: { [networkMode]: endpointSpec(primary, old.Id) } } : undefined,
  });
}
