import { describe, expect, it } from 'vitest';
import { provenanceLabels, readProvenance } from '../../src/images/provenance.js';
import { staleVerdict, type StalenessFacts } from '../../src/images/staleness.js';

const id = (c: string) => `sha256:${c.repeat(64)}`;
const REF = '127.0.0.1:5055/lab/web:prod';
const OS = '127.0.0.1:5055/upstream/os:stable';
const BASE = '127.0.0.1:5055/lab/base:prod';
const CTX = id('c');

const facts = (over: Partial<StalenessFacts> = {}): StalenessFacts => ({
  ref: REF,
  published: true,
  forced: false,
  provenance: { ok: true, value: { bases: { [OS]: id('1') }, contextDigest: CTX } },
  bases: [OS],
  rebuiltBases: new Set(),
  currentBaseIds: new Map([[OS, id('1')]]),
  contextDigest: CTX,
  ...over,
});

describe('staleVerdict', () => {
  it.each([
    { name: 'fresh', over: {}, reasons: [], explanations: [], notes: [] },
    {
      name: 'base changed in the registry',
      over: { currentBaseIds: new Map([[OS, id('4')]]) },
      reasons: ['base-changed'],
      explanations: [`base ${OS} changed: built from 111111111111…, registry now has 444444444444…`],
      notes: [],
    },
    {
      name: 'in-tree base stale in this run (not compared by ID)',
      over: {
        bases: [BASE],
        rebuiltBases: new Set([BASE]),
        currentBaseIds: new Map(),
        provenance: { ok: true as const, value: { bases: { [BASE]: id('b') }, contextDigest: CTX } },
      },
      reasons: ['base-rebuilt'],
      explanations: [`base ${BASE} is stale and is rebuilt first`],
      notes: [],
    },
    {
      name: 'context changed',
      over: { contextDigest: id('d') },
      reasons: ['context-changed'],
      explanations: ['build context changed: built from cccccccccccc…, now dddddddddddd…'],
      notes: [],
    },
    {
      name: 'no provenance labels: nothing else compared',
      over: { provenance: { ok: false as const, problem: 'carries no provenance labels' }, contextDigest: id('d') },
      reasons: ['no-provenance'],
      explanations: [`${REF} carries no provenance labels`],
      notes: [],
    },
    {
      name: 'forced while fresh',
      over: { forced: true },
      reasons: ['forced'],
      explanations: ['the playbook forces a rebuild'],
      notes: [],
    },
    {
      name: 'unpublished',
      over: { published: false, provenance: undefined },
      reasons: ['unpublished'],
      explanations: [`${REF} is not published yet`],
      notes: [],
    },
    {
      name: 'a base the image was not built from',
      over: {
        bases: [OS, 'reg:5000/new:1'],
        currentBaseIds: new Map([
          [OS, id('1')],
          ['reg:5000/new:1', id('2')],
        ]),
      },
      reasons: ['base-changed'],
      explanations: [`base reg:5000/new:1 is new: ${REF} was not built from it`],
      notes: [],
    },
    {
      name: 'a base of another registry cannot be checked',
      over: { bases: [OS, 'alpine:3'] },
      reasons: [],
      explanations: [],
      notes: ['base alpine:3 cannot be checked: it is not in this registry'],
    },
    {
      name: 'a base missing from the registry',
      over: { currentBaseIds: new Map([[OS, undefined]]) },
      reasons: [],
      explanations: [],
      notes: [`base ${OS} is missing from the registry`],
    },
    {
      name: 'several reasons in a fixed order',
      over: {
        forced: true,
        bases: [OS, BASE],
        rebuiltBases: new Set([BASE]),
        currentBaseIds: new Map([[OS, id('4')]]),
        contextDigest: id('d'),
      },
      reasons: ['forced', 'base-rebuilt', 'base-changed', 'context-changed'],
      explanations: [
        'the playbook forces a rebuild',
        `base ${BASE} is stale and is rebuilt first`,
        `base ${OS} changed: built from 111111111111…, registry now has 444444444444…`,
        'build context changed: built from cccccccccccc…, now dddddddddddd…',
      ],
      notes: [],
    },
  ])('$name', ({ over, reasons, explanations, notes }) => {
    expect(staleVerdict(facts(over))).toEqual({ stale: reasons.length > 0, reasons, explanations, notes });
  });
});

describe('readProvenance', () => {
  it.each([
    { name: 'no labels at all', labels: null, read: { ok: false, problem: 'carries no provenance labels' } },
    { name: 'other labels only', labels: { team: 'x' }, read: { ok: false, problem: 'carries no provenance labels' } },
    {
      name: 'context label missing',
      labels: { 'org.freshen.bases': '{}' },
      read: { ok: false, problem: 'carries no provenance labels' },
    },
    {
      name: 'bases not JSON',
      labels: { 'org.freshen.bases': 'nope', 'org.freshen.context': CTX },
      read: { ok: false, problem: 'has an unreadable org.freshen.bases label' },
    },
    {
      name: 'bases not a map of strings',
      labels: { 'org.freshen.bases': '{"a":1}', 'org.freshen.context': CTX },
      read: { ok: false, problem: 'has an unreadable org.freshen.bases label' },
    },
    {
      name: 'complete',
      labels: { 'org.freshen.bases': JSON.stringify({ [OS]: id('1') }), 'org.freshen.context': CTX },
      read: { ok: true, value: { bases: { [OS]: id('1') }, contextDigest: CTX } },
    },
  ])('$name', ({ labels, read }) => {
    expect(readProvenance(labels as Record<string, string> | null)).toEqual(read);
  });

  it('reads back what provenanceLabels writes', () => {
    const labels = provenanceLabels({
      baseIds: { 'a:1': id('2'), [OS]: id('1') },
      contextDigest: CTX,
      source: 'lab/web',
      finalBase: OS,
      finalBaseDigest: `sha256:${'d'.repeat(64)}`,
      created: new Date(Date.UTC(2026, 10, 28, 3, 1, 9)),
    });
    expect(labels).toEqual({
      // Keys sorted: digits sort before letters.
      'org.freshen.bases': JSON.stringify({ [OS]: id('1'), 'a:1': id('2') }),
      'org.freshen.context': CTX,
      'org.freshen.source': 'lab/web',
      'org.opencontainers.image.created': '2026-11-28T03:01:09.000Z',
      'org.opencontainers.image.base.name': OS,
      'org.opencontainers.image.base.digest': `sha256:${'d'.repeat(64)}`,
    });
    expect(readProvenance(labels)).toEqual({ ok: true, value: { bases: { [OS]: id('1'), 'a:1': id('2') }, contextDigest: CTX } });
    // Unknown, it is still written, empty: otherwise the base's own label (naming the base's base) would be inherited.
    const unknown = provenanceLabels({ baseIds: {}, contextDigest: CTX, source: 'lab/web', finalBase: OS, created: new Date(0) });
    expect(unknown['org.opencontainers.image.base.digest']).toBe('');
  });
});

describe('staleVerdict: age, packages and multi-stage bases', () => {
  const NOW = new Date('2026-03-31T00:00:00Z');
  const TOOL = '127.0.0.1:5055/upstream/golang:1';
  const outdated = (n: number) => ({
    ok: true as const,
    manager: 'apt',
    os: 'Debian GNU/Linux 12 (bookworm)',
    outdated: Array.from({ length: n }, (_, i) => ({ name: `pkg${i}`, installed: '1', available: '2' })),
  });
  it.each([
    {
      name: 'older than max_age',
      over: { maxAgeMs: 30 * 86_400_000, created: '2026-02-01T00:00:00Z', now: NOW },
      reasons: ['max-age'],
      explanations: ['built 2026-02-01T00:00:00Z, 58d ago, older than max_age 30d'],
      notes: [],
    },
    { name: 'younger than max_age', over: { maxAgeMs: 30 * 86_400_000, created: '2026-03-30T00:00:00Z', now: NOW }, reasons: [], explanations: [], notes: [] },
    {
      name: 'tiny max_age in seconds',
      over: { maxAgeMs: 1000, created: '2026-03-30T23:59:50Z', now: NOW },
      reasons: ['max-age'],
      explanations: ['built 2026-03-30T23:59:50Z, 10.0s ago, older than max_age 1.0s'],
      notes: [],
    },
    { name: 'no creation time: age unknown, not stale', over: { maxAgeMs: 1000, now: NOW }, reasons: [], explanations: [], notes: [] },
    {
      name: 'packages outdated (first five listed)',
      over: { packages: outdated(7) },
      reasons: ['packages-outdated'],
      explanations: ['7 packages have updates (apt, Debian GNU/Linux 12 (bookworm)): pkg0, pkg1, pkg2, pkg3, pkg4 and 2 more'],
      notes: [],
    },
    {
      name: 'one package outdated',
      over: { packages: { ok: true as const, manager: 'custom probe', outdated: [{ name: 'openssl' }] } },
      reasons: ['packages-outdated'],
      explanations: ['1 package has an update (custom probe): openssl'],
      notes: [],
    },
    { name: 'probe found nothing', over: { packages: outdated(0) }, reasons: [], explanations: [], notes: [] },
    {
      name: 'a probe that cannot run decides nothing and says why',
      over: { packages: { ok: false as const, problem: 'no package manager found: no dpkg, rpm or apk database' } },
      reasons: [],
      explanations: [],
      notes: ['packages cannot be checked: no package manager found: no dpkg, rpm or apk database'],
    },
    {
      name: 'multi-stage: a build-stage base counts for staleness, named as such',
      over: {
        bases: [TOOL, OS],
        finalBase: OS,
        provenance: { ok: true as const, value: { bases: { [OS]: id('1'), [TOOL]: id('7') }, contextDigest: CTX } },
        currentBaseIds: new Map([
          [OS, id('1')],
          [TOOL, id('8')],
        ]),
      },
      reasons: ['base-changed'],
      explanations: [`build-stage base ${TOOL} changed: built from 777777777777…, registry now has 888888888888…`],
      notes: [],
    },
    {
      name: 'multi-stage: the final base changed',
      over: {
        bases: [TOOL, OS],
        finalBase: OS,
        provenance: { ok: true as const, value: { bases: { [OS]: id('1'), [TOOL]: id('7') }, contextDigest: CTX } },
        currentBaseIds: new Map([
          [OS, id('2')],
          [TOOL, id('7')],
        ]),
      },
      reasons: ['base-changed'],
      explanations: [`base ${OS} changed: built from 111111111111…, registry now has 222222222222…`],
      notes: [],
    },
    {
      name: 'every reason at once, in the fixed order',
      over: {
        forced: true,
        contextDigest: id('d'),
        currentBaseIds: new Map([[OS, id('4')]]),
        packages: outdated(1),
        maxAgeMs: 1000,
        created: '2026-01-01T00:00:00Z',
        now: NOW,
      },
      reasons: ['forced', 'base-changed', 'context-changed', 'packages-outdated', 'max-age'],
      explanations: expect.any(Array),
      notes: [],
    },
  ])('$name', ({ over, reasons, explanations, notes }) => {
    const verdict = staleVerdict(facts(over));
    expect(verdict).toEqual({ stale: reasons.length > 0, reasons, explanations, notes });
  });
});
