import type { ManagedImage } from '../images/managedImage.js';
import type { BuiltImage } from '../steps/rebuild/builtImage.js';
import type { PulledImage } from '../steps/pull/pull.js';
import type { ParkedContainer } from '../steps/stop/stop.js';

// The facts steps hand each other, each declared by the step that produces it: one field per producer, written only by the
// runner from a plan's `planned` value or by the producing step's apply.

/** What earlier steps of this run learned or did on one host. */
export interface HostFacts {
  images?: ManagedImage[];
  built?: BuiltImage[];
  /** Image references pulled (or to be pulled) on this host, with the image ID now local. */
  pulled?: PulledImage[];
  /** Containers `stop` handed to `start` (parked ones of an interrupted run are found by listing). */
  stopped?: ParkedContainer[];
  /** The key of the guard `stop` placed on the host, released when the host is finished. */
  guard?: string;
}

/** State shared by all hosts of a run. */
export interface RunState {
  /** Image references pushed (or planned to be pushed) by this run, by reference. */
  pushed: Map<string, { digest?: string; planned: boolean }>;
  /** Number of pushes in flight; gc refuses to sweep while this is above zero. */
  pushesInFlight: number;
}

export const newRunState = (): RunState => ({ pushed: new Map(), pushesInFlight: 0 });

/** What a step's plan announces: facts of its host, and references this run will push (run-wide). */
export interface PlannedFacts {
  host?: Partial<HostFacts>;
  pushes?: string[];
}

/** Records a plan's announced facts where later steps read them. */
export function recordPlanned(facts: HostFacts, run: RunState, planned: PlannedFacts): void {
  Object.assign(facts, planned.host);
  for (const ref of planned.pushes ?? []) run.pushed.set(ref, { planned: true });
}
