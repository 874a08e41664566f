import { describe, expect, it } from 'vitest';
import { GcRefusal } from '../../src/steps/gc/refusal.js';
import { parseGcOptions } from '../../src/steps/gc/gcOptions.js';
import { waitForPushes } from '../../src/steps/gc/waitForPushes.js';
import { RunPushes } from '../../src/images/runPushes.js';

describe('parseGcOptions', () => {
  it.each([
    [{}, { keep: 5, sweep: true, pushWaitMs: 600_000 }],
    [{ keep: 0 }, { keep: 0, sweep: true, pushWaitMs: 600_000 }],
    [
      { keep: 3, sweep: false, push_wait: '90s' },
      { keep: 3, sweep: false, pushWaitMs: 90_000 },
    ],
    [{ push_wait: 2 }, { keep: 5, sweep: true, pushWaitMs: 2000 }],
  ])('%j', (options, expected) => {
    expect(parseGcOptions(options)).toEqual(expected);
  });

  it.each([
    [{ keep: -1 }, 'gc: keep must be an integer ≥ 0, not -1'],
    [{ keep: 1.5 }, 'gc: keep must be an integer ≥ 0, not 1.5'],
    [{ keep: '3' }, 'gc: keep must be an integer ≥ 0, not "3"'],
    [{ sweep: 'yes' }, 'gc: sweep must be true or false, not "yes"'],
    [{ push_wait: 'soon' }, '"push_wait" is not a duration: "soon"; write it like 90s, 2m, 1h30m or 1500ms (a bare number is seconds)'],
    [{ push_wait: '4w' }, '"push_wait" is "4w", longer than the 24 days freshen can wait; use a shorter one'],
  ])('%j is refused', (options, message) => {
    expect(() => parseGcOptions(options)).toThrow(message);
  });
});

/** An upload on `pushes` that lasts until the returned function is called. */
function upload(pushes: RunPushes): () => void {
  let finish = (): void => undefined;
  void pushes.upload(() => new Promise<void>((resolve) => (finish = resolve)));
  return finish;
}

describe('waitForPushes', () => {
  it('returns at once when nothing is being pushed', async () => {
    await expect(waitForPushes(new RunPushes(), { timeoutMs: 0 })).resolves.toBeUndefined();
  });

  it('waits until the pushes in flight finish, however they end', async () => {
    const pushes = new RunPushes();
    const first = upload(pushes);
    const failing = pushes.upload(() => new Promise((_, reject) => setTimeout(() => reject(new Error('refused')), 5)));
    expect(pushes.pending).toBe(2);
    let waited = false;
    const wait = waitForPushes(pushes, { timeoutMs: 60_000 }).then(() => (waited = true));
    await expect(failing).rejects.toThrow('refused');
    expect(pushes.pending).toBe(1);
    expect(waited).toBe(false);
    first();
    await wait;
    expect(pushes.pending).toBe(0);
  });

  it('gives up after the bounded wait with push-in-flight', async () => {
    const pushes = new RunPushes();
    const finish = upload(pushes);
    const error = await waitForPushes(pushes, { timeoutMs: 50 }).catch((e: unknown) => e);
    finish();
    expect(error).toBeInstanceOf(GcRefusal);
    expect(error).toMatchObject({ code: 'push-in-flight', message: '1 push of this run still in flight after 0s; not sweeping' });
  });

  it('stops waiting when the run is interrupted', async () => {
    const pushes = new RunPushes();
    const finish = upload(pushes);
    const controller = new AbortController();
    const wait = waitForPushes(pushes, { timeoutMs: 60_000, signal: controller.signal });
    controller.abort();
    await expect(wait).rejects.toMatchObject({ code: 'interrupted' });
    finish();
  });
});
