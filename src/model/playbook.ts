import type { MaintenanceWindow } from './window.js';
import type { NotifyTargetSpec } from '../notify/targets.js';

/** The step kinds a playbook may name. */
export const STEP_KINDS = [
  'discover',
  'rebuild',
  'patch',
  'push',
  'pull',
  'stop',
  'start',
  'service',
  'gc',
  'prune',
  'backup',
  'rollback',
  'pin',
  'promote',
  'rebase',
] as const;
export type StepKind = (typeof STEP_KINDS)[number];

export interface Playbook {
  file: string;
  /** Directory of the playbook file; relative paths in step options resolve against it. */
  dir: string;
  plays: Play[];
}

export interface Play {
  name: string;
  /** A host pattern: group or host names, `a:b` (union), `a:&b` (intersection), `a:!b` (exclusion), `*` globs. */
  hosts: string;
  /** Batch sizes: counts or percentages; the last one repeats. Undefined means one batch of all hosts. */
  serial?: Array<number | string>;
  max_fail_percentage?: number;
  /** Stop the whole run as soon as any host fails. */
  any_errors_fatal?: boolean;
  /** Pause between batches, as written (`10s`). */
  pause?: string;
  /** When the play may run: outside every window its hosts are skipped (unless `--ignore-window`). */
  window?: MaintenanceWindow[];
  /** Where the run's summary of this play goes afterwards. */
  notify?: NotifyTargetSpec[];
  vars: Record<string, unknown>;
  steps: StepSpec[];
}

export interface StepSpec {
  kind: StepKind;
  /** Options as written, after schema validation; each step applies its own defaults. */
  options: Record<string, unknown>;
  /** Index within the play, for messages. */
  index: number;
}
