import type { Engine } from '../../adapters/engine.js';
import { errorMessage } from '../../adapters/errors.js';
import type { HealthGate } from '../../containers/health.js';
import type { ContainerInspect } from '../../containers/types.js';
import { formatDuration } from '../../model/duration.js';
import type { FailureCode } from '../../model/failureCodes.js';
import { waitUntilHealthy } from './gate.js';

// One attempt to replace a container, whichever way (stop-first: replace.ts, start-first: startFirst.ts): create the replacement,
// start it, hold it to the health gate, hand over. Anything that goes wrong before the handover is done undoes the attempt, so
// the original serves again; the ways differ only in what creating, handing over and undoing mean.

/** What happened to one replaced container; `failure` means it was rolled back (or could not be). */
export interface ReplaceOutcome {
  actions: string[];
  failure?: { code: FailureCode; reason: string };
  /** True when the original was put back under its name (after a failed gate, an error or an interruption). */
  rolledBack?: boolean;
}

const LOG_LINES = 20;

/** The replacement's last log lines, for a failure's reason. */
export const logBlock = (lines: string[]): string =>
  lines.length === 0 ? ' The new container wrote no log lines.' : ` Last log lines of the new container:\n${lines.map((l) => `  | ${l}`).join('\n')}`;

/** Why an attempt is undone: the gate failed (`gated`, with the replacement's last log lines), or a step threw or was interrupted. */
export interface AttemptFailure {
  code: FailureCode;
  /** What failed, for the gate and for errors; undefined for an interruption (each way says what was cut short). */
  detail?: string;
  logs?: string[];
  gated: boolean;
}

/** One way of replacing a container, as the steps the attempt runs. */
export interface ReplacementWay {
  /**
   * Creates the replacement (or takes over the one an interrupted run left) and returns it with its restart count now. It
   * calls `made` as soon as the container exists, so a failure later in `create` still undoes it.
   */
  create(made: (id: string) => void): Promise<{ id: string; restartCount: number; created: ContainerInspect | undefined }>;
  /** False when the original was not running: the replacement is left stopped like it, and not gated. */
  startsAfter: boolean;
  /** The progress line while the gate waits. */
  waiting: string;
  /** The rest, once the replacement passed its gate (`healthy` says how): what makes it the container. Throws to undo. */
  handOver(newId: string, healthy: string): Promise<ReplaceOutcome>;
  /** Takes the attempt back (`newId` undefined when nothing was created yet). */
  undo(newId: string | undefined, failure: AttemptFailure): Promise<ReplaceOutcome>;
  /** The outcome of an error the handover threw after it could no longer be undone, if it had got that far. */
  pastUndoing?(error: unknown): ReplaceOutcome | undefined;
}

export async function attemptReplacement(
  engine: Engine,
  way: ReplacementWay,
  gate: Omit<HealthGate, 'restartCount'>,
  signal: AbortSignal,
  progress: (message: string) => void,
): Promise<ReplaceOutcome> {
  let newId: string | undefined;
  try {
    const { id, restartCount, created } = await way.create((made) => {
      newId = made;
    });
    newId = id;
    let healthy = 'left stopped like the original';
    if (way.startsAfter) {
      await engine.startContainer(id);
      progress(way.waiting);
      const verdict = await waitUntilHealthy(engine, id, { ...gate, restartCount }, signal);
      if (verdict.state === 'failed') {
        const logs = await engine.tailLogs(id, created?.Config.Tty ?? false, LOG_LINES);
        return await way.undo(id, { code: verdict.code, detail: verdict.detail, logs, gated: true });
      }
      healthy = `healthy after ${formatDuration(verdict.elapsedMs)}`;
    }
    return await way.handOver(id, healthy);
  } catch (error) {
    const past = way.pastUndoing?.(error);
    if (past !== undefined) return past;
    if (signal.aborted) return await way.undo(newId, { code: 'interrupted', gated: false });
    return await way.undo(newId, { code: 'replace-failed', detail: errorMessage(error), gated: false });
  }
}
