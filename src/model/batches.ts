/**
 * Splits a play's hosts into the batches `serial` asks for, as Ansible does: each entry is a batch size, the last one repeats;
 * a percentage is of all the play's hosts, rounded down but at least 1; a size of 0 (or no `serial`) means all remaining hosts.
 */
export function batches(hosts: readonly string[], serial?: ReadonlyArray<number | string>): string[][] {
  const sizes = serial && serial.length > 0 ? serial : [0];
  const result: string[][] = [];
  let next = 0;
  while (next < hosts.length) {
    const size = batchSize(sizes[Math.min(result.length, sizes.length - 1)]!, hosts.length);
    const end = size <= 0 ? hosts.length : next + size;
    result.push(hosts.slice(next, end));
    next = end;
  }
  return result;
}

/** One `serial` entry as a host count: `3`, `"3"`, or `"25%"` of `total` (rounded down, at least 1). */
export function batchSize(entry: number | string, total: number): number {
  if (typeof entry === 'string' && entry.trim().endsWith('%')) {
    // Multiply before dividing: (29 / 100) * 100 is 28.999… in floating point.
    return Math.max(1, Math.floor((Number.parseFloat(entry) * total) / 100));
  }
  return Math.floor(Number(entry));
}

/**
 * Whether a batch failed badly enough to stop the play: the failed share of the batch *exceeds* `max_fail_percentage`
 * (so 0 stops at the first failure, 50 tolerates half). Without a percentage there is no such limit and this is false;
 * stopping when a whole batch fails is the runner's rule.
 */
export function exceedsMaxFail(failedInBatch: number, batchSize: number, maxFailPercentage?: number): boolean {
  if (maxFailPercentage === undefined || batchSize <= 0) return false;
  // Compare in whole numbers: 1 of 3 failed against 33.33…% must not depend on rounding.
  return failedInBatch * 100 > maxFailPercentage * batchSize;
}
