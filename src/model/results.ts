import type { FailureCode, UnreachableCode } from './failureCodes.js';
import type { StepDetails } from './stepDetails.js';

/** What one step did (or, in check mode, would do) on one host. The recap and the JSON report are built from these values alone. */
export type StepStatus = StepResult['status'];

/** What every outcome carries. */
interface Outcome {
  /** Plain sentences, one per change made (or, in check mode, that would be made). Empty unless `changed` or `failed`. */
  actions: string[];
  /** Informative lines that are not changes (verdicts, measurements). */
  notes: string[];
  /** What `--diff` shows: per container (or image reference) the image before and after, and whether it would be replaced. */
  diff?: ImageDiff[];
  /** What `--diff` shows of files a step edits (pin's): a unified diff per file. */
  fileDiffs?: FileDiff[];
  /** Machine-readable findings of the step (e.g. discover's verdicts per image), copied to the JSON report as is. */
  details?: StepDetails;
}

/** Counts of containers a rollout step put back or brought back. */
interface ContainerCounts {
  /** Containers put back on their old image after a failed health gate. */
  rolledBack?: number;
  /** Leftovers of an interrupted run (parked or half-created containers) that this step brought back to a good state. */
  rescued?: number;
}

/**
 * A step's outcome on one host, a closed union: each status has exactly the fields it can have. `skipped` says why the step did
 * not run; `failed` and `unreachable` say why with a reason and an enumerated code (src/model/failureCodes.ts).
 */
export type StepResult =
  | (Outcome & { status: 'ok'; actions: [] })
  | (Outcome & ContainerCounts & { status: 'changed' })
  | (Outcome & { status: 'skipped'; actions: []; reason: string })
  // A peer lost after the step had changed something fails the step with the connection's code.
  | (Outcome & ContainerCounts & { status: 'failed'; reason: string; code: FailureCode | UnreachableCode })
  | (Outcome & { status: 'unreachable'; actions: []; reason: string; code: UnreachableCode });

/** One line of `--diff`: a container's image (or, without `container`, an image reference) before and after the step. */
/** A file a step changes (or would), as a unified diff: `--- a/PATH`, `+++ b/PATH` and its hunks, one line each. */
export interface FileDiff {
  file: string;
  lines: string[];
}

export interface ImageDiff {
  /** The container; absent for an image reference no container is named for. */
  container?: string;
  /** `REGISTRY/REPO:TAG`. */
  ref: string;
  /** Manifest digest (else image ID) now; undefined when the engine does not have it. */
  before?: string;
  /** Manifest digest (else image ID) after the run; undefined when only a push planned by this run makes it new. */
  after?: string;
  /** True when the container would be replaced (stopped, recreated on the new image). */
  replace: boolean;
  /** `start`'s order for the replacement, and why it got it. */
  order?: 'stop-first' | 'start-first';
  why?: string;
}

export const ok = (notes: string[] = []): StepResult => ({ status: 'ok', actions: [], notes });
export const changed = (actions: string[], notes: string[] = []): StepResult => ({ status: 'changed', actions, notes });
export const skipped = (reason: string, notes: string[] = []): StepResult => ({ status: 'skipped', actions: [], notes, reason });
export const failed = (reason: string, code: FailureCode | UnreachableCode = 'failed', actions: string[] = [], notes: string[] = []): StepResult => ({
  status: 'failed',
  actions,
  notes,
  reason,
  code,
});
export const unreachable = (reason: string, code: UnreachableCode = 'unreachable'): StepResult => ({
  status: 'unreachable',
  actions: [],
  notes: [],
  reason,
  code,
});

/** The reason and code of a result that has them (skipped, failed, unreachable). */
export const reasonOf = (result: StepResult): string | undefined => ('reason' in result ? result.reason : undefined);
export const codeOf = (result: StepResult): FailureCode | UnreachableCode | undefined => ('code' in result ? result.code : undefined);
/** Containers a rollout step put back (`rolledBack`) and leftovers it settled (`rescued`); zero for results that cannot have them. */
export const countsOf = (result: StepResult): { rolledBack: number; rescued: number } =>
  result.status === 'changed' || result.status === 'failed'
    ? { rolledBack: result.rolledBack ?? 0, rescued: result.rescued ?? 0 }
    : { rolledBack: 0, rescued: 0 };

/** Per-host totals, as in ansible-playbook's PLAY RECAP. */
export interface HostRecap {
  ok: number;
  changed: number;
  unreachable: number;
  failed: number;
  skipped: number;
  rescued: number;
  rolled_back: number;
}

export const emptyRecap = (): HostRecap => ({ ok: 0, changed: 0, unreachable: 0, failed: 0, skipped: 0, rescued: 0, rolled_back: 0 });

export function addToRecap(recap: HostRecap, result: { status: StepStatus; rolledBack?: number | undefined; rescued?: number | undefined }): void {
  recap[result.status] += 1;
  recap.rescued += result.rescued ?? 0;
  recap.rolled_back += result.rolledBack ?? 0;
}
