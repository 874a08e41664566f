import type { RunState } from '../../runner/facts.js';
import { GcRefusal } from './refusal.js';

/** Resolves once no push of this run is in flight; a sweep during an upload could collect the upload's blobs. */
export async function waitForPushes(run: RunState, options: { timeoutMs: number; pollMs?: number; signal?: AbortSignal }): Promise<void> {
  const pollMs = options.pollMs ?? 500;
  const deadline = Date.now() + options.timeoutMs;
  while (run.pushesInFlight > 0) {
    if (options.signal?.aborted) throw new GcRefusal('Interrupted while waiting for pushes to finish; nothing swept', 'interrupted');
    if (Date.now() >= deadline) {
      throw new GcRefusal(
        `${run.pushesInFlight} push${run.pushesInFlight === 1 ? '' : 'es'} of this run still in flight after ${Math.round(options.timeoutMs / 1000)}s; not sweeping`,
        'push-in-flight',
      );
    }
    await new Promise((resolve) => setTimeout(resolve, Math.min(pollMs, Math.max(1, deadline - Date.now()))));
  }
}
