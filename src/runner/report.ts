import { addToRecap, countsOf, emptyRecap, type HostRecap, type FileDiff, type ImageDiff, type StepResult } from '../model/results.js';
import type { StepKind } from '../model/playbook.js';
import type { StepDetails } from '../model/stepDetails.js';
import type { RunMoment } from './clock.js';

/** One step's outcome on one host, as written to the JSON report. */
export interface StepRecord {
  step: StepKind;
  status: StepResult['status'];
  actions: string[];
  notes: string[];
  reason?: string;
  code?: string;
  rolled_back?: number;
  rescued?: number;
  /** The step's machine-readable findings (e.g. discover's verdicts), when it has any. */
  details?: StepDetails;
  /** Under `--diff`: images before and after, per container. */
  diff?: ImageDiff[];
  /** Under `--diff`: the files the step edits, a unified diff each. */
  file_diffs?: FileDiff[];
  /** When the step started (ISO 8601, whole milliseconds of the run's monotonic clock). */
  started_at: string;
  /** When it ended, from the same clock: never before `started_at`, nor before any earlier step's end. */
  ended_at: string;
  /** `ended_at` minus `started_at`, in milliseconds. */
  duration_ms: number;
  /** The run's event sequence number of the step's start: orders steps across hosts and batches without clock arithmetic. */
  started_seq: number;
  /** The sequence number of the step's end: a step that started after another ended has `started_seq` above its `ended_seq`. */
  ended_seq: number;
}

export interface PlayRecord {
  name: string;
  hosts: Record<string, StepRecord[]>;
  /** Why the play stopped early, when it did (max_fail_percentage exceeded, interrupted, …). */
  stopped?: string;
}

/** The report format's version: raised when a field changes meaning or goes away (new fields do not raise it). */
export const REPORT_SCHEMA_VERSION = 1;

/** What the report says of the run itself, set by the CLI on every exit. */
export interface RunFacts {
  schema_version: number;
  freshen_version: string;
  playbook: string;
  inventory: string;
  limit?: string;
  started_at: string;
  ended_at: string;
  exit_code: number;
}

/** The whole run, as `--json FILE` writes it (schema: schemas/report.schema.json). */
export interface RunReport extends Partial<RunFacts> {
  /** What freshen said on stderr, for a run that stopped before it started (exit 5, a held lock). */
  diagnostics?: string[];
  /** What became of each notify target after the run (set by the CLI, after the run). */
  notifications?: Array<{ target: string; status: 'sent' | 'skipped' | 'failed'; reason?: string }>;
  check: boolean;
  plays: PlayRecord[];
  recap: Record<string, HostRecap>;
  interrupted: boolean;
}

export function stepRecord(step: StepKind, result: StepResult, started: RunMoment, ended: RunMoment): StepRecord {
  return {
    step,
    status: result.status,
    actions: result.actions,
    notes: result.notes,
    ...('reason' in result ? { reason: result.reason } : {}),
    ...('code' in result ? { code: result.code } : {}),
    ...(countsOf(result).rolledBack ? { rolled_back: countsOf(result).rolledBack } : {}),
    ...(countsOf(result).rescued ? { rescued: countsOf(result).rescued } : {}),
    ...(result.details !== undefined ? { details: result.details } : {}),
    ...(result.diff && result.diff.length > 0 ? { diff: result.diff } : {}),
    ...(result.fileDiffs && result.fileDiffs.length > 0 ? { file_diffs: result.fileDiffs } : {}),
    started_at: new Date(started.ms).toISOString(),
    ended_at: new Date(ended.ms).toISOString(),
    duration_ms: ended.ms - started.ms,
    started_seq: started.seq,
    ended_seq: ended.seq,
  };
}

/** Folds every step record into per-host totals. */
export function recapOf(plays: PlayRecord[]): Record<string, HostRecap> {
  const recap: Record<string, HostRecap> = {};
  for (const play of plays) {
    for (const [host, records] of Object.entries(play.hosts)) {
      const hostRecap = (recap[host] ??= emptyRecap());
      for (const record of records) addToRecap(hostRecap, { status: record.status, rolledBack: record.rolled_back, rescued: record.rescued });
    }
  }
  return recap;
}

/** ansible-playbook's exit codes: 0 fine, 2 a host failed, 4 a host unreachable (failures win), 130 interrupted. */
export function exitCodeOf(report: RunReport): number {
  if (report.interrupted) return 130;
  const totals = Object.values(report.recap);
  if (totals.some((t) => t.failed > 0)) return 2;
  if (totals.some((t) => t.unreachable > 0)) return 4;
  return 0;
}
