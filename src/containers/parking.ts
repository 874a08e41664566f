import type { Engine } from '../adapters/engine.js';
import { parkedName } from './managed.js';

/**
 * A container `stop` hands to `start` (or, in check mode, would hand): the fact stop passes on. `start` stops and parks it right
 * before its replacement starts, so each container is down only for its own stop and start.
 */
export interface ParkedContainer {
  name: string;
  parkedAs: string;
  planned: boolean;
  /** False when the container was already stopped: `start` then creates its replacement without starting it. */
  wasRunning?: boolean;
  /** The container still under `name`, and how long it may take to stop. */
  handed?: { id: string; timeoutSeconds: number };
}

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
