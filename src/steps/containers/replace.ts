import type Docker from 'dockerode';
import { errorMessage } from '../../adapters/errors.js';
import { formatDuration } from '../../model/duration.js';
import { shortDigest } from '../../model/imageRef.js';
import {
  createContainer,
  inspectContainer,
  isNotFound,
  localImage,
  removeContainer,
  startContainer,
  tailLogs,
  waitUntilHealthy,
} from './engine.js';
import type { HealthGate } from './health.js';
import { unpark } from './parking.js';
import { extraNetworkConnections, replacementSpec } from './replacement.js';
import type { ContainerInspect } from './types.js';

/**
 * How `start` settles one parked container: `replace` creates the replacement; `adopt` gates a replacement an interrupted run
 * left running the current image; `redo` removes an unfinished replacement first, then replaces.
 */
export type StartAction = 'replace' | 'adopt' | 'redo';

/** One parked container `start` will settle. */
export interface StartItem {
  name: string;
  parkedAs: string;
  ref: string;
  action: StartAction;
  /** False when the original was not running: the replacement is created but not started. */
  startAfter: boolean;
  /** Undefined in check mode for containers `stop` only planned to park. */
  parkedId?: string;
  /** The container already named `name` (adopt, redo). */
  leftoverId?: string;
}

/** What happened to one parked container; `failure` means it was rolled back (or could not be). */
export interface ReplaceOutcome {
  actions: string[];
  failure?: { code: string; reason: string };
  /** True when the parked container was put back under its name (after a failed gate, an error or an interruption). */
  rolledBack?: boolean;
}

const LOG_LINES = 20;

const logBlock = (lines: string[]): string =>
  lines.length === 0 ? ' The new container wrote no log lines.' : ` Last log lines of the new container:\n${lines.map((l) => `  | ${l}`).join('\n')}`;

/** Removes the failed replacement (if any) and puts the parked container back under its name, started if it was running. */
async function rollBack(docker: Docker, newId: string | undefined, parked: ContainerInspect, item: StartItem): Promise<{ actions: string[]; problem?: string }> {
  try {
    if (newId !== undefined) {
      await removeContainer(docker, newId).catch((error: unknown) => {
        if (!isNotFound(error)) throw error;
      });
    }
    await unpark(docker, parked.Id, item.name, item.startAfter);
    return { actions: [`Rolled back ${item.name}: removed the new container and ${item.startAfter ? 'restarted' : 'restored'} the previous one`] };
  } catch (error) {
    return { actions: [], problem: `rolling back ${item.name} failed too (${errorMessage(error)}); ${item.parkedAs} is kept for the next run` };
  }
}

/**
 * Replaces one parked container: creates `NAME` from the parked container's configuration and the image its reference names now,
 * starts it, waits until healthy, then removes the parked container. On any failure the parked container is restored.
 */
export async function replaceParked(
  docker: Docker,
  item: StartItem,
  gate: Omit<HealthGate, 'restartCount'>,
  signal: AbortSignal,
  progress: (message: string) => void,
): Promise<ReplaceOutcome> {
  const actions: string[] = [];
  const parked = item.parkedId === undefined ? undefined : await inspectContainer(docker, item.parkedId);
  if (!parked) return { actions, failure: { code: 'parked-missing', reason: `${item.parkedAs} disappeared before it could be replaced` } };
  if (signal.aborted) {
    // Interrupted before this container's turn: put it back rather than start something new.
    const rollback = await rollBack(docker, undefined, parked, item);
    const reason = rollback.problem ?? `the run was interrupted before ${item.name} was replaced; the previous container runs again`;
    return { actions: rollback.actions, failure: { code: 'interrupted', reason: `${item.name}: ${reason}` }, rolledBack: !rollback.problem };
  }
  let newId: string | undefined;
  try {
    let restartCount = 0;
    if (item.action === 'redo' && item.leftoverId !== undefined) {
      await removeContainer(docker, item.leftoverId);
      actions.push(`Removed the unfinished replacement ${item.name} left by an interrupted run`);
    }
    if (item.action === 'adopt' && item.leftoverId !== undefined) {
      newId = item.leftoverId;
      restartCount = (await inspectContainer(docker, newId))?.RestartCount ?? 0;
    } else {
      progress(`creating ${item.name}`);
      const oldImage = await localImage(docker, parked.Image);
      newId = await createContainer(docker, replacementSpec(parked, oldImage?.Config, parked.Config.Image), extraNetworkConnections(parked));
    }
    const created = await inspectContainer(docker, newId);
    const change = `${item.ref}: ${shortDigest(parked.Image)} → ${shortDigest(created?.Image ?? '?')}`;
    if (!item.startAfter) {
      await removeContainer(docker, parked.Id);
      actions.push(`Replaced ${item.name} (${change}), left stopped like the original; removed ${item.parkedAs}`);
      return { actions };
    }
    await startContainer(docker, newId);
    progress(`waiting for ${item.name} to become healthy`);
    const verdict = await waitUntilHealthy(docker, newId, { ...gate, restartCount }, signal);
    if (verdict.state === 'healthy') {
      await removeContainer(docker, parked.Id);
      actions.push(`Replaced ${item.name} (${change}), healthy after ${formatDuration(verdict.elapsedMs)}; removed ${item.parkedAs}`);
      return { actions };
    }
    const logs = await tailLogs(docker, newId, created?.Config.Tty ?? false, LOG_LINES);
    const rollback = await rollBack(docker, newId, parked, item);
    const outcome = rollback.problem ?? `rolled back to the previous container (${shortDigest(parked.Image)})`;
    return {
      actions: [...actions, ...rollback.actions],
      failure: { code: verdict.code, reason: `${item.name}: the new container (${change}) ${verdict.detail}; ${outcome}.${logBlock(logs)}` },
      rolledBack: !rollback.problem,
    };
  } catch (error) {
    const rollback = await rollBack(docker, newId, parked, item);
    const outcome = rollback.problem ?? 'rolled back to the previous container';
    const cause = signal.aborted ? 'interrupted while waiting for it to become healthy' : errorMessage(error);
    return {
      actions: [...actions, ...rollback.actions],
      failure: { code: signal.aborted ? 'interrupted' : 'replace-failed', reason: `${item.name}: ${cause}; ${outcome}` },
      rolledBack: !rollback.problem,
    };
  }
}
