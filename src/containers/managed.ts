import { parseImageRef } from '../model/imageRef.js';
import { containerName, type ContainerInspect } from './types.js';

const PARKED_SUFFIX = '.freshen-old';

/** The name `stop` gives a container it sets aside: `NAME.freshen-old`. */
export const parkedName = (name: string): string => `${name}${PARKED_SUFFIX}`;

export const isParkedName = (name: string): boolean => name.endsWith(PARKED_SUFFIX) && name.length > PARKED_SUFFIX.length;

/** What pull notes, and `freshen status` lists, of a container freshen leaves alone. */
export const leftAloneNote = (name: string, reason: string): string => `${name} is left alone: ${reason}.`;

/** What pull notes, and `freshen status` lists, of a parked container an interrupted run left. */
export const parkedNote = (name: string): string => `${name} is parked, left by an interrupted run; the next start settles it.`;

/** `web.freshen-old` → `web`. */
export const originalName = (parked: string): string => parked.slice(0, -PARKED_SUFFIX.length);

const SPARE_SUFFIX = '.freshen-new';

/**
 * The name a replacement has while another container still holds `NAME`: a start-first replacement before the name is handed
 * over, or a failed replacement the host's guard moved aside. A run always removes one it finds (it never ran in production).
 */
export const spareName = (name: string): string => `${name}${SPARE_SUFFIX}`;

export const isSpareName = (name: string): boolean => name.endsWith(SPARE_SUFFIX) && name.length > SPARE_SUFFIX.length;

/** `web.freshen-new` → `web`. */
export const spareOriginal = (spare: string): string => spare.slice(0, -SPARE_SUFFIX.length);

/** The images a host's managed containers run: `REGISTRY/REPO:ROLLOUT_TAG`. */
export interface ManagedTarget {
  registry: string;
  tag: string;
}

/** A container that would be managed but is left alone, and why. */
export interface IgnoredContainer {
  name: string;
  reason: string;
}

export interface ManagedSelection {
  managed: ContainerInspect[];
  ignored: IgnoredContainer[];
}

/** True when `Config.Image` names a repository of the managed registry under the rollout tag (by tag, not pinned by digest). */
export function isManagedImage(configImage: string, target: ManagedTarget): boolean {
  if (!configImage.startsWith(`${target.registry}/`)) return false;
  const ref = parseImageRef(configImage);
  return ref.registry === target.registry && ref.tag === target.tag && ref.digest === undefined;
}

/**
 * Picks the managed containers (running or not) among a host's containers: configured image `REGISTRY/REPO:TAG`, not parked or spare,
 * not labelled `freshen.enable=false`. Auto-removed (`--rm`) containers are ignored: stopping one would delete it and its
 * anonymous volumes, so it cannot be parked and restored.
 */
export function selectManagedContainers(containers: ContainerInspect[], target: ManagedTarget): ManagedSelection {
  const managed: ContainerInspect[] = [];
  const ignored: IgnoredContainer[] = [];
  for (const container of containers) {
    const name = containerName(container);
    if (isParkedName(name) || isSpareName(name) || !isManagedImage(container.Config.Image, target)) continue;
    if (container.Config.Labels?.['freshen.enable']?.toLowerCase() === 'false') {
      ignored.push({ name, reason: 'labelled freshen.enable=false' });
    } else if (container.HostConfig.AutoRemove === true) {
      ignored.push({ name, reason: 'auto-removed (--rm) containers cannot be parked and restored' });
    } else {
      managed.push(container);
    }
  }
  managed.sort((a, b) => containerName(a).localeCompare(containerName(b)));
  return { managed, ignored };
}

/** The distinct image references of the managed containers, sorted. */
export const managedImageRefs = (managed: ContainerInspect[]): string[] => [...new Set(managed.map((container) => container.Config.Image))].sort();
