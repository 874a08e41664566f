import { describe, expect, it } from 'vitest';
import { datestampFormat } from '../../src/images/datestamp.js';
import { rollbackTarget } from '../../src/cli/rollbackCommand.js';
import type { Host, Inventory } from '../../src/model/inventory.js';
import { holdNote, rollbackHold } from '../../src/images/rollbackHold.js';
import { planRollback, tagsOf, type RollbackFacts } from '../../src/images/rollbackPlan.js';

const DEFAULT_FORMAT = datestampFormat();

const OLD = `sha256:${'a'.repeat(64)}`;
const NEW = `sha256:${'b'.repeat(64)}`;
const MID = `sha256:${'c'.repeat(64)}`;
const facts = (over: Partial<RollbackFacts> = {}): RollbackFacts => ({
  registry: 'reg:5000',
  repository: 'lab/web',
  tag: '20261101-0300',
  rolloutTag: 'prod',
  tags: ['20261101-0300', '20261105-0300', 'prod'],
  targetDigest: OLD,
  currentDigest: NEW,
  ...over,
});

describe('planRollback', () => {
  it.each([
    {
      name: 'moves the rollout tag to an older datestamp',
      input: facts(),
      current: ['20261105-0300'],
      plan: {
        action: 'move',
        digest: OLD,
        sentence: 'Point reg:5000/lab/web:prod at 20261101-0300 (aaaaaaaaaaaa; was bbbbbbbbbbbb = 20261105-0300)',
        done: 'Pointed reg:5000/lab/web:prod at 20261101-0300 (aaaaaaaaaaaa; was bbbbbbbbbbbb = 20261105-0300)',
      },
    },
    {
      name: 'says so for a tag that is not a datestamp',
      input: facts({ tag: 'v1', tags: ['v1', 'prod'] }),
      current: [],
      plan: {
        action: 'move',
        digest: OLD,
        sentence: 'Point reg:5000/lab/web:prod at v1 (aaaaaaaaaaaa; was bbbbbbbbbbbb) (v1 is not a datestamp tag)',
        done: 'Pointed reg:5000/lab/web:prod at v1 (aaaaaaaaaaaa; was bbbbbbbbbbbb) (v1 is not a datestamp tag)',
      },
    },
    {
      name: 'nothing to do when already there',
      input: facts({ currentDigest: OLD }),
      current: [],
      plan: { action: 'none', sentence: 'reg:5000/lab/web:prod already points at 20261101-0300 (aaaaaaaaaaaa)' },
    },
    {
      name: 'refuses an unknown repository',
      input: facts({ tags: [], targetDigest: undefined, currentDigest: undefined }),
      current: [],
      plan: { action: 'refuse', message: 'reg:5000/lab/web: no such repository in reg:5000 (it has no tags)' },
    },
    {
      name: 'refuses an unknown tag, listing the newest datestamps',
      input: facts({ tag: '20250101-0000', targetDigest: undefined }),
      current: [],
      plan: { action: 'refuse', message: 'reg:5000/lab/web: no tag 20250101-0000; newest datestamps: 20261105-0300, 20261101-0300' },
    },
    {
      name: 'refuses the rollout tag itself',
      input: facts({ tag: 'prod' }),
      current: [],
      plan: { action: 'refuse', message: 'reg:5000/lab/web: prod is the rollout tag itself; name the earlier tag to roll back to' },
    },
  ])('$name', ({ input, current, plan }) => {
    expect(planRollback(input, current)).toEqual(plan);
  });

  it('tagsOf names the other tags of a digest, sorted, without the rollout tag', () => {
    expect(
      tagsOf(
        new Map([
          ['b', NEW],
          ['prod', NEW],
          ['a', NEW],
          ['c', OLD],
        ]),
        NEW,
        'prod',
      ),
    ).toEqual(['a', 'b']);
  });
});

describe('rollbackHold', () => {
  const tags = new Map([
    ['20261101-0300', OLD],
    ['20261103-0300', MID],
    ['20261105-0300', NEW],
    ['latest', OLD],
  ]);
  it.each([
    { name: 'rollout tag on the newest build: no hold', rollout: NEW, hold: undefined },
    { name: 'rollout tag on an older build: held', rollout: OLD, hold: { repository: 'lab/web', heldAt: '20261101-0300', newest: '20261105-0300' } },
    { name: 'rollout tag on no datestamp (pushed by hand): no hold', rollout: `sha256:${'d'.repeat(64)}`, hold: undefined },
  ])('$name', ({ rollout, hold }) => {
    expect(rollbackHold('lab/web', rollout, tags, DEFAULT_FORMAT)).toEqual(hold);
  });
  it('no datestamps at all: no hold', () => {
    expect(rollbackHold('lab/web', OLD, new Map([['latest', OLD]]), DEFAULT_FORMAT)).toBeUndefined();
  });
  it('the newest and an older datestamp share the digest: no hold', () => {
    expect(
      rollbackHold(
        'lab/web',
        OLD,
        new Map([
          ['20261101-0300', OLD],
          ['20261105-0300', OLD],
        ]),
        DEFAULT_FORMAT,
      ),
    ).toBeUndefined();
  });
  it('a same-minute suffix counts as newer', () => {
    expect(
      rollbackHold(
        'lab/web',
        OLD,
        new Map([
          ['20261105-0300', OLD],
          ['20261105-0300-2', NEW],
        ]),
        DEFAULT_FORMAT,
      ),
    ).toEqual({ repository: 'lab/web', heldAt: '20261105-0300', newest: '20261105-0300-2' });
  });
  it('holdNote', () => {
    expect(holdNote({ repository: 'lab/web', heldAt: '20261101-0300', newest: '20261105-0300' })).toBe(
      'lab/web: rolled back to 20261101-0300 (newest build 20261105-0300); not rebuilding until a newer build is pushed, the rollout tag is moved forward, or discover is forced',
    );
  });
});

describe('rollbackTarget', () => {
  const host = (name: string, vars: Record<string, unknown>): Host => ({ name, groups: ['all'], vars });
  const inventory = (...hosts: Host[]): Inventory => ({ file: 'inv.yml', groups: new Map(), hosts: new Map(hosts.map((h) => [h.name, h])) });
  const one = inventory(host('a', { registry: '127.0.0.1:5055' }), host('b', { registry: '127.0.0.1:5055', rollout_tag: 'live' }));
  const two = inventory(host('a', { registry: 'r1:5000' }), host('b', { registry: 'r2:5000', rollout_tag: 'live' }));

  it('the only registry, with its rollout tag', () => {
    expect(rollbackTarget(one, 'lab/web', {})).toMatchObject({
      ok: true,
      repository: 'lab/web',
      rolloutTag: 'prod',
      settings: { name: '127.0.0.1:5055', url: 'http://127.0.0.1:5055' },
    });
  });
  it('IMAGE may carry the registry; -e overrides the rollout tag', () => {
    expect(rollbackTarget(two, 'r2:5000/lab/web', {})).toMatchObject({ ok: true, repository: 'lab/web', rolloutTag: 'live', settings: { name: 'r2:5000' } });
    expect(rollbackTarget(one, '127.0.0.1:5055/lab/web', { rollout_tag: 'x' })).toMatchObject({ ok: true, repository: 'lab/web', rolloutTag: 'x' });
  });
  it.each([
    {
      name: 'several registries and a bare IMAGE',
      inv: two,
      image: 'lab/web',
      message: 'inv.yml uses several registries (r1:5000, r2:5000): name one in IMAGE, e.g. r1:5000/lab/web',
    },
    {
      name: 'no registry at all',
      inv: inventory(host('a', {})),
      image: 'lab/web',
      message: 'inv.yml sets no `registry` variable: which registry holds lab/web?',
    },
    { name: 'not a repository name', inv: one, image: 'Lab/Web:prod', message: 'Lab/Web:prod: not a repository name (expected something like lab/web)' },
  ])('refuses $name', ({ inv, image, message }) => {
    expect(rollbackTarget(inv, image, {})).toEqual({ ok: false, message });
  });
});
