import { describe, expect, it } from 'vitest';
import { parsePruneOptions } from '../../src/steps/prune/pruneOptions.js';
import {
  imageRepository,
  planPrune,
  removalSentence,
  repositoryGlob,
  type HostContainer,
  type HostImage,
  type PruneInput,
} from '../../src/steps/prune/planPrune.js';

const R = 'reg:5000';
const id = (c: string): string => `sha256:${c.repeat(64)}`;
const image = (c: string, created: number, names: { tags?: string[]; digests?: string[] } = {}): HostImage => ({
  id: id(c),
  tags: names.tags ?? [],
  digests: names.digests ?? [],
  created,
  size: 1024 * created,
});
const container = (name: string, c: string, configImage = `${R}/app:prod`, state = 'running'): HostContainer => ({ name, imageId: id(c), configImage, state });
const input = (images: HostImage[], containers: HostContainer[], over: Partial<PruneInput> = {}): PruneInput => ({
  host: 'web3',
  registry: R,
  rolloutTag: 'prod',
  images,
  containers,
  repositories: [],
  keepPrevious: true,
  ...over,
});

// Four builds of app on a host: 1 and 2 long replaced (digests only), 3 the one before, 4 current (tagged prod).
const builds = [
  image('1', 1, { digests: [`${R}/app@${id('e')}`] }),
  image('2', 2, { digests: [`${R}/app@${id('f')}`] }),
  image('3', 3, { tags: [`${R}/app:20261103-0300`], digests: [`${R}/app@${id('0')}`] }),
  image('4', 4, { tags: [`${R}/app:prod`, `${R}/app:20261104-0300`], digests: [`${R}/app@${id('9')}`] }),
];

describe('planPrune', () => {
  it("keeps what a Swarm service pins by digest (its previous spec's image, for a rollback), though no container uses it", () => {
    const plan = planPrune(
      input(builds, [], { keepPrevious: false, servicePins: [{ digest: id('f'), service: 'api', use: 'service api (previous spec, the rollback target)' }] }),
    );
    expect(plan.removals.map((r) => r.id)).toEqual([id('1'), id('3'), id('4')]);
    expect(plan.kept).toEqual([`Kept ${R}/app@${id('f')} (222222222222) on web3: pinned by service api (previous spec, the rollback target)`]);
  });

  it("on a swarm worker (no specs to read) keeps the image before a running task's, as for a managed container", () => {
    const task = (name: string, c: string, digest: string, state = 'running'): HostContainer => ({
      ...container(name, c, `${R}/app:prod@${digest}`, state),
      swarmService: 'api',
    });
    const plan = planPrune(input(builds.slice(0, 2), [task('api.2.x1', '2', id('f'))]));
    expect(plan.removals.map((r) => r.id)).toEqual([]);
    expect(plan.kept[0]).toBe(`Kept ${R}/app@${id('e')} (111111111111) on web3: previous image of service api (task api.2.x1), for a rollback`);
    // A task that no longer runs says nothing about what came before; a pinned container that is no task is not managed.
    expect(planPrune(input(builds.slice(0, 2), [task('api.2.x0', '2', id('f'), 'exited')])).removals.map((r) => r.id)).toEqual([id('1')]);
    expect(planPrune(input(builds.slice(0, 2), [container('pinned', '2', `${R}/app:prod@${id('f')}`)])).removals.map((r) => r.id)).toEqual([id('1')]);
    // The build before is older than the running one: a newer image (built later, pulled for another reason) is not it.
    expect(planPrune(input(builds.slice(0, 2), [task('api.1.x2', '1', id('e'))])).removals.map((r) => r.id)).toEqual([id('2')]);
    // On a manager the service's specs decide: no guess from the tasks.
    const onManager = planPrune(
      input(builds.slice(0, 2), [task('api.2.x1', '2', id('f'))], { servicePins: [{ digest: id('f'), service: 'api', use: 'service api (current spec)' }] }),
    );
    expect(onManager.removals.map((r) => r.id)).toEqual([id('1')]);
  });

  it('removes unused images oldest first, keeps the current and the previous one of a managed container', () => {
    const plan = planPrune(input(builds, [container('web', '4')]));
    expect(plan.removals).toEqual([
      { id: id('1'), name: `${R}/app@${id('e')}`, tags: [], size: 1024 },
      { id: id('2'), name: `${R}/app@${id('f')}`, tags: [], size: 2048 },
    ]);
    expect(plan.kept).toEqual([
      `Kept ${R}/app:20261103-0300 (333333333333) on web3: previous image of container web, for a rollback`,
      `Kept ${R}/app:20261104-0300 (444444444444) on web3: used by container web (running)`,
    ]);
  });

  it('keep_previous: false removes the previous image too', () => {
    expect(planPrune(input(builds, [container('web', '4')], { keepPrevious: false })).removals.map((r) => r.id)).toEqual([id('1'), id('2'), id('3')]);
  });

  it('never removes an image a container uses, in any state, managed or not', () => {
    const plan = planPrune(
      input(builds, [container('web', '4'), container('old', '1', `${R}/app:20261101-0300`, 'exited'), container('x', '2', id('2'), 'created')]),
    );
    expect(plan.removals).toEqual([]);
    expect(plan.kept).toContain(`Kept ${R}/app@${id('e')} (111111111111) on web3: used by container old (exited)`);
  });

  it('after a rollback the previous image is the newest other one (the build rolled back from)', () => {
    const plan = planPrune(input(builds, [container('web', '3')]));
    expect(plan.removals.map((r) => r.id)).toEqual([id('1'), id('2')]);
    expect(plan.kept[1]).toBe(`Kept ${R}/app:20261104-0300 (444444444444) on web3: previous image of container web, for a rollback`);
  });

  it('leaves other registries, unnamed images, images named in two repositories, and repositories outside the globs alone', () => {
    const others = [
      image('5', 5, { tags: ['docker.io/library/busybox:latest'] }),
      image('6', 6),
      image('7', 7, { tags: [`${R}/app:x`, `${R}/other:x`] }),
      image('8', 8, { tags: [`${R}/team/api:old`] }),
    ];
    expect(planPrune(input(others, [])).removals.map((r) => r.id)).toEqual([id('8')]);
    expect(planPrune(input([...builds, ...others], [], { repositories: ['team/*'] })).removals.map((r) => r.id)).toEqual([id('8')]);
  });

  it('imageRepository and repositoryGlob', () => {
    expect(imageRepository(builds[3]!, R, [])).toBe('app');
    expect(imageRepository(builds[3]!, 'other:5000', [])).toBeUndefined();
    expect(repositoryGlob('t-prune/*').test('t-prune/a/b')).toBe(true);
    expect(repositoryGlob('t-prune/*').test('t-prunex/a')).toBe(false);
    expect(repositoryGlob('a.b').test('axb')).toBe(false);
  });

  it('removalSentence', () => {
    expect(removalSentence('web3', { id: id('a'), name: `${R}/app:1`, tags: [], size: 1536 }, false)).toBe(
      `Remove image ${R}/app:1 (aaaaaaaaaaaa, 1.5 KiB) from web3`,
    );
    expect(removalSentence('web3', { id: id('a'), name: `${R}/app:1`, tags: [], size: 10 }, true)).toBe(
      `Removed image ${R}/app:1 (aaaaaaaaaaaa, 10 B) from web3`,
    );
  });
});

describe('parsePruneOptions', () => {
  it.each([
    { input: null, output: { repositories: [], keepPrevious: true } },
    { input: { repositories: ['a/*'], keep_previous: false }, output: { repositories: ['a/*'], keepPrevious: false } },
  ])('$input', ({ input, output }) => expect(parsePruneOptions(input)).toEqual(output));
  it.each([
    { input: { repositories: 'a' }, message: 'repositories must be a list of repository names or globs, not "a"' },
    { input: { keep_previous: 'yes' }, message: 'prune: keep_previous must be true or false, not "yes"' },
  ])('rejects $input', ({ input, message }) => expect(() => parsePruneOptions(input)).toThrow(message));
});
