import type { Engine } from '../adapters/engine.js';
import { parkedName } from './managed.js';

/** A container `stop` sets aside. */
export interface ParkTarget {
  id: string;
  name: string;
  running: boolean;
  timeoutSeconds: number;
}

/**
 * Renames a container `NAME.freshen-old`, freeing its name for the replacement, then stops it (when running). Renaming first means
 * a run killed in between leaves a parked container, which the next `start` finds and settles, never a stopped one under its own
 * name that would look like a container the user had stopped.
 */
export async function park(engine: Engine, target: ParkTarget): Promise<void> {
  await engine.renameContainer(target.id, parkedName(target.name));
  if (target.running) await engine.stopContainer(target.id, target.timeoutSeconds);
}

/** Puts a parked container back under its name, and starts it again when it was running. */
export async function unpark(engine: Engine, parkedId: string, name: string, start: boolean): Promise<void> {
  await engine.renameContainer(parkedId, name);
  if (start) await engine.startContainer(parkedId);
}
