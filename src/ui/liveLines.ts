import { formatDuration } from '../model/duration.js';
import { countsOf, reasonOf, type StepResult } from '../model/results.js';

/** How many lines of a failure's reason the live view shows; the recap and --json have all of it. */
const REASON_LINES = 4;

/** Cuts a line to `width` columns, marking the cut with an ellipsis. */
export const fitLine = (line: string, width: number): string => (line.length <= width ? line : `${line.slice(0, Math.max(1, width - 1))}…`);

/** The lines the live view keeps under a host once a step has ended: `changed pull (195ms)`, then its actions or reason. */
export function stepLines(kind: string, result: StepResult, durationMs: number, width: number): string[] {
  const head = `${result.status} ${kind} (${formatDuration(durationMs)})`;
  const { rolledBack, rescued } = countsOf(result);
  const counts = [rolledBack ? `rolled_back=${rolledBack}` : '', rescued ? `rescued=${rescued}` : ''].filter(Boolean);
  const reason = (reasonOf(result) ?? '').split('\n').filter((l) => l.trim() !== '');
  const shownReason =
    reason.length > REASON_LINES
      ? [...reason.slice(0, REASON_LINES), `(${reason.length - REASON_LINES} more lines in the recap's reasons and --json)`]
      : reason;
  return [
    counts.length > 0 ? `${head} ${counts.join(' ')}` : head,
    ...result.actions.map((action) => `  - ${action}`),
    ...shownReason.map((line) => `  ${line}`),
  ].map((line) => fitLine(line, width));
}

/** Per-host totals the live view shows in a finished host's title. */
export interface HostTally {
  counts: Partial<Record<StepResult['status'], number>>;
  rolledBack: number;
  rescued: number;
}

export const emptyTally = (): HostTally => ({ counts: {}, rolledBack: 0, rescued: 0 });

export function addToTally(tally: HostTally, result: StepResult): void {
  tally.counts[result.status] = (tally.counts[result.status] ?? 0) + 1;
  tally.rolledBack += countsOf(result).rolledBack;
  tally.rescued += countsOf(result).rescued;
}

/** A finished host's title: `web2 (2.1s): changed=3 ok=0`, listing only the non-zero counts in recap order. */
export function hostTitle(host: string, tally: HostTally, durationMs: number, interrupted = false): string {
  const order: Array<StepResult['status']> = ['ok', 'changed', 'unreachable', 'failed', 'skipped'];
  const cells = [
    ...order.filter((status) => (tally.counts[status] ?? 0) > 0).map((status) => `${status}=${tally.counts[status]}`),
    ...(tally.rescued > 0 ? [`rescued=${tally.rescued}`] : []),
    ...(tally.rolledBack > 0 ? [`rolled_back=${tally.rolledBack}`] : []),
  ];
  return `${host} (${formatDuration(durationMs)}): ${cells.join(' ') || 'nothing ran'}${interrupted ? ', interrupted' : ''}`;
}

/** A running host's title: `web2 › start 4s: waiting for app to become healthy`. */
export function runningTitle(host: string, step: string, elapsedMs: number, progress: string | undefined, width: number): string {
  return fitLine(`${host} › ${step} ${Math.floor(elapsedMs / 1000)}s${progress ? `: ${progress}` : ''}`, width);
}
