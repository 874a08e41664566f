import { describe, expect, it } from 'vitest';
import { GcRefusal } from '../../src/steps/gc/refusal.js';
import { parseGcOptions } from '../../src/steps/gc/gcOptions.js';
import { waitForPushes } from '../../src/steps/gc/waitForPushes.js';
import { newRunState } from '../../src/runner/facts.js';

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
    [{ push_wait: 'soon' }, 'gc: push_wait must be a duration such as 90s or 10m, not "soon"'],
  ])('%j is refused', (options, message) => {
    expect(() => parseGcOptions(options)).toThrow(message);
  });
});

describe('waitForPushes', () => {
  it('returns at once when nothing is being pushed', async () => {
    await expect(waitForPushes(newRunState(), { timeoutMs: 0 })).resolves.toBeUndefined();
  });

  it('waits until the pushes in flight finish', async () => {
    const run = newRunState();
    run.pushesInFlight = 2;
    const seen: number[] = [];
    setTimeout(() => seen.push((run.pushesInFlight = 1)), 20);
    setTimeout(() => seen.push((run.pushesInFlight = 0)), 60);
    await waitForPushes(run, { timeoutMs: 5000, pollMs: 10 });
    // Ordered by what happened, not by the clock: both pushes had finished when the wait returned.
    expect(seen).toEqual([1, 0]);
    expect(run.pushesInFlight).toBe(0);
  });

  it('gives up after the bounded wait with push-in-flight', async () => {
    const run = newRunState();
    run.pushesInFlight = 1;
    const error = await waitForPushes(run, { timeoutMs: 50, pollMs: 10 }).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(GcRefusal);
    expect(error).toMatchObject({ code: 'push-in-flight', message: '1 push of this run still in flight after 0s; not sweeping' });
  });

  it('stops waiting when the run is interrupted', async () => {
    const run = newRunState();
    run.pushesInFlight = 1;
    const controller = new AbortController();
    setTimeout(() => controller.abort(), 20);
    await expect(waitForPushes(run, { timeoutMs: 5000, pollMs: 10, signal: controller.signal })).rejects.toMatchObject({ code: 'interrupted' });
  });
});
