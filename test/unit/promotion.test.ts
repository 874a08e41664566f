import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { formatSpan } from '../../src/model/duration.js';
import { promotionVerdict, type HostNow, type PromotionInput } from '../../src/stages/promotion.js';
import { encodeStageRecord, parseStageRecord, type StageRecord } from '../../src/stages/stageRecord.js';

const B1 = `sha256:${'1'.repeat(64)}`;
const B2 = `sha256:${'2'.repeat(64)}`;
const HOUR = 3_600_000;
const T0 = Date.parse('2026-12-07T00:00:00Z');

const adopted = (host: string, at: number, build = B2): StageRecord => ({ stage: 'canary', host, build, at, outcome: 'adopted' });
const healthyOn = (build: string): HostNow => ({ build, healthy: true });

/** Both canary hosts adopted B2 at T0 and T0+1h and run it healthy; prod runs B1; the soak is a day. */
const base: PromotionInput = {
  stage: 'canary',
  hosts: ['web1', 'web2'],
  build: B2,
  nextBuild: B1,
  records: [adopted('web1', T0), adopted('web2', T0 + HOUR)],
  now: new Map([
    ['web1', healthyOn(B2)],
    ['web2', healthyOn(B2)],
  ]),
  soakMs: 24 * HOUR,
  at: T0 + 30 * HOUR,
};

describe('promotionVerdict', () => {
  it.each<[string, Partial<PromotionInput>, ReturnType<typeof promotionVerdict>]>([
    [
      'promotes after the soak, counted from the last host',
      {},
      { action: 'promote', reason: 'ran on every canary host (web1, web2) for 1d5h or more, healthy, never rolled back' },
    ],
    [
      'waits out the soak, saying until when',
      { at: T0 + 20 * HOUR },
      { action: 'wait', reason: 'soaking on canary until 2026-12-08T01:00:00.000Z (5h to go)', until: T0 + 25 * HOUR },
    ],
    [
      'holds a build a host rolled back, whatever else',
      { records: [...base.records, { ...adopted('web2', T0 + 2 * HOUR), outcome: 'rolled-back' }] },
      { action: 'hold', reason: 'rolled back on web2: never promoted' },
    ],
    ['waits for a host that has not adopted it', { records: [adopted('web1', T0)] }, { action: 'wait', reason: 'not rolled out on web2 yet' }],
    ['waits while a host cannot be asked', { now: new Map([['web1', healthyOn(B2)]]) }, { action: 'wait', reason: 'web2 could not be asked what runs there' }],
    [
      'waits while a host runs another build',
      {
        now: new Map([
          ['web1', healthyOn(B2)],
          ['web2', healthyOn(B1)],
        ]),
      },
      { action: 'wait', reason: 'web2 no longer runs this build' },
    ],
    [
      'waits while a host is unhealthy on it',
      {
        now: new Map([
          ['web1', { build: B2, healthy: false }],
          ['web2', healthyOn(B2)],
        ]),
      },
      { action: 'wait', reason: 'unhealthy on web1' },
    ],
    ['has nothing to do when the next stage runs the build', { nextBuild: B2 }, { action: 'none', reason: 'the next stage runs this build already' }],
    ['has nothing to do when the stage tag names nothing', { build: undefined }, { action: 'none', reason: 'the canary tag names no build' }],
  ])('%s', (_, change, verdict) => {
    expect(promotionVerdict({ ...base, ...change })).toEqual(verdict);
  });

  it("ignores other stages' and other builds' records, and counts a host's soak from its first adoption", () => {
    const records = [
      ...base.records,
      { ...adopted('web2', T0), stage: 'prod', outcome: 'rolled-back' as const },
      { ...adopted('web1', T0), build: B1, outcome: 'rolled-back' as const },
      adopted('web2', T0 + 29 * HOUR),
    ];
    expect(promotionVerdict({ ...base, records }).action).toBe('promote');
  });

  it('never promotes before every host has soaked the build, at any clock', () => {
    fc.assert(
      fc.property(fc.array(fc.integer({ min: 0, max: 48 * HOUR }), { minLength: 1, maxLength: 5 }), fc.integer({ min: 0, max: 96 * HOUR }), (offsets, at) => {
        const hosts = offsets.map((_, i) => `web${i + 1}`);
        const verdict = promotionVerdict({
          ...base,
          hosts,
          records: offsets.map((offset, i) => adopted(hosts[i]!, T0 + offset)),
          now: new Map(hosts.map((h) => [h, healthyOn(B2)])),
          at: T0 + at,
        });
        const soaked = offsets.every((offset) => at - offset >= base.soakMs);
        expect(verdict.action).toBe(soaked ? 'promote' : 'wait');
      }),
    );
  });
});

describe('stage records', () => {
  it('read back what they write, and nothing of another shape', () => {
    const record = adopted('web1.example.org', T0);
    expect(parseStageRecord(encodeStageRecord(record))).toEqual(record);
    const text = encodeStageRecord(record);
    expect(parseStageRecord(text.replace(B2, 'sha256:nope'))).toBeUndefined();
    expect(parseStageRecord(text.replace('adopted', 'promoted'))).toBeUndefined();
    expect(parseStageRecord(text.replace('web1.example.org', 'web1\nforged'))).toBeUndefined();
    expect(parseStageRecord(text.replace('2026-12-07T00:00:00.000Z', 'yesterday'))).toBeUndefined();
    expect(parseStageRecord('not json')).toBeUndefined();
  });
});

describe('formatSpan', () => {
  it.each([
    [0, '0s'],
    [30_000, '30s'],
    [42 * 60_000, '42m'],
    [5 * HOUR, '5h'],
    [5.5 * HOUR, '5h30m'],
    [29 * HOUR, '1d5h'],
    [48 * HOUR + 59 * 60_000, '2d'],
  ])('%d ms: %s', (ms, text) => {
    expect(formatSpan(ms)).toBe(text);
  });
});
