import { describe, expect, it } from 'vitest';
import { buildOrder, treeDependencies } from '../../src/images/graph.js';

const node = (repository: string, ...dependsOn: string[]) => ({ repository, dependsOn });

describe('buildOrder', () => {
  it.each([
    { name: 'empty', nodes: [], order: [] },
    { name: 'independent images in alphabetical order', nodes: [node('b'), node('a'), node('c')], order: ['a', 'b', 'c'] },
    {
      name: 'bases before dependents',
      nodes: [node('lab/web', 'lab/base'), node('lab/base', 'up/os'), node('up/os'), node('lab/worker', 'lab/base')],
      order: ['up/os', 'lab/base', 'lab/web', 'lab/worker'],
    },
    {
      name: 'a diamond',
      nodes: [node('d', 'b', 'c'), node('c', 'a'), node('b', 'a'), node('a')],
      order: ['a', 'b', 'c', 'd'],
    },
    { name: 'dependencies outside the graph are ignored', nodes: [node('app', 'elsewhere')], order: ['app'] },
  ])('$name', ({ nodes, order }) => {
    expect(buildOrder(nodes)).toEqual({ ok: true, order });
  });

  it.each([
    { name: 'two images', nodes: [node('a', 'b'), node('b', 'a')], cycle: ['a', 'b', 'a'] },
    { name: 'self reference', nodes: [node('a', 'a')], cycle: ['a', 'a'] },
    {
      name: 'a longer loop behind a fresh image',
      nodes: [node('a'), node('b', 'a', 'd'), node('c', 'b'), node('d', 'c')],
      cycle: ['b', 'd', 'c', 'b'],
    },
  ])('reports the cycle: $name', ({ nodes, cycle }) => {
    expect(buildOrder(nodes)).toEqual({ ok: false, cycle });
  });
});

describe('treeDependencies', () => {
  const tree = new Set(['lab/base', 'lab/web']);
  it.each([
    { name: 'tree repository at the rollout tag', bases: ['127.0.0.1:5055/lab/base:prod'], deps: ['lab/base'] },
    { name: 'other tag', bases: ['127.0.0.1:5055/lab/base:20260101-1200'], deps: [] },
    { name: 'pinned digest', bases: [`127.0.0.1:5055/lab/base:prod@sha256:${'a'.repeat(64)}`], deps: [] },
    { name: 'other registry', bases: ['reg.example.org/lab/base:prod'], deps: [] },
    { name: 'not in the tree', bases: ['127.0.0.1:5055/upstream/os:prod'], deps: [] },
    { name: 'Docker Hub', bases: ['alpine:3'], deps: [] },
    { name: 'duplicates collapse', bases: ['127.0.0.1:5055/lab/base:prod', '127.0.0.1:5055/lab/base:prod'], deps: ['lab/base'] },
  ])('$name', ({ bases, deps }) => {
    expect(treeDependencies(bases, '127.0.0.1:5055', 'prod', tree)).toEqual(deps);
  });
});
