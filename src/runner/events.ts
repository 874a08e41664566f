import type { Play, StepSpec } from '../model/playbook.js';
import type { StepResult } from '../model/results.js';
import type { RunReport } from './report.js';

/** What happened, before the runner stamps it with its place in the run. */
export type RunEventBody =
  | { type: 'run-start'; check: boolean; plays: number }
  | { type: 'play-start'; playIndex: number; play: Play; hosts: string[]; batches: string[][] }
  | { type: 'batch-start'; playIndex: number; batchIndex: number; batchCount: number; hosts: string[] }
  | { type: 'host-start'; playIndex: number; host: string; steps: StepSpec[] }
  | { type: 'step-start'; playIndex: number; host: string; step: StepSpec }
  | { type: 'progress'; playIndex: number; host: string; step: StepSpec; message: string }
  | { type: 'step-end'; playIndex: number; host: string; step: StepSpec; result: StepResult; durationMs: number }
  | { type: 'host-end'; playIndex: number; host: string; status: 'ok' | 'failed' | 'unreachable' | 'interrupted' | 'skipped' }
  | { type: 'play-end'; playIndex: number; stopReason?: string }
  | { type: 'notice'; message: string }
  | { type: 'run-end'; report: RunReport };

/**
 * What the runner tells the UI. Only the UI prints. `seq` orders the events of one run (strictly increasing, no clock involved);
 * `at` is when it happened, in whole milliseconds from the run's monotonic clock.
 */
export type RunEvent = RunEventBody & { seq: number; at: number };

export type EmitEvent = (event: RunEvent) => void;
