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

/** The errors of the service's tasks that failed, newest first, for the reason of a rollback. */
export function failedTaskErrors(tasks: readonly SwarmTask[], image: string): string[] {
  return tasks
    .filter((t) => t.Spec?.ContainerSpec?.Image === image && ['failed', 'rejected', 'shutdown', 'complete'].includes(t.Status?.State ?? ''))
    .filter((t) => t.Status?.Err || (t.Status?.ContainerStatus?.ExitCode ?? 0) !== 0)
    .sort((a, b) => (b.Status?.Timestamp ?? '').localeCompare(a.Status?.Timestamp ?? ''))
    .slice(0, 3)
    .map((t) => {
      const exit = t.Status?.ContainerStatus?.ExitCode;
      return `task ${t.ID.slice(0, 12)}: ${visibleControls((t.Status?.Err ?? '').slice(0, 200)) || 'failed'}${exit ? ` (exit ${exit})` : ''}`;
    });
}
