import type { HostConnections } from '../adapters/types.js';
import type { Host, Inventory } from '../model/inventory.js';
import type { StepKind } from '../model/playbook.js';
import type { FileDiff, ImageDiff, StepResult } from '../model/results.js';
import type { StepDetails } from '../model/stepDetails.js';
import type { FactUpdate, HostFacts, RunState } from './facts.js';
import type { HostGuard } from '../containers/hostGuardPort.js';
import type { Files } from '../images/files.js';

/** Everything a step may read or use on one host. Steps never print: they return results and report progress through `progress`. */
export interface StepContext {
  host: Host;
  /** Host variables overlaid with play variables and `-e` extra variables. */
  vars: Record<string, unknown>;
  check: boolean;
  playbookDir: string;
  inventory: Inventory;
  connections: HostConnections;
  /** Connections of any inventory host (gc needs every host's running images). */
  connectionsOf(hostName: string): HostConnections;
  /** What earlier steps established on this host: read here, recorded only by the runner (see src/steps/facts.ts). */
  facts: HostFacts;
  run: RunState;
  /** The host guard (stop places it, start asks whether it was lost, the runner's finishHost releases it). */
  guard: HostGuard;
  /** The control node's files: the infra repo's image tree, Dockerfiles and build contexts, password files. */
  files: Files;
  signal: AbortSignal;
  progress(message: string): void;
  /** The wall clock (ms since the epoch) stage records and soak times are judged by: Date.now unless a test hands in its own. */
  now(): number;
}

/** What `apply` returns: the step's result, and the facts it established for later steps (the runner records them). */
export type Applied = StepResult & { facts?: FactUpdate };

/**
 * One step kind. `plan` only reads (and records planned facts for later steps); `changes` turns a plan into the sentences that
 * check mode reports; `apply` does exactly what the plan said and returns the result.
 */
export interface StepHandler<Plan = unknown, Options = unknown> {
  kind: StepKind;
  /** `options` as the kind's parser made them (src/steps/<kind>/definition.ts), with the host's variables: typed, defaults applied. */
  plan(ctx: StepContext, options: Options): Promise<Plan>;
  /** Plain sentences, one per change the plan would make; empty means the step is `ok`. */
  changes(plan: Plan): string[];
  /** Informative lines shown whether or not anything changes. */
  notes?(plan: Plan): string[];
  /** Machine-readable findings shown whether or not anything changes (the JSON report's `details`). */
  details?(plan: Plan): StepDetails | undefined;
  /** What `--diff` shows: images before and after, per container. */
  diff?(plan: Plan): ImageDiff[];
  /** What `--diff` shows of the files the step edits: a unified diff per file. */
  fileDiffs?(plan: Plan): FileDiff[];
  /**
   * The facts this plan announces to later steps (discover's images, rebuild's builds, …), as a value: the runner records them,
   * so a plan itself writes no shared state. `check` tells whether the run only plans (push announces its pushes only then).
   */
  planned?(plan: Plan, check: boolean): FactUpdate;
  /** True when the step must still run after Ctrl-C because it settles what an earlier step left (start and parked containers). */
  settlesLeftovers?(facts: HostFacts): boolean;
  /**
   * Undoes what the step left for the rest of the host's steps (stop's guard), once the host is finished, however it ended;
   * returns the facts that changed by it.
   */
  finishHost?(ctx: StepContext): Promise<FactUpdate>;
  /** Why the step does not apply to this host at all (nothing built to push, not a registry host): reported `skipped`. */
  skipped?(plan: Plan): string | undefined;
  apply(ctx: StepContext, plan: Plan): Promise<Applied>;
}
