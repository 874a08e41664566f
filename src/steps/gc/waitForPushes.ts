import type { RunPushes } from '../../images/runPushes.js';
import { GcRefusal } from './refusal.js';

/** Resolves once no push of this run is in flight; a sweep during an upload could collect the upload's blobs. */
export async function waitForPushes(pushes: RunPushes, options: { timeoutMs: number; signal?: AbortSignal }): Promise<void> {
  const how = await pushes.settled(options.timeoutMs, options.signal);
  if (how === 'aborted') throw new GcRefusal('Interrupted while waiting for pushes to finish; nothing swept', 'interrupted');
  if (how === 'timed-out') {
    const still = pushes.pending;
    throw new GcRefusal(
      `${still} push${still === 1 ? '' : 'es'} of this run still in flight after ${Math.round(options.timeoutMs / 1000)}s; not sweeping`,
      'push-in-flight',
    );
  }
}
