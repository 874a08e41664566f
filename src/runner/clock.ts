/** A moment of the run: its place in the run's event sequence and its wall-clock time, both from one reading. */
export interface RunMoment {
  /** Strictly increasing within a run: the order of events, with no clock arithmetic. */
  seq: number;
  /** Whole milliseconds since the epoch, from the monotonic clock: never smaller than an earlier moment's. */
  ms: number;
}

/** Hands out the moments of one run. */
export interface RunClock {
  next(): RunMoment;
}

/**
 * One monotonic clock per run: `performance.timeOrigin + performance.now()` floored to whole milliseconds, so every time the
 * run shows is non-decreasing (a later batch's start is never before an earlier batch's end) and a duration is the difference
 * of two shown times, never a value rounded on its own.
 */
export function monotonicClock(now: () => number = () => performance.timeOrigin + performance.now()): RunClock {
  let seq = 0;
  let last = -Infinity;
  return {
    next() {
      last = Math.max(last, Math.floor(now()));
      seq += 1;
      return { seq, ms: last };
    },
  };
}
