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

/**
 * `built` with `added` in place of every entry of `replacing` and of `added`'s repositories. Two steps of a play build
 * (rebuild and patch): each owns its repositories' entries, so neither takes the other's away, in a plan or an apply.
 */
export function withBuilt(built: readonly BuiltImage[] | undefined, added: readonly BuiltImage[], replacing: readonly string[] = []): BuiltImage[] {
  const gone = new Set([...replacing, ...added.map((image) => image.repository)]);
  return [...(built ?? []).filter((image) => !gone.has(image.repository)), ...added];
}

/** Records a plan's announced facts where later steps read them; announced builds join those of earlier steps. */
export function recordPlanned(facts: HostFacts, run: RunState, planned: PlannedFacts): void {
  const { built, ...rest } = planned.host ?? {};
  Object.assign(facts, rest);
  if (built !== undefined) facts.built = withBuilt(facts.built, built);
  for (const ref of planned.pushes ?? []) run.pushed.set(ref, { planned: true });
}
