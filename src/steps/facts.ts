import type { BuiltImage } from '../images/builtImage.js';
import type { ManagedImage } from '../images/managedImage.js';
import type { PulledImage } from '../images/pulledImage.js';
import { RunPushes } from '../images/runPushes.js';
import type { ParkedContainer } from '../containers/parking.js';

// The facts steps hand each other. A step reads them on its context and never writes them: its plan announces facts and its
// apply returns what it established, as values, and the runner records both (src/runner/recordFacts.ts), each fact by one rule.
// Each fact's type lives with its domain; this file only says which step owns which fact.

/** What earlier steps of this run learned or did on one host. Read-only to steps. */
export interface HostFacts {
  /** The managed images and their staleness (owner: discover; replaced; rebase replaces it with what it rebased marked fresh). */
  readonly images?: readonly ManagedImage[];
  /** Images built this run (owners: rebuild and patch, each for its own repositories; merged by repository). */
  readonly built?: readonly BuiltImage[];
  /** Image references pulled (or to be pulled) on this host, with the image ID now local (owner: pull; replaced). */
  readonly pulled?: readonly PulledImage[];
  /** Containers `stop` handed to `start` (owners: stop sets them, start settles them; replaced). Parked ones of an interrupted run are found by listing. */
  readonly stopped?: readonly ParkedContainer[];
  /** The key of the guard `stop` placed on the host (owner: stop; cleared when the host is finished). */
  readonly guard?: string;
}

/**
 * What a step's plan announces or its apply established, for the runner to record. `built` joins the builds of other steps:
 * it takes the place of earlier entries of its own repositories and of `builtReplacing` (a step's announced builds that came
 * out identical or failed). `guard: null` clears the guard. `pushes` are references a check run would push (run-wide).
 */
export interface FactUpdate {
  images?: readonly ManagedImage[];
  built?: readonly BuiltImage[];
  builtReplacing?: readonly string[];
  pulled?: readonly PulledImage[];
  stopped?: readonly ParkedContainer[];
  guard?: string | null;
  pushes?: readonly string[];
}

/** State shared by all hosts of a run. */
export interface RunState {
  /** What this run pushes (or would push), and the uploads under way. */
  readonly pushes: RunPushes;
}

export const newRunState = (): RunState => ({ pushes: new RunPushes() });
