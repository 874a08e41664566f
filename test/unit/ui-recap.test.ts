import { describe, expect, it } from 'vitest';
import type { RunReport } from '../../src/runner/report.js';
import { diffLines, stepDiffLines } from '../../src/ui/diff.js';
import { formatReasons } from '../../src/ui/recap.js';

const A = `sha256:${'a'.repeat(64)}`;
const B = `sha256:${'b'.repeat(64)}`;

describe('diffLines', () => {
  it.each([
    {
      name: 'a container replaced',
      entry: { container: 'web', ref: 'r:5000/app:prod', before: A, after: B, replace: true },
      line: `~ web (r:5000/app:prod): sha256:aaaaaaaaaaaa → sha256:bbbbbbbbbbbb, replaced`,
    },
    {
      name: 'a container kept',
      entry: { container: 'web', ref: 'r:5000/app:prod', before: A, after: A, replace: false },
      line: `= web (r:5000/app:prod): sha256:aaaaaaaaaaaa, kept`,
    },
    {
      name: 'replaced by what this run pushes',
      entry: { container: 'web', ref: 'r:5000/app:prod', before: A, replace: true },
      line: `~ web (r:5000/app:prod): sha256:aaaaaaaaaaaa → the build this run pushes, replaced`,
    },
    { name: 'an image reference alone', entry: { ref: 'r:5000/app:prod', after: B, replace: false }, line: `~ r:5000/app:prod: absent → sha256:bbbbbbbbbbbb` },
  ])('$name', ({ entry, line }) => {
    expect(diffLines([entry])).toEqual([line]);
  });
});

describe('stepDiffLines', () => {
  it("shows a step's images, then the unified diff of each file it edits", () => {
    const lines = stepDiffLines({
      diff: [{ ref: 'r:5000/app:prod', after: B, replace: false }],
      fileDiffs: [{ file: 'compose.yaml', lines: ['--- a/compose.yaml', '+++ b/compose.yaml', '@@ -1 +1 @@', '-image: a', '+image: b'] }],
    });
    expect(lines).toEqual([
      '~ r:5000/app:prod: absent → sha256:bbbbbbbbbbbb',
      '--- a/compose.yaml',
      '+++ b/compose.yaml',
      '@@ -1 +1 @@',
      '-image: a',
      '+image: b',
    ]);
    expect(stepDiffLines({})).toEqual([]);
  });
});

describe('formatReasons', () => {
  const record = {
    actions: [],
    notes: [],
    started_at: '2026-01-01T00:00:00.000Z',
    ended_at: '2026-01-01T00:00:00.001Z',
    duration_ms: 1,
    started_seq: 1,
    ended_seq: 2,
  };
  const report: RunReport = {
    check: false,
    interrupted: false,
    recap: {},
    plays: [
      {
        name: 'Canary',
        stopped: '1 of 1 hosts in the batch failed, more than max_fail_percentage 0%',
        hosts: {
          web1: [
            { ...record, step: 'pull', status: 'changed' },
            { ...record, step: 'start', status: 'failed', code: 'unhealthy', reason: 'app: reported unhealthy; rolled back.\n  | log line', rolled_back: 1 },
          ],
        },
      },
      { name: 'Rest', hosts: { web2: [{ ...record, step: 'start', status: 'changed', actions: ['Replaced app (…)', 'more'], rescued: 1 }] } },
    ],
  };

  it('gives one line per troubled step and per stopped play, with the first line of the reason', () => {
    expect(formatReasons(report)).toEqual([
      'PLAY [Canary] stopped: 1 of 1 hosts in the batch failed, more than max_fail_percentage 0%',
      'web1 start: failed (unhealthy), rolled_back=1: app: reported unhealthy; rolled back.',
      'web2 start: changed, rescued=1: Replaced app (…)',
    ]);
  });
});
