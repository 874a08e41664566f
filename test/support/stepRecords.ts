import type { StepRecord } from '../../src/runner/report.js';

/** A step record as the JSON report holds it, with the times and sequence numbers filled in: for tests of what reads reports. */
export const stepRecordOf = (over: Partial<StepRecord> & Pick<StepRecord, 'step' | 'status'>): StepRecord => ({
  actions: [],
  notes: [],
  started_at: '2026-12-01T00:00:00.000Z',
  ended_at: '2026-12-01T00:00:00.000Z',
  duration_ms: 0,
  started_seq: 1,
  ended_seq: 2,
  ...over,
});
