import { describe, expect, it } from 'vitest';
import {
  joinedModes,
  namespaceDependents,
  namespacePhrase,
  networkParentOf,
  parentsFirst,
  refersTo,
  replacementWaves,
  sharedWith,
  volumesParentsOf,
} from '../../src/containers/namespaceShare.js';
import type { ContainerInspect } from '../../src/containers/types.js';

const id = (c: string): string => c.repeat(64);

function container(name: string, idChar: string, networkMode: string, running = true): ContainerInspect {
  return {
    Id: id(idChar),
    Name: `/${name}`,
    Image: 'sha256:1',
    State: { Status: running ? 'running' : 'exited', Running: running },
    Config: { Image: '127.0.0.1:5055/lab/web:prod' },
    HostConfig: { NetworkMode: networkMode },
  };
}

describe('networkParentOf', () => {
  it.each([
    { mode: `container:${id('a')}`, parent: id('a') },
    { mode: 'container:web', parent: 'web' },
    { mode: 'host', parent: undefined },
    { mode: 'none', parent: undefined },
    { mode: 'backend', parent: undefined },
    { mode: undefined, parent: undefined },
  ])('$mode → $parent', ({ mode, parent }) => {
    expect(networkParentOf(mode)).toBe(parent);
  });
});

describe('refersTo', () => {
  const web = container('web.freshen-old', 'a', 'none');
  it.each([
    { ref: id('a'), refers: true },
    { ref: 'aaaaaaaaaaaa', refers: true },
    { ref: 'aaaaaaaaaaa', refers: false },
    { ref: 'web.freshen-old', refers: true },
    { ref: 'web', refers: false },
    { ref: id('b'), refers: false },
  ])('$ref → $refers', ({ ref, refers }) => {
    expect(refersTo(ref, web)).toBe(refers);
  });
});

describe('namespaceDependents', () => {
  const parent = container('web.freshen-old', 'a', 'none', false);
  const withModes = (name: string, idChar: string, modes: Record<string, string>): ContainerInspect => {
    const c = container(name, idChar, 'default');
    return { ...c, HostConfig: { ...c.HostConfig, ...modes } };
  };
  const containers = [
    parent,
    container('sidecar', 'b', `container:${id('a')}`),
    container('metrics', 'c', `container:${id('a')}`, false),
    container('other', 'd', `container:${id('e')}`),
    container('hosted', 'f', 'host'),
    container('proxy', 'g', 'container:web.freshen-old'),
    container('web-api', 'h', `container:${id('a')}`),
    withModes('tracer', 'i', { PidMode: `container:${id('a')}` }),
    withModes('shm', 'j', { IpcMode: 'container:web.freshen-old', PidMode: 'host' }),
    withModes('all', 'k', { NetworkMode: `container:${id('a')}`, PidMode: `container:${id('a')}`, IpcMode: `container:${id('a')}` }),
    withModes('elsewhere', 'l', { PidMode: `container:${id('e')}`, IpcMode: 'shareable' }),
  ];
  it('finds the containers joined to any namespace of the parent by ID or name, with what they share, sorted, minus the excluded', () => {
    expect(namespaceDependents(containers, parent, new Set(['web-api']))).toEqual([
      { id: id('k'), name: 'all', running: true, shares: ['network', 'pid', 'ipc'] },
      { id: id('c'), name: 'metrics', running: false, shares: ['network'] },
      { id: id('g'), name: 'proxy', running: true, shares: ['network'] },
      { id: id('j'), name: 'shm', running: true, shares: ['ipc'] },
      { id: id('b'), name: 'sidecar', running: true, shares: ['network'] },
      { id: id('i'), name: 'tracer', running: true, shares: ['pid'] },
    ]);
  });
  it('re-points exactly what is shared, by name, and names it', () => {
    const tracer = containers.find((c) => c.Name === '/tracer')!;
    expect(sharedWith(tracer.HostConfig, parent)).toEqual(['pid']);
    expect(joinedModes(['pid', 'ipc'], 'web')).toEqual({ PidMode: 'container:web', IpcMode: 'container:web' });
    expect(joinedModes(['network'], 'web')).toEqual({ NetworkMode: 'container:web' });
    expect(namespacePhrase(['network'])).toBe('network namespace');
    expect(namespacePhrase(['pid'])).toBe('PID namespace');
    expect(namespacePhrase(['network', 'pid', 'ipc'])).toBe('network, PID and IPC namespaces');
  });
  it('reads --volumes-from sources without their mode, skipping what is not a name', () => {
    expect(volumesParentsOf({ VolumesFrom: ['data:ro', 'logs', `${id('a')}:rw`, '', 7] })).toEqual(['data', 'logs', id('a')]);
    expect(volumesParentsOf({})).toEqual([]);
  });
});

describe('parentsFirst', () => {
  const items = [{ name: 'a-child', parent: 'z-parent' }, { name: 'b' }, { name: 'c-grandchild', parent: 'a-child' }, { name: 'z-parent' }];
  it('puts a parent before the containers that share its namespace, keeping the order otherwise', () => {
    expect(parentsFirst(items, (item) => item.parent).map((item) => item.name)).toEqual(['z-parent', 'a-child', 'b', 'c-grandchild']);
  });
  it('ignores a parent that is not an item', () => {
    expect(parentsFirst([{ name: 'x', parent: 'gone' }, { name: 'a' }], (item) => item.parent).map((item) => item.name)).toEqual(['x', 'a']);
  });
});

describe('replacementWaves', () => {
  const names = (waves: Array<Array<{ name: string }>>) => waves.map((wave) => wave.map((item) => item.name));
  it('replaces independent containers together and each dependent in the wave after its parent', () => {
    const items = [{ name: 'a-child', parent: 'z-parent' }, { name: 'b' }, { name: 'c-grandchild', parent: 'a-child' }, { name: 'z-parent' }];
    expect(names(replacementWaves(items, (item) => item.parent))).toEqual([['b', 'z-parent'], ['a-child'], ['c-grandchild']]);
  });
  it('treats a parent that is not replaced as no parent', () => {
    expect(names(replacementWaves([{ name: 'x', parent: 'gone' }, { name: 'a' }], (item) => item.parent))).toEqual([['x', 'a']]);
  });
  it('returns no waves for no items', () => {
    expect(replacementWaves([], () => undefined)).toEqual([]);
  });
});
