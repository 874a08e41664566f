import { describe, expect, it } from 'vitest';
import { changed, failed, ok } from '../../src/model/results.js';
import { addToTally, emptyTally, fitLine, hostTitle, runningTitle, stepLines } from '../../src/ui/liveLines.js';

describe('the live view lines', () => {
  it('shows a finished step with its duration and actions, cut to the width', () => {
    expect(stepLines('pull', changed(['Pulled r/app:prod@sha256:0123456789abcdef (was sha256:aa)']), 195, 40)).toEqual([
      'changed pull (195ms)',
      '  - Pulled r/app:prod@sha256:0123456789…',
    ]);
  });

  it('shows a failure with its counts and at most four lines of its reason', () => {
    const result = { ...failed('app: unhealthy; rolled back.\n  | 1\n  | 2\n  | 3\n  | 4\n  | 5', 'unhealthy', ['Rolled back app']), rolledBack: 1 };
    expect(stepLines('start', result, 12_345, 100)).toEqual([
      'failed start (12.3s) rolled_back=1',
      '  - Rolled back app',
      '  app: unhealthy; rolled back.',
      '    | 1',
      '    | 2',
      '    | 3',
      "  (2 more lines in the recap's reasons and --json)",
    ]);
  });

  it('titles a finished host with its non-zero counts and duration, and a running one with its step and progress', () => {
    const tally = emptyTally();
    for (const r of [ok(), changed(['x']), { ...changed(['y']), rescued: 1 }]) addToTally(tally, r);
    expect(hostTitle('web2', tally, 2100)).toBe('web2 (2.1s): ok=1 changed=2 rescued=1');
    expect(hostTitle('web3', emptyTally(), 0, true)).toBe('web3 (0ms): nothing ran, interrupted');
    expect(runningTitle('web2', 'start', 4_900, 'waiting for app to become healthy', 100)).toBe('web2 › start 4s: waiting for app to become healthy');
    expect(fitLine('abcdef', 4)).toBe('abc…');
  });
});
