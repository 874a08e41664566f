import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { monotonicClock } from '../../src/runner/clock.js';

describe('monotonicClock', () => {
  it('numbers moments 1, 2, 3, … and floors fractional milliseconds', () => {
    const readings = [1000.9, 1001.2, 1001.99];
    const clock = monotonicClock(() => readings.shift()!);
    expect([clock.next(), clock.next(), clock.next()]).toEqual([
      { seq: 1, ms: 1000 },
      { seq: 2, ms: 1001 },
      { seq: 3, ms: 1001 },
    ]);
  });

  it('never goes back in time, whatever the source reads', () => {
    fc.assert(
      fc.property(fc.array(fc.double({ min: 0, max: 1e13, noNaN: true }), { minLength: 1, maxLength: 50 }), (values) => {
        const source = [...values];
        const clock = monotonicClock(() => source.shift()!);
        const moments = values.map(() => clock.next());
        for (let i = 1; i < moments.length; i++) {
          expect(moments[i]!.seq).toBe(moments[i - 1]!.seq + 1);
          expect(moments[i]!.ms).toBeGreaterThanOrEqual(moments[i - 1]!.ms);
        }
      }),
    );
  });
});
