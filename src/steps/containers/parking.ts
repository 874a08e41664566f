import type Docker from 'dockerode';
import { renameContainer, startContainer, stopContainer } from './engine.js';
import { parkedName } from './managed.js';

/** A container `stop` sets aside. */
export interface ParkTarget {
  id: string;
  name: string;
  running: boolean;
  timeoutSeconds: number;
}

/** Stops a container (when running) and renames it `NAME.freshen-old`, freeing its name for the replacement. */
export async function park(docker: Docker, target: ParkTarget): Promise<void> {
  if (target.running) await stopContainer(docker, target.id, target.timeoutSeconds);
  await renameContainer(docker, target.id, parkedName(target.name));
}

/** Puts a parked container back under its name, and starts it again when it was running. */
export async function unpark(docker: Docker, parkedId: string, name: string, start: boolean): Promise<void> {
  await renameContainer(docker, parkedId, name);
  if (start) await startContainer(docker, parkedId);
}
