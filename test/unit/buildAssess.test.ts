import { describe, expect, it } from 'vitest';
import { assessTree, externalBasesToLookUp, type ImageFacts, type TreeFacts } from '../../src/images/assess.js';

const R = '127.0.0.1:5055';
const id = (c: string) => `sha256:${c.repeat(64)}`;
const OS = `${R}/upstream/os:stable`;
const BASE = `${R}/lab/base:prod`;
const CTX = id('c');

const image = (repository: string, bases: string[], recorded: Record<string, string>, over: Partial<ImageFacts> = {}): ImageFacts => ({
  repository,
  dir: `/tree/${repository}`,
  published: true,
  prodImageId: id(repository === 'lab/base' ? 'b' : repository === 'lab/web' ? 'w' : 'k'),
  provenance: { ok: true, value: { bases: recorded, contextDigest: CTX } },
  bases,
  contextDigest: CTX,
  ...over,
});

const lab = (over: Partial<TreeFacts> = {}, images?: ImageFacts[]): TreeFacts => ({
  registry: R,
  tag: 'prod',
  force: false,
  buildArgs: { REGISTRY: R },
  images: images ?? [
    image('lab/web', [BASE], { [BASE]: id('b') }),
    image('lab/worker', [BASE], { [BASE]: id('b') }),
    image('lab/base', [OS], { [OS]: id('1') }),
  ],
  baseIds: new Map([[OS, id('1')]]),
  ...over,
});

const verdicts = (facts: TreeFacts) => {
  const result = assessTree(facts);
  if (!result.ok) throw new Error(result.error);
  return result.images.map((i) => [i.repository, i.stale, i.reasons, i.dependsOn]);
};

describe('assessTree', () => {
  it('orders bases first and finds everything fresh', () => {
    expect(verdicts(lab())).toEqual([
      ['lab/base', false, [], []],
      ['lab/web', false, [], ['lab/base']],
      ['lab/worker', false, [], ['lab/base']],
    ]);
  });

  it('a new upstream makes the base base-changed and its dependents base-rebuilt', () => {
    expect(verdicts(lab({ baseIds: new Map([[OS, id('2')]]) }))).toEqual([
      ['lab/base', true, ['base-changed'], []],
      ['lab/web', true, ['base-rebuilt'], ['lab/base']],
      ['lab/worker', true, ['base-rebuilt'], ['lab/base']],
    ]);
  });

  it('a fresh in-tree base whose registry image differs from the recorded one is base-changed for the dependent', () => {
    const images = [image('lab/base', [OS], { [OS]: id('1') }), image('lab/web', [BASE], { [BASE]: id('0') })];
    expect(verdicts(lab({}, images))).toEqual([
      ['lab/base', false, [], []],
      ['lab/web', true, ['base-changed'], ['lab/base']],
    ]);
  });

  it('forces by name, and notes names that are not in the tree', () => {
    const result = assessTree(lab({ force: ['lab/web', 'lab/nope'] }));
    expect(result.ok && result.images.map((i) => [i.repository, i.reasons])).toEqual([
      ['lab/base', []],
      ['lab/web', ['forced']],
      ['lab/worker', []],
    ]);
    expect(result.ok && result.notes[0]).toBe('force names lab/nope, which is not a managed image of the tree');
  });

  it('force: true forces every image', () => {
    expect(verdicts(lab({ force: true })).map(([repo, , reasons]) => [repo, reasons])).toEqual([
      ['lab/base', ['forced']],
      ['lab/web', ['forced', 'base-rebuilt']],
      ['lab/worker', ['forced', 'base-rebuilt']],
    ]);
  });

  it('an unpublished base included makes its dependents base-rebuilt', () => {
    const images = [image('lab/base', [OS], {}, { published: false, provenance: undefined }), image('lab/web', [BASE], { [BASE]: id('b') })];
    expect(verdicts(lab({}, images))).toEqual([
      ['lab/base', true, ['unpublished'], []],
      ['lab/web', true, ['base-rebuilt'], ['lab/base']],
    ]);
  });

  it('writes one note per image, in build order, with its explanation and remarks', () => {
    const result = assessTree(
      lab({ baseIds: new Map([[OS, id('2')]]) }, [image('lab/base', [OS, 'alpine:3'], { [OS]: id('1') }), image('lab/web', [BASE], { [BASE]: id('b') })]),
    );
    expect(result.ok && result.notes).toEqual([
      `lab/base: stale (base-changed): base ${OS} changed: built from 111111111111…, registry now has 222222222222…`,
      'lab/base: base alpine:3 cannot be checked: it is not in this registry',
      `lab/web: stale (base-rebuilt): base ${BASE} is stale and is rebuilt first`,
    ]);
  });

  it('records the managed image facts discover hands to rebuild', () => {
    const result = assessTree(lab());
    expect(result.ok && result.images[1]).toEqual({
      repository: 'lab/web',
      dir: '/tree/lab/web',
      ref: `${R}/lab/web:prod`,
      tag: 'prod',
      bases: [BASE],
      dependsOn: ['lab/base'],
      contextDigest: CTX,
      stale: false,
      reasons: [],
      explanations: [],
      buildArgs: { REGISTRY: R },
    });
  });

  it('reports a dependency cycle clearly', () => {
    const images = [image('lab/a', [`${R}/lab/b:prod`], {}), image('lab/b', [`${R}/lab/a:prod`], {})];
    expect(assessTree(lab({}, images))).toEqual({ ok: false, error: "the tree's images depend on each other in a cycle: lab/a → lab/b → lab/a" });
  });
});

describe('externalBasesToLookUp', () => {
  it('lists the bases in this registry that are not tree images, once each', () => {
    const images = [{ bases: [OS, BASE, 'alpine:3'] }, { bases: [OS, `${R}/lab/base:20260101-0000`] }];
    expect(externalBasesToLookUp(images, R, 'prod', new Set(['lab/base']))).toEqual([`${R}/lab/base:20260101-0000`, OS]);
  });
});
