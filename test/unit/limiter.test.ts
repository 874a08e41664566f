// The registry's request bound: never more than `max` at once, queued in order, a failure frees its slot.
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { Limiter } from '../../src/shared/limiter.js';

const tick = () => new Promise((resolve) => setImmediate(resolve));

describe('Limiter', () => {
  it('runs at most max tasks at once and starts the queued ones in order', async () => {
    await fc.assert(
      fc.asyncProperty(fc.integer({ min: 1, max: 5 }), fc.array(fc.integer({ min: 0, max: 3 }), { minLength: 1, maxLength: 30 }), async (max, ticks) => {
        const limiter = new Limiter(max);
        let running = 0;
        let peak = 0;
        const started: number[] = [];
        await Promise.all(
          ticks.map((n, i) =>
            limiter.run(async () => {
              started.push(i);
              running += 1;
              peak = Math.max(peak, running);
              for (let t = 0; t < n; t++) await tick();
              running -= 1;
            }),
          ),
        );
        expect(peak).toBeLessThanOrEqual(max);
        expect(started).toEqual(ticks.map((_, i) => i));
      }),
    );
  });

  it('a task that fails frees its slot for the next', async () => {
    const limiter = new Limiter(1);
    const first = limiter.run(() => Promise.reject(new Error('boom')));
    const second = limiter.run(async () => 'next');
    await expect(first).rejects.toThrow('boom');
    await expect(second).resolves.toBe('next');
  });
});
