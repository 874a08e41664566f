// Cooldown: a new base or upstream digest younger than the cooldown is not yet a reason to rebuild or patch, judged by when its
// image was created; the verdicts say until when, and an image that waits is not rebuilt for its other reasons either
// (discover) or is patched from the upstream it had (patch, in its step).
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { LABEL_PATCH_UPSTREAM, patchVerdict } from '../../src/images/patch.js';
import { staleVerdict, type StalenessFacts } from '../../src/images/staleness.js';
import { cooldownWait, latestWait } from '../../src/stages/cooldown.js';

const id = (c: string) => `sha256:${c.repeat(64)}`;
const HOUR = 3_600_000;
const NOW = Date.parse('2026-12-07T12:00:00Z');
const OS = '127.0.0.1:5055/upstream/os:stable';

describe('cooldownWait', () => {
  it('waits exactly while created + cooldown is after now, and says until when', () => {
    fc.assert(
      fc.property(fc.integer({ min: -1000 * HOUR, max: 1000 * HOUR }), fc.integer({ min: 0, max: 1000 * HOUR }), (offset, cooldown) => {
        const created = new Date(NOW - offset).toISOString();
        const wait = cooldownWait('x changed', created, cooldown, NOW);
        expect(wait === undefined).toBe(offset >= cooldown);
        if (wait !== undefined) {
          expect(wait.until).toBe(NOW - offset + cooldown);
          expect(wait.note).toContain(`until ${new Date(wait.until).toISOString()}`);
        }
      }),
    );
  });

  it('does not wait without a cooldown or on a created time that does not parse', () => {
    expect(cooldownWait('x', new Date(NOW).toISOString(), undefined, NOW)).toBeUndefined();
    expect(cooldownWait('x', 'yesterday', 3 * HOUR, NOW)).toBeUndefined();
    expect(cooldownWait('x', undefined, 3 * HOUR, NOW)).toBeUndefined();
  });

  it('the latest of several waits is when all have passed', () => {
    expect(latestWait([])).toBeUndefined();
    expect(
      latestWait([
        { until: 5, note: '' },
        { until: 9, note: '' },
        { until: 7, note: '' },
      ]),
    ).toBe(9);
  });
});

const facts = (over: Partial<StalenessFacts> = {}): StalenessFacts => ({
  ref: '127.0.0.1:5055/lab/web:prod',
  published: true,
  forced: false,
  provenance: { ok: true, value: { bases: { [OS]: id('1') }, contextDigest: id('c') } },
  bases: [OS],
  rebuiltBases: new Set(),
  currentBaseIds: new Map([[OS, id('2')]]),
  contextDigest: id('c'),
  now: new Date(NOW),
  cooldownMs: 72 * HOUR,
  ...over,
});

describe('staleVerdict with a cooldown', () => {
  it('a base changed 5 hours ago waits, naming when it becomes a reason; 3 days later it is one', () => {
    const young = staleVerdict(facts({ baseCreated: new Map([[OS, new Date(NOW - 5 * HOUR).toISOString()]]) }));
    expect(young.stale).toBe(false);
    expect(young.waitingUntil).toBe(NOW + 67 * HOUR);
    expect(young.notes).toEqual([
      `base ${OS} changed: built from 111111111111…, registry now has 222222222222…, created ${new Date(NOW - 5 * HOUR).toISOString()}: within the cooldown of 3d, not a reason to rebuild until ${new Date(NOW + 67 * HOUR).toISOString()}`,
    ]);
    const later = staleVerdict(facts({ baseCreated: new Map([[OS, new Date(NOW - 5 * HOUR).toISOString()]]), now: new Date(NOW + 67 * HOUR) }));
    expect(later).toMatchObject({ stale: true, reasons: ['base-changed'] });
    expect(later.waitingUntil).toBeUndefined();
  });

  it('an image that waits is not rebuilt for its other reasons either (the rebuild would take the new base), unless forced', () => {
    const over = {
      baseCreated: new Map([[OS, new Date(NOW - HOUR).toISOString()]]),
      contextDigest: id('d'),
    };
    const waiting = staleVerdict(facts(over));
    expect(waiting).toMatchObject({ stale: false, reasons: [] });
    expect(waiting.notes.at(-1)).toMatch(/^context-changed waits with it \(a rebuild would build on the new base\): build context changed/);
    expect(staleVerdict(facts({ ...over, forced: true }))).toMatchObject({ stale: true, reasons: ['forced', 'context-changed'] });
  });

  it('without a created time for the base, the change is a reason as before', () => {
    expect(staleVerdict(facts())).toMatchObject({ stale: true, reasons: ['base-changed'] });
  });
});

describe('patchVerdict with a cooldown', () => {
  const base = { ref: 'reg/vendor/x:prod', upstreamRef: 'up/x:1', upstreamId: id('2'), now: new Date(NOW), cooldownMs: 24 * HOUR };
  it('an upstream pushed 2 hours ago is not yet a reason; its other reasons stay (patch makes them from the old upstream)', () => {
    const verdict = patchVerdict({
      ...base,
      prodLabels: { [LABEL_PATCH_UPSTREAM]: id('1') },
      upstreamCreated: new Date(NOW - 2 * HOUR).toISOString(),
      packages: { ok: true, manager: 'apt', outdated: [{ name: 'libc6' }] },
    });
    expect(verdict).toMatchObject({ stale: true, reasons: ['packages-outdated'], waitingUntil: NOW + 22 * HOUR });
    expect(verdict.notes).toEqual([
      expect.stringMatching(/^upstream up\/x:1 changed: patched from 111111111111…, it is now 222222222222…, created .*: within the cooldown of 1d/),
    ]);
  });

  it('a day later the upstream change is a reason', () => {
    const verdict = patchVerdict({ ...base, prodLabels: { [LABEL_PATCH_UPSTREAM]: id('1') }, upstreamCreated: new Date(NOW - 25 * HOUR).toISOString() });
    expect(verdict).toMatchObject({ stale: true, reasons: ['upstream-changed'] });
    expect(verdict.waitingUntil).toBeUndefined();
  });
});
