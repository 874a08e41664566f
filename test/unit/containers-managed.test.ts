import { describe, expect, it } from 'vitest';
import { isManagedImage, isParkedName, managedImageRefs, originalName, parkedName, selectManagedContainers } from '../../src/containers/managed.js';
import type { ContainerInspect } from '../../src/containers/types.js';

const target = { registry: '127.0.0.1:5055', tag: 'prod' };

function container(name: string, image: string, extra: { labels?: Record<string, string>; autoRemove?: boolean } = {}): ContainerInspect {
  return {
    Id: `${name}-id`,
    Name: `/${name}`,
    Image: 'sha256:1111',
    State: { Status: 'running', Running: true },
    Config: { Image: image, Labels: extra.labels ?? null },
    HostConfig: { NetworkMode: 'none', AutoRemove: extra.autoRemove ?? false },
  };
}

describe('isManagedImage', () => {
  it.each([
    { image: '127.0.0.1:5055/lab/web:prod', managed: true },
    { image: '127.0.0.1:5055/team/api/v2:prod', managed: true },
    { image: '127.0.0.1:5055/lab/web:20261128-0301', managed: false },
    { image: '127.0.0.1:5055/lab/web', managed: false },
    { image: '127.0.0.1:5055/lab/web:prod@sha256:abcd', managed: false },
    { image: '127.0.0.1:5056/lab/web:prod', managed: false },
    { image: 'lab/web:prod', managed: false },
    { image: 'sha256:0123456789abcdef', managed: false },
  ])('$image → $managed', ({ image, managed }) => {
    expect(isManagedImage(image, target)).toBe(managed);
  });
});

describe('parked names', () => {
  it('appends and strips the suffix', () => {
    expect(parkedName('web')).toBe('web.freshen-old');
    expect(originalName('web.freshen-old')).toBe('web');
  });
  it.each([
    { name: 'web.freshen-old', parked: true },
    { name: 'web', parked: false },
    { name: '.freshen-old', parked: false },
    { name: 'web.freshen-older', parked: false },
  ])('$name parked: $parked', ({ name, parked }) => {
    expect(isParkedName(name)).toBe(parked);
  });
});

describe('selectManagedContainers', () => {
  it.each([
    {
      name: 'keeps registry images under the rollout tag, sorted by name',
      containers: [container('worker', '127.0.0.1:5055/lab/worker:prod'), container('web', '127.0.0.1:5055/lab/web:prod')],
      managed: ['web', 'worker'],
      ignored: [],
    },
    {
      name: 'skips other registries, other tags and pinned digests',
      containers: [
        container('other', 'docker.io/library/redis:prod'),
        container('dated', '127.0.0.1:5055/lab/web:20261128-0301'),
        container('pinned', '127.0.0.1:5055/lab/web:prod@sha256:abcd'),
      ],
      managed: [],
      ignored: [],
    },
    {
      name: 'skips parked containers silently',
      containers: [container('web.freshen-old', '127.0.0.1:5055/lab/web:prod'), container('web', '127.0.0.1:5055/lab/web:prod')],
      managed: ['web'],
      ignored: [],
    },
    {
      name: 'reports containers opted out by label (any case)',
      containers: [
        container('pinned', '127.0.0.1:5055/lab/web:prod', { labels: { 'freshen.enable': 'False' } }),
        container('web', '127.0.0.1:5055/lab/web:prod', { labels: { 'freshen.enable': 'true' } }),
      ],
      managed: ['web'],
      ignored: [{ name: 'pinned', reason: 'labelled freshen.enable=false' }],
    },
    {
      name: 'reports auto-removed containers, which cannot be parked',
      containers: [container('once', '127.0.0.1:5055/lab/web:prod', { autoRemove: true })],
      managed: [],
      ignored: [{ name: 'once', reason: 'auto-removed (--rm) containers cannot be parked and restored' }],
    },
  ])('$name', ({ containers, managed, ignored }) => {
    const selection = selectManagedContainers(containers, target);
    expect(selection.managed.map((c) => c.Name)).toEqual(managed.map((n) => `/${n}`));
    expect(selection.ignored).toEqual(ignored);
  });

  it('follows a non-default rollout tag', () => {
    const containers = [container('web', '127.0.0.1:5055/lab/web:prod'), container('canary', '127.0.0.1:5055/lab/web:canary')];
    expect(selectManagedContainers(containers, { ...target, tag: 'canary' }).managed.map((c) => c.Name)).toEqual(['/canary']);
  });
});

describe('managedImageRefs', () => {
  it('lists each reference once, sorted', () => {
    const managed = [
      container('b', '127.0.0.1:5055/lab/web:prod'),
      container('a', '127.0.0.1:5055/lab/api:prod'),
      container('c', '127.0.0.1:5055/lab/web:prod'),
    ];
    expect(managedImageRefs(managed)).toEqual(['127.0.0.1:5055/lab/api:prod', '127.0.0.1:5055/lab/web:prod']);
  });
});
