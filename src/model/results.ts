/** What one step did (or, in check mode, would do) on one host. The recap and the JSON report are built from these values alone. */
export type StepStatus = 'ok' | 'changed' | 'skipped' | 'failed' | 'unreachable';

export interface StepResult {
  status: StepStatus;
  /** Plain sentences, one per change made (or, in check mode, that would be made). */
  actions: string[];
  /** Informative lines that are not changes (verdicts, measurements). */
  notes: string[];
  /** Why the step failed, was skipped or could not reach the host. */
  reason?: string;
  /** Kebab-case cause for machines, e.g. `health-timeout`, `connection-refused`. */
  code?: string;
  /** Containers put back on their old image after a failed health gate. */
  rolledBack?: number;
  /** Leftovers of an interrupted run (parked or half-created containers) that this step brought back to a good state. */
  rescued?: number;
  /** What `--diff` shows: per container (or image reference) the image before and after, and whether it would be replaced. */
  diff?: ImageDiff[];
  /** Machine-readable findings of the step (e.g. discover's verdicts per image), copied to the JSON report as is. */
  details?: Record<string, unknown>;
}

/** One line of `--diff`: a container's image (or, without `container`, an image reference) before and after the step. */
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
}

export const ok = (notes: string[] = []): StepResult => ({ status: 'ok', actions: [], notes });
export const changed = (actions: string[], notes: string[] = []): StepResult => ({ status: 'changed', actions, notes });
export const skipped = (reason: string): StepResult => ({ status: 'skipped', actions: [], notes: [], reason });
export const failed = (reason: string, code = 'failed', actions: string[] = [], notes: string[] = []): StepResult => ({
  status: 'failed',
  actions,
  notes,
  reason,
  code,
});
export const unreachable = (reason: string, code = 'unreachable'): StepResult => ({
  status: 'unreachable',
  actions: [],
  notes: [],
  reason,
  code,
});

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

export function addToRecap(recap: HostRecap, result: Pick<StepResult, 'status' | 'rolledBack' | 'rescued'>): void {
  recap[result.status] += 1;
  recap.rescued += result.rescued ?? 0;
  recap.rolled_back += result.rolledBack ?? 0;
}
