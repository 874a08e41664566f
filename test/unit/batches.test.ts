import { describe, expect, it } from 'vitest';
import { batchSize, batches, exceedsMaxFail } from '../../src/model/batches.js';

const hosts = (n: number): string[] => Array.from({ length: n }, (_, i) => `h${i + 1}`);
const sizes = (result: string[][]): number[] => result.map((b) => b.length);

describe('batches', () => {
  it.each([
    { name: 'no serial: one batch', count: 5, serial: undefined, sizes: [5] },
    { name: 'empty serial list: one batch', count: 5, serial: [], sizes: [5] },
    { name: 'a count', count: 5, serial: [2], sizes: [2, 2, 1] },
    { name: 'a count larger than the play', count: 3, serial: [10], sizes: [3] },
    { name: 'a list: the last size repeats', count: 10, serial: [1, 3], sizes: [1, 3, 3, 3] },
    { name: 'a percentage of the play, rounded down', count: 10, serial: ['25%'], sizes: [2, 2, 2, 2, 2] },
    { name: 'a small percentage is at least one host', count: 3, serial: ['10%'], sizes: [1, 1, 1] },
    { name: '0% is at least one host', count: 2, serial: ['0%'], sizes: [1, 1] },
    { name: 'canary then the rest', count: 4, serial: [1, '100%'], sizes: [1, 3] },
    { name: 'percentages are of the whole play, not of what remains', count: 8, serial: ['25%', '50%'], sizes: [2, 4, 2] },
    { name: 'a zero size takes all remaining hosts', count: 5, serial: [1, 0], sizes: [1, 4] },
    { name: 'fractional percentage', count: 8, serial: ['12.5%'], sizes: [1, 1, 1, 1, 1, 1, 1, 1] },
    { name: 'no hosts, no batches', count: 0, serial: [2], sizes: [] },
    { name: 'numeric strings count hosts', count: 5, serial: ['2'], sizes: [2, 2, 1] },
  ])('$name', ({ count, serial, sizes: expected }) => {
    const result = batches(hosts(count), serial);
    expect(sizes(result)).toEqual(expected);
    expect(result.flat()).toEqual(hosts(count)); // every host once, in order
  });

  it('keeps the hosts in order within and across batches', () => {
    expect(batches(['a', 'b', 'c', 'd', 'e'], [2, 3])).toEqual([
      ['a', 'b'],
      ['c', 'd', 'e'],
    ]);
  });

  it('computes percentages without float surprises', () => {
    expect(batchSize('29%', 100)).toBe(29);
    expect(batchSize('33%', 3)).toBe(1);
  });
});

describe('exceedsMaxFail', () => {
  it.each([
    { failed: 0, size: 4, pct: 0, exceeds: false },
    { failed: 1, size: 4, pct: 0, exceeds: true },
    { failed: 1, size: 4, pct: 25, exceeds: false },
    { failed: 2, size: 4, pct: 25, exceeds: true },
    { failed: 1, size: 3, pct: 33, exceeds: true },
    { failed: 1, size: 3, pct: 34, exceeds: false },
    { failed: 2, size: 4, pct: 50, exceeds: false },
    { failed: 4, size: 4, pct: 100, exceeds: false },
    { failed: 3, size: 4, pct: undefined, exceeds: false },
    { failed: 0, size: 0, pct: 0, exceeds: false },
  ])('$failed of $size failed with max_fail_percentage $pct → $exceeds', ({ failed, size, pct, exceeds }) => {
    expect(exceedsMaxFail(failed, size, pct)).toBe(exceeds);
  });
});
