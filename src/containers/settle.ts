import { originalName } from './managed.js';
import type { OrderChoice } from './startOrder.js';
import type { StartItem } from '../steps/start/replace.js';
import { containerName, type ContainerInspect } from './types.js';

/** A parked container is down already: nothing is left to keep serving while its replacement starts. */
const PARKED_ORDER: OrderChoice = { order: 'stop-first', why: 'parked by an interrupted run' };

/** A container named like a parked one's original but configured with another image: not ours to remove. */
export class NameConflictError extends Error {
  readonly code = 'name-conflict';
}

/**
 * Decides how `start` settles one parked container, given the container now called by its original name (if any) and the image
 * ID its reference names on the engine now:
 * - no such container → `replace`;
 * - one of the same reference, running the current image, when the original was running → `adopt` (an interrupted run got
 *   that far; it still has to pass the health gate);
 * - one of the same reference otherwise (stopped, or an older image) → `redo`: it is an unfinished replacement;
 * - one of another reference → `NameConflictError`: someone else's container, left alone.
 */
export function settleParked(
  parked: ContainerInspect,
  existing: ContainerInspect | undefined,
  startAfter: boolean,
  currentImageId: string | undefined,
): StartItem {
  const name = originalName(containerName(parked));
  const base = { name, parkedAs: containerName(parked), ref: parked.Config.Image, startAfter, parkedId: parked.Id, order: PARKED_ORDER };
  if (!existing) return { ...base, action: 'replace' };
  if (existing.Config.Image !== parked.Config.Image) {
    throw new NameConflictError(
      `${name} exists and runs ${existing.Config.Image}, not ${parked.Config.Image} like ${base.parkedAs}; resolve by hand (nothing was changed)`,
    );
  }
  const adopt = startAfter && existing.State.Running && currentImageId !== undefined && existing.Image === currentImageId;
  return { ...base, action: adopt ? 'adopt' : 'redo', leftoverId: existing.Id };
}
