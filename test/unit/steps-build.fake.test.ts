// discover, rebuild and push on a fake engine and registry over a real image tree in a temp directory: the three passes of each,
// and the verdict and provenance they hand on, beside the lab tests that build for real.
import { mkdir, mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import { newRunState } from '../../src/steps/facts.js';
import { runStep } from '../../src/runner/runStep.js';
import { discoverStep } from '../../src/steps/discover/discover.js';
import { pushStep } from '../../src/steps/push/push.js';
import { rebuildStep } from '../../src/steps/rebuild/rebuild.js';
import type { StepHandler } from '../../src/steps/types.js';
import type { HostFacts } from '../../src/steps/facts.js';
import { FakeEngine, FakeRegistry, fakeContext } from '../support/fakes.js';

const REPO = 'team/api';
let root: string;

beforeAll(async () => {
  root = await mkdtemp(join(tmpdir(), 't-fake-build-'));
  await mkdir(join(root, REPO), { recursive: true });
  await writeFile(join(root, REPO, 'Dockerfile'), 'FROM scratch\nCOPY app /app\n');
  await writeFile(join(root, REPO, 'app'), 'v1\n');
});
afterAll(() => rm(root, { recursive: true, force: true }));

describe('discover, rebuild, push on a fake engine', () => {
  it('finds an image without provenance stale, builds it once with provenance, pushes both tags; the next run finds it fresh', async () => {
    const registry = new FakeRegistry();
    registry.publish(REPO, 'prod', `sha256:${'0'.repeat(63)}1`);
    const engine = new FakeEngine(undefined, registry);
    const run = newRunState();
    const facts: HostFacts = {};
    const step = (handler: StepHandler, check: boolean, options: Record<string, unknown> = {}) =>
      runStep(handler, fakeContext({ engine, registry, check, facts, run, host: 'build1' }), options);

    const found = await step(discoverStep, true, { root });
    expect(found.status).toBe('ok');
    expect(facts.images).toMatchObject([{ repository: REPO, stale: true }]);
    expect(JSON.stringify(found.details)).toContain('no-provenance');

    const planned = await step(rebuildStep, true);
    expect(planned).toMatchObject({ status: 'changed', actions: [expect.stringContaining(`${registry.name}/${REPO}:prod`)] });
    expect(engine.writes).toEqual([]);
    const built = await step(rebuildStep, false);
    expect(built.status, 'reason' in built ? built.reason : '').toBe('changed');
    const dateRef = facts.built![0]!.dateRef;
    // The build, then the metadata-only build that labels its package manifest, then the datestamp tag.
    expect(engine.writes).toEqual([`build ${registry.name}/${REPO}:prod`, `build ${registry.name}/${REPO}:prod`, `tag ${dateRef}`]);
    const image = engine.imageOf(`${registry.name}/${REPO}:prod`)!;
    expect(Object.keys(image.config.Labels ?? {})).toEqual(
      expect.arrayContaining(['org.freshen.context', 'org.freshen.bases', 'org.freshen.source', 'org.freshen.packages']),
    );

    const pushCheck = await step(pushStep, true);
    expect(pushCheck.status).toBe('changed');
    expect(registry.writes).toEqual([]);
    const pushed = await step(pushStep, false);
    expect(pushed.status, 'reason' in pushed ? pushed.reason : '').toBe('changed');
    expect(engine.writes.slice(-2)).toEqual([`push ${registry.name}/${REPO}:prod`, `push ${dateRef}`]);
    expect((await registry.imageConfig(REPO, 'prod'))?.configDigest).toBe(image.id);

    // The next run: fresh, nothing to build, nothing to push.
    const next: HostFacts = {};
    const again = (handler: StepHandler, options: Record<string, unknown> = {}) =>
      runStep(handler, fakeContext({ engine, registry, facts: next, run: newRunState(), host: 'build1' }), options);
    await again(discoverStep, { root });
    expect(next.images).toMatchObject([{ repository: REPO, stale: false }]);
    expect(await again(rebuildStep)).toMatchObject({ status: 'ok' });
    expect(await again(pushStep)).toMatchObject({ status: 'skipped', reason: 'nothing was built on this host' });
  });
});

describe('rebuild on a build host with many images', () => {
  it('lists the engine images once to plan and once to apply, however many images are stale, and gives each its own datestamp', async () => {
    const many = await mkdtemp(join(tmpdir(), 't-fake-many-'));
    try {
      const repos = Array.from({ length: 12 }, (_, i) => `team/app${i}`);
      for (const repo of repos) {
        await mkdir(join(many, repo), { recursive: true });
        await writeFile(join(many, repo, 'Dockerfile'), 'FROM scratch\nCOPY app /app\n');
        await writeFile(join(many, repo, 'app'), `${repo}\n`);
      }
      const registry = new FakeRegistry();
      for (const repo of repos) registry.publish(repo, 'prod', `sha256:${'0'.repeat(63)}1`);
      const engine = new FakeEngine(undefined, registry);
      // Unrelated images the engine has to scan on every listing.
      for (let i = 0; i < 200; i++)
        engine.addImage({ id: `sha256:${i.toString(16).padStart(64, 'a')}`, tags: [`other/thing${i}:v1`], repoDigests: [], config: {}, size: 1, created: 0 });
      const listings = vi.spyOn(engine, 'listImages');
      const facts: HostFacts = {};
      const step = (handler: StepHandler, check: boolean) =>
        runStep(handler, fakeContext({ engine, registry, check, facts, run: newRunState(), host: 'build1' }), handler === discoverStep ? { root: many } : {});
      await step(discoverStep, true);
      expect(facts.images?.filter((i) => i.stale)).toHaveLength(repos.length);
      const planned = await step(rebuildStep, true);
      expect(planned.status).toBe('changed');
      expect(listings).toHaveBeenCalledTimes(1);
      listings.mockClear();
      const built = await step(rebuildStep, false);
      expect(built.status, 'reason' in built ? built.reason : '').toBe('changed');
      // One for the plan that apply re-runs, one for apply itself.
      expect(listings).toHaveBeenCalledTimes(2);
      expect(new Set(facts.built!.map((b) => b.dateRef)).size).toBe(repos.length);
    } finally {
      await rm(many, { recursive: true, force: true });
    }
  });
});

describe('discover’s verdicts on a fake registry', () => {
  it.each([
    { name: 'prod without freshen labels', labels: (_context: string) => ({}), stale: true, reason: 'no-provenance' },
    {
      name: 'prod built from another context',
      labels: (_context: string) => ({ 'org.freshen.context': `sha256:${'e'.repeat(64)}`, 'org.freshen.bases': '{}' }),
      stale: true,
      reason: 'context-changed',
    },
    {
      name: 'prod built from this very context',
      labels: (context: string) => ({ 'org.freshen.context': context, 'org.freshen.bases': '{}' }),
      stale: false,
      reason: undefined,
    },
  ])('$name → stale: $stale', async ({ labels, stale, reason }) => {
    // The context digest of this tree, as discover computes it, comes from a first look at an unpublished copy.
    const probe = new FakeRegistry();
    const first: HostFacts = {};
    await runStep(discoverStep, fakeContext({ registry: probe, facts: first }), { root, include_unpublished: true });
    const context = first.images![0]!.contextDigest;
    const registry = new FakeRegistry();
    registry.publish(REPO, 'prod', `sha256:${'0'.repeat(63)}1`, labels(context));
    const facts: HostFacts = {};
    const result = await runStep(discoverStep, fakeContext({ registry, facts }), { root });
    expect(result.status).toBe('ok');
    expect(facts.images).toMatchObject([{ repository: REPO, stale }]);
    if (reason) expect(facts.images![0]!.reasons).toContain(reason);
    else expect(facts.images![0]!.reasons).toEqual([]);
  });
});

describe('a base from another registry', () => {
  it("is pulled with that registry's credentials alone: the host registry's never go with it", async () => {
    const tree = await mkdtemp(join(tmpdir(), 't-fake-base-'));
    try {
      await mkdir(join(tree, REPO), { recursive: true });
      await writeFile(join(tree, REPO, 'Dockerfile'), 'FROM docker.io/library/busybox:1.36\nCOPY app /app\n');
      await writeFile(join(tree, REPO, 'app'), 'v1\n');
      const registry = new FakeRegistry();
      registry.publish(REPO, 'prod', `sha256:${'0'.repeat(63)}2`);
      const base = { image: { id: `sha256:${'b'.repeat(64)}`, config: {}, size: 10 }, digest: `sha256:${'c'.repeat(64)}` };
      const engine = new FakeEngine((ref) => (ref === 'docker.io/library/busybox:1.36' ? base : undefined), registry);
      const vars = { registry_auth: { username: 'ci', password: 'host-registry-secret' } };
      const facts: HostFacts = {};
      const step = (handler: StepHandler, options: Record<string, unknown> = {}) =>
        runStep(handler, fakeContext({ engine, registry, vars, facts, run: newRunState(), host: 'build1' }), options);
      await step(discoverStep, { root: tree });
      const built = await step(rebuildStep, { pull: true });
      expect(built.status, 'reason' in built ? built.reason : '').toBe('changed');
      expect(engine.writes[0]).toBe('pull docker.io/library/busybox:1.36');
      expect(engine.pullAuths[0]).toEqual({});
      expect(JSON.stringify(engine.pullAuths)).not.toContain('host-registry-secret');
    } finally {
      await rm(tree, { recursive: true, force: true });
    }
  });
});
