import { containerName, type ContainerInspect, type HostConfigInfo } from './types.js';

// Containers that share another container's namespaces: `--network container:PARENT`, `--pid container:PARENT`, `--ipc
// container:PARENT`. Docker stores the parent's full ID in the mode and joins that namespace once, at start: when the parent
// is replaced (or only restarted), such a dependent is left in a namespace nobody else has (network), or names a removed
// container and cannot start again (PID, IPC). This is the loss Watchtower users report. The helpers here are pure;
// dependents.ts does the I/O.

/** The namespaces one container can share with another, and the HostConfig field that says so. */
export type SharedNamespace = 'network' | 'pid' | 'ipc';
const MODE_FIELD: Record<SharedNamespace, 'NetworkMode' | 'PidMode' | 'IpcMode'> = { network: 'NetworkMode', pid: 'PidMode', ipc: 'IpcMode' };
const NAMESPACES = Object.keys(MODE_FIELD) as SharedNamespace[];

/** `container:abc` → `abc`; undefined for any other mode. */
export const networkParentOf = (mode: string | undefined): string | undefined =>
  mode?.startsWith('container:') === true ? mode.slice('container:'.length) : undefined;

const modeOf = (host: HostConfigInfo, namespace: SharedNamespace): string | undefined => {
  const mode = host[MODE_FIELD[namespace]];
  return typeof mode === 'string' ? mode : undefined;
};

/** The containers (as their modes name them) whose namespaces `host` joins, network first. */
export const namespaceParentsOf = (host: HostConfigInfo): string[] => NAMESPACES.flatMap((namespace) => networkParentOf(modeOf(host, namespace)) ?? []);

/** The containers (as `--volumes-from` names them: name or ID, without `:ro`/`:rw`) whose volumes `host` mounts. */
export const volumesParentsOf = (host: HostConfigInfo): string[] =>
  (Array.isArray(host.VolumesFrom) ? (host.VolumesFrom as unknown[]) : []).flatMap((entry) =>
    typeof entry === 'string' && entry !== '' ? [entry.replace(/:(ro|rw)$/, '')] : [],
  );

/** Which of its namespaces a container shares with `parent`. */
export const sharedWith = (host: HostConfigInfo, parent: Pick<ContainerInspect, 'Id' | 'Name'>): SharedNamespace[] =>
  NAMESPACES.filter((namespace) => {
    const ref = networkParentOf(modeOf(host, namespace));
    return ref !== undefined && refersTo(ref, parent);
  });

/** `network namespace`, `PID namespace`, `network and IPC namespaces`: how sentences name what is shared. */
export function namespacePhrase(shares: readonly SharedNamespace[]): string {
  const names = NAMESPACES.filter((namespace) => shares.includes(namespace)).map((namespace) =>
    namespace === 'network' ? 'network' : namespace.toUpperCase(),
  );
  if (names.length <= 1) return `${names[0] ?? 'network'} namespace`;
  return `${names.slice(0, -1).join(', ')} and ${names.at(-1)} namespaces`;
}

/** True when `ref` (an ID, a prefix of at least 12 characters, or a name) names `container`. */
export function refersTo(ref: string, container: Pick<ContainerInspect, 'Id' | 'Name'>): boolean {
  if (ref === containerName(container) || ref === container.Id) return true;
  return ref.length >= 12 && /^[0-9a-f]+$/.test(ref) && container.Id.startsWith(ref);
}

/** A container that shares namespaces of a parent and must be recreated when the parent is replaced. */
export interface NamespaceDependent {
  id: string;
  name: string;
  running: boolean;
  /** What it shares with the parent. */
  shares: SharedNamespace[];
}

/** The containers that join a namespace of `parent` (`container:<parent>`), sorted by name, except those in `exclude` (by name). */
export function namespaceDependents(
  containers: ContainerInspect[],
  parent: Pick<ContainerInspect, 'Id' | 'Name'>,
  exclude: Set<string> = new Set(),
): NamespaceDependent[] {
  return containers
    .filter((c) => c.Id !== parent.Id && !exclude.has(containerName(c)))
    .map((c) => ({ id: c.Id, name: containerName(c), running: c.State.Running, shares: sharedWith(c.HostConfig, parent) }))
    .filter((dependent) => dependent.shares.length > 0)
    .sort((a, b) => a.name.localeCompare(b.name));
}

/**
 * Orders items so that a container comes after the one whose network namespace it shares (`parentOf` names it), otherwise keeping
 * the given order: a parent must be replaced (and running) before a dependent can join it.
 */
export function parentsFirst<T extends { name: string }>(items: T[], parentOf: (item: T) => string | undefined): T[] {
  const byName = new Map(items.map((item) => [item.name, item]));
  const ordered: T[] = [];
  const placed = new Set<string>();
  const place = (item: T, seen: Set<string>): void => {
    if (placed.has(item.name) || seen.has(item.name)) return; // a cycle cannot exist in Docker; guard anyway
    seen.add(item.name);
    const parent = parentOf(item);
    const parentItem = parent === undefined ? undefined : byName.get(parent);
    if (parentItem) place(parentItem, seen);
    placed.add(item.name);
    ordered.push(item);
  };
  for (const item of items) place(item, new Set());
  return ordered;
}

/**
 * Splits items into waves that may be replaced at the same time: each item lands in the wave after its parent's (`parentOf`), so
 * a dependent only starts once the container whose namespace it joins is replaced. Order within a wave follows the given order.
 */
export function replacementWaves<T extends { name: string }>(items: T[], parentOf: (item: T) => string | undefined): T[][] {
  const byName = new Map(items.map((item) => [item.name, item]));
  const depth = new Map<string, number>();
  const depthOf = (item: T, seen: Set<string>): number => {
    const known = depth.get(item.name);
    if (known !== undefined) return known;
    const parent = parentOf(item);
    const parentItem = parent === undefined || seen.has(item.name) ? undefined : byName.get(parent);
    const d = parentItem ? depthOf(parentItem, new Set([...seen, item.name])) + 1 : 0;
    depth.set(item.name, d);
    return d;
  };
  const waves: T[][] = [];
  for (const item of items) (waves[depthOf(item, new Set())] ??= []).push(item);
  return waves.filter((wave) => wave !== undefined);
}

/** The modes of a replacement that shares `shares` of `parentName`'s replacement, by name (Docker resolves it at create). */
export const joinedModes = (shares: readonly SharedNamespace[], parentName: string): Partial<HostConfigInfo> =>
  Object.fromEntries(shares.map((namespace) => [MODE_FIELD[namespace], `container:${parentName}`]));
