import { containerName, type ContainerInspect } from './types.js';

// Containers that share another container's network namespace (`--network container:PARENT`). Docker stores the parent's full ID
// in `HostConfig.NetworkMode` and joins that namespace once, at start: when the parent is replaced (or only restarted), such a
// dependent is left in a namespace nobody else has, and a restart fails for good once the old parent is removed. This is the
// loss Watchtower users report. The helpers here are pure; dependents.ts does the I/O.

/** `container:abc` → `abc`; undefined for any other network mode. */
export const networkParentOf = (mode: string | undefined): string | undefined =>
  mode?.startsWith('container:') === true ? mode.slice('container:'.length) : undefined;

/** True when `ref` (an ID, a prefix of at least 12 characters, or a name) names `container`. */
export function refersTo(ref: string, container: Pick<ContainerInspect, 'Id' | 'Name'>): boolean {
  if (ref === containerName(container) || ref === container.Id) return true;
  return ref.length >= 12 && /^[0-9a-f]+$/.test(ref) && container.Id.startsWith(ref);
}

/** A container that shares a parent's network namespace and must be recreated when the parent is replaced. */
export interface NetworkDependent {
  id: string;
  name: string;
  running: boolean;
}

/** The containers whose network mode is `container:<parent>`, sorted by name, except those in `exclude` (by name). */
export function networkDependents(
  containers: ContainerInspect[],
  parent: Pick<ContainerInspect, 'Id' | 'Name'>,
  exclude: Set<string> = new Set(),
): NetworkDependent[] {
  return containers
    .filter((c) => c.Id !== parent.Id && !exclude.has(containerName(c)))
    .filter((c) => {
      const ref = networkParentOf(c.HostConfig.NetworkMode);
      return ref !== undefined && refersTo(ref, parent);
    })
    .map((c) => ({ id: c.Id, name: containerName(c), running: c.State.Running }))
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

/** The network mode of a replacement that shares the namespace of `parentName`'s replacement, by name (Docker resolves it at create). */
export const joinNetworkOf = (parentName: string): string => `container:${parentName}`;
