import { describe, expect, it } from 'vitest';
import { datestampFormat } from '../../src/images/datestamp.js';
import { planRetention, type RetentionInput } from '../../src/steps/gc/retention.js';

const d = (n: number): string => `sha256:${String(n).padStart(64, '0')}`;
const repo = 't-gc/app';
const base = { repository: repo, rolloutTag: 'prod', datestamps: datestampFormat() };

// Five builds, prod on the newest.
const fiveBuilds = [
  { tag: '20261101-0300', digest: d(1) },
  { tag: '20261102-0300', digest: d(2) },
  { tag: '20261103-0300', digest: d(3) },
  { tag: '20261104-0300', digest: d(4) },
  { tag: '20261105-0300', digest: d(5) },
  { tag: 'prod', digest: d(5) },
];

interface Row {
  name: string;
  input: RetentionInput;
  deletions: Array<{ digest: string; tags: string[] }>;
  kept: Array<{ digest: string; tags: string[]; reason: string }>;
}

const rows: Row[] = [
  {
    name: 'keep 3: the two oldest expire, oldest first',
    input: { ...base, keep: 3, tags: fiveBuilds },
    deletions: [
      { digest: d(1), tags: ['20261101-0300'] },
      { digest: d(2), tags: ['20261102-0300'] },
    ],
    kept: [],
  },
  {
    name: 'keep 1: all but the newest expire',
    input: { ...base, keep: 1, tags: fiveBuilds },
    deletions: [1, 2, 3, 4].map((n) => ({ digest: d(n), tags: [`2026110${n}-0300`] })),
    kept: [],
  },
  {
    name: 'keep 0: every datestamp expires, but the one prod points at stays',
    input: { ...base, keep: 0, tags: fiveBuilds },
    deletions: [1, 2, 3, 4].map((n) => ({ digest: d(n), tags: [`2026110${n}-0300`] })),
    kept: [{ digest: d(5), tags: ['20261105-0300'], reason: 'also tagged prod' }],
  },
  {
    name: 'keep more than there are: nothing expires',
    input: { ...base, keep: 10, tags: fiveBuilds },
    deletions: [],
    kept: [],
  },
  {
    name: 'an expiring tag sharing its digest with a kept datestamp is kept',
    input: {
      ...base,
      keep: 1,
      tags: [
        { tag: '20261101-0300', digest: d(1) },
        { tag: '20261102-0300', digest: d(2) },
        { tag: '20261103-0300', digest: d(2) },
        { tag: 'prod', digest: d(3) },
      ],
    },
    deletions: [{ digest: d(1), tags: ['20261101-0300'] }],
    kept: [{ digest: d(2), tags: ['20261102-0300'], reason: 'also tagged 20261103-0300' }],
  },
  {
    name: 'prod rolled back to an old build keeps that build',
    input: {
      ...base,
      keep: 1,
      tags: [
        { tag: '20261101-0300', digest: d(1) },
        { tag: '20261102-0300', digest: d(2) },
        { tag: '20261103-0300', digest: d(3) },
        { tag: 'prod', digest: d(1) },
      ],
    },
    deletions: [{ digest: d(2), tags: ['20261102-0300'] }],
    kept: [{ digest: d(1), tags: ['20261101-0300'], reason: 'also tagged prod' }],
  },
  {
    name: 'two expiring tags on one digest make one deletion naming both',
    input: {
      ...base,
      keep: 1,
      tags: [
        { tag: '20261101-0300', digest: d(1) },
        { tag: '20261101-0300-2', digest: d(1) },
        { tag: '20261102-0300', digest: d(2) },
        { tag: 'prod', digest: d(2) },
      ],
    },
    deletions: [{ digest: d(1), tags: ['20261101-0300', '20261101-0300-2'] }],
    kept: [],
  },
  {
    name: 'a digest an inventory host runs is kept with the reason',
    input: { ...base, keep: 3, tags: fiveBuilds, inUse: new Map([[d(1), 'web2 container api (running)']]) },
    deletions: [{ digest: d(2), tags: ['20261102-0300'] }],
    kept: [{ digest: d(1), tags: ['20261101-0300'], reason: 'in use: web2 container api (running)' }],
  },
  {
    name: 'non-datestamp tags never expire and protect their digest',
    input: {
      ...base,
      keep: 0,
      tags: [
        { tag: 'latest', digest: d(1) },
        { tag: '20261101-0300', digest: d(1) },
        { tag: 'v1.2', digest: d(7) },
        { tag: '20261102-0300', digest: d(2) },
        { tag: 'prod', digest: d(3) },
      ],
    },
    deletions: [{ digest: d(2), tags: ['20261102-0300'] }],
    kept: [{ digest: d(1), tags: ['20261101-0300'], reason: 'also tagged latest' }],
  },
  {
    name: 'a digest shared by prod and another tag names both, sorted',
    input: {
      ...base,
      keep: 0,
      tags: [
        { tag: 'prod', digest: d(1) },
        { tag: 'latest', digest: d(1) },
        { tag: '20261101-0300', digest: d(1) },
      ],
    },
    deletions: [],
    kept: [{ digest: d(1), tags: ['20261101-0300'], reason: 'also tagged latest, prod' }],
  },
  {
    name: 'a repository without the rollout tag is not managed: untouched',
    input: { ...base, keep: 0, tags: fiveBuilds.filter((t) => t.tag !== 'prod') },
    deletions: [],
    kept: [],
  },
  {
    name: 'the rollout tag is a variable',
    input: { ...base, rolloutTag: 'live', keep: 4, tags: [...fiveBuilds.filter((t) => t.tag !== 'prod'), { tag: 'live', digest: d(5) }] },
    deletions: [{ digest: d(1), tags: ['20261101-0300'] }],
    kept: [],
  },
  {
    name: 'a custom date_format: its tags expire in date order (not lexical order), other tags are left alone',
    input: {
      ...base,
      datestamps: datestampFormat('DD.MM.YYYY-HHmm'),
      keep: 2,
      tags: [
        { tag: '30.10.2026-0300', digest: d(1) },
        { tag: '01.11.2026-0300', digest: d(2) },
        { tag: '02.11.2026-0300', digest: d(3) },
        { tag: '02.11.2026-0300-2', digest: d(4) },
        { tag: '20261001-0300', digest: d(5) },
        { tag: 'prod', digest: d(4) },
      ],
    },
    deletions: [
      { digest: d(1), tags: ['30.10.2026-0300'] },
      { digest: d(2), tags: ['01.11.2026-0300'] },
    ],
    kept: [],
  },
];

describe('planRetention', () => {
  it.each(rows)('$name', ({ input, deletions, kept }) => {
    const result = planRetention(input);
    expect(result.deletions).toEqual(deletions.map((x) => ({ repository: repo, ...x })));
    expect(result.kept).toEqual(kept.map((x) => ({ repository: repo, ...x })));
  });

  it('reports whether the repository is managed', () => {
    expect(planRetention({ ...base, keep: 1, tags: fiveBuilds }).managed).toBe(true);
    expect(planRetention({ ...base, keep: 1, tags: fiveBuilds.slice(0, 5) }).managed).toBe(false);
  });

  it('never deletes a digest that any kept tag points at', () => {
    // Every way of sharing at once: whatever is deleted must not be a kept tag's digest.
    const tags = [
      { tag: '20261101-0300', digest: d(1) },
      { tag: '20261102-0300', digest: d(2) },
      { tag: '20261103-0300', digest: d(1) },
      { tag: '20261104-0300', digest: d(3) },
      { tag: 'prod', digest: d(2) },
      { tag: 'stable', digest: d(3) },
    ];
    for (const keep of [0, 1, 2, 3, 4, 5]) {
      const result = planRetention({ ...base, keep, tags });
      const deleted = new Set(result.deletions.map((x) => x.digest));
      const expiring = new Set([...result.deletions, ...result.kept].flatMap((x) => x.tags));
      const keptDigests = tags.filter((t) => !expiring.has(t.tag)).map((t) => t.digest);
      expect(keptDigests.filter((x) => deleted.has(x))).toEqual([]);
    }
  });
});
