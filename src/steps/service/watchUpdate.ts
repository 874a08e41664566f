import type { Engine } from '../../adapters/engine.js';
import type { SwarmTask } from '../../adapters/engineServices.js';
import { sleep } from '../../shared/sleep.js';
import { visibleControls } from '../../shared/terminalText.js';

/** How one update ended, as Swarm reports it. */
export type UpdateOutcome = { kind: 'completed' } | { kind: 'rolled-back' | 'paused'; message: string } | { kind: 'timeout'; state: string } | { kind: 'gone' };

const POLL_MS = 500;

/**
 * Waits for Swarm to finish the update just sent. Swarm clears a service's UpdateStatus when its spec changes, so the first
 * status seen afterwards is this update's.
 */
export async function watchUpdate(engine: Engine, id: string, timeoutMs: number, signal: AbortSignal): Promise<UpdateOutcome> {
  const deadline = Date.now() + timeoutMs;
  let state = 'pending';
  while (Date.now() < deadline) {
    const service = await engine.inspectService(id);
    if (service === undefined) return { kind: 'gone' };
    const status = service.UpdateStatus;
    state = status?.State ?? 'pending';
    const message = visibleControls((status?.Message ?? '').slice(0, 300));
    if (state === 'completed') return { kind: 'completed' };
    if (state === 'rollback_completed') return { kind: 'rolled-back', message };
    if (state === 'paused' || state === 'rollback_paused') return { kind: 'paused', message };
    await sleep(POLL_MS, signal).catch(() => undefined);
    if (signal.aborted) break;
  }
  return { kind: 'timeout', state };
}

/** The service's tasks of `image` that failed, newest first (at most three), for the reason of a rollback. */
export function failedTasks(tasks: readonly SwarmTask[], image: string): SwarmTask[] {
  return tasks
    .filter((t) => t.Spec?.ContainerSpec?.Image === image && ['failed', 'rejected', 'shutdown', 'complete'].includes(t.Status?.State ?? ''))
    .filter((t) => t.Status?.Err || (t.Status?.ContainerStatus?.ExitCode ?? 0) !== 0)
    .sort((a, b) => (b.Status?.Timestamp ?? '').localeCompare(a.Status?.Timestamp ?? ''))
    .slice(0, 3);
}

/** `task 1a2b3c4d5e6f on swarm3: task: non-zero exit (3) (exit 3)`: Swarm's error, sanitized, as one line. */
export function taskError(task: SwarmTask, nodeName?: string): string {
  const exit = task.Status?.ContainerStatus?.ExitCode;
  const node = nodeName !== undefined ? ` on ${visibleControls(nodeName)}` : '';
  return `task ${task.ID.slice(0, 12)}${node}: ${visibleControls((task.Status?.Err ?? '').slice(0, 200)) || 'failed'}${exit ? ` (exit ${exit})` : ''}`;
}
