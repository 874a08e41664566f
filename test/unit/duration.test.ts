// The one check every duration setting goes through (step options, pause, timeouts, --lock-wait).
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { checkDuration, MAX_WAIT_MS } from '../../src/model/duration.js';

describe('checkDuration', () => {
  it('takes any wait a timer can hold, and refuses any longer one unless it is an age', () => {
    fc.assert(
      fc.property(fc.integer({ min: 0, max: 2 * MAX_WAIT_MS }), (ms) => {
        const checked = checkDuration(`${ms}ms`);
        if (ms <= MAX_WAIT_MS) expect(checked).toEqual({ ms });
        else expect(checked).toEqual({ problem: `is "${ms}ms", longer than the 24 days freshen can wait; use a shorter one` });
        expect(checkDuration(`${ms}ms`, { age: true })).toEqual({ ms });
      }),
    );
  });

  it.each([
    ['soon', {}, 'is not a duration: "soon"; write it like 90s, 2m, 1h30m or 1500ms (a bare number is seconds)'],
    [true, {}, 'is not a duration: true; write it like 90s, 2m, 1h30m or 1500ms (a bare number is seconds)'],
    [0, { positive: true }, 'must be above zero, not 0'],
    ['1s', { minMs: 2000 }, 'must be at least 2.0s, not "1s"'],
  ])('%j %j: %s', (value, limits, problem) => {
    expect(checkDuration(value, limits)).toEqual({ problem });
  });

  it('reads seconds from a bare number, and units from text', () => {
    expect(checkDuration(90)).toEqual({ ms: 90_000 });
    expect(checkDuration('1h30m')).toEqual({ ms: 5_400_000 });
    expect(checkDuration(0)).toEqual({ ms: 0 });
  });
});
