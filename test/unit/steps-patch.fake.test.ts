// patch on fakes: the upstream lives in another registry, reached through the host's connections (otherRegistry), so what
// patch decides, says and announces to push is tested without a registry or an engine; the lab tests patch for real
// (test/integration/patch.test.ts).
import { describe, expect, it } from 'vitest';
import { LABEL_PATCH_UPSTREAM } from '../../src/images/patch.js';
import { LABEL_BASE_DIGEST } from '../../src/images/provenance.js';
import { runStep } from '../../src/runner/runStep.js';
import { newRunState, type HostFacts } from '../../src/steps/facts.js';
import { patchStep } from '../../src/steps/patch/patch.js';
import { FakeRegistry, fakeContext } from '../support/fakes.js';

const id = (digit: string): string => `sha256:${digit.repeat(64)}`;
const OPTIONS = { images: [{ from: 'debian:bookworm', to: 'os/debian' }], probe: false };

function world(prodUpstream: string | undefined) {
  const own = new FakeRegistry();
  const hub = new FakeRegistry('docker.io');
  hub.publish('library/debian', 'bookworm', id('2'));
  if (prodUpstream !== undefined) own.publish('os/debian', 'prod', id('3'), { [LABEL_PATCH_UPSTREAM]: prodUpstream });
  const facts: HostFacts = {};
  const ctx = fakeContext({ registry: own, registries: { 'docker.io': hub }, check: true, facts, run: newRunState(), host: 'build1' });
  return { own, hub, facts, check: () => runStep(patchStep, ctx, OPTIONS) };
}

describe('patch on fakes', () => {
  it('an upstream that moved under prod: check says what it would patch and why, announces the build for push, writes nothing', async () => {
    const w = world(id('1'));
    const result = await w.check();
    expect(result.status, JSON.stringify(result)).toBe('changed');
    expect(result.status === 'changed' && result.actions).toEqual([
      expect.stringMatching(/^Patch registry\.test:5000\/os\/debian:prod and registry\.test:5000\/os\/debian:\S+ from debian:bookworm \(.+\) because /),
    ]);
    expect(w.facts.built).toEqual([expect.objectContaining({ repository: 'os/debian', ref: 'registry.test:5000/os/debian:prod', planned: true })]);
    expect(result.details).toMatchObject({ images: [{ repository: 'os/debian', from: 'debian:bookworm', upstream: id('2'), stale: true }] });
    expect([...w.own.writes, ...w.hub.writes]).toEqual([]);
  });

  it('prod patched from the upstream as it is now: ok, nothing announced', async () => {
    const w = world(id('2'));
    const result = await w.check();
    expect(result.status, JSON.stringify(result)).toBe('ok');
    expect(w.facts.built ?? []).toEqual([]);
  });

  it('cooldown: an upstream pushed an hour ago is not a reason; prod with pending updates is patched from the upstream it had, by digest', async () => {
    const own = new FakeRegistry();
    const hub = new FakeRegistry('docker.io');
    hub.publish('library/debian', 'bookworm', id('2'), {}, '2026-12-07T11:00:00Z');
    own.publish('os/debian', 'prod', id('3'), { [LABEL_PATCH_UPSTREAM]: id('1'), [LABEL_BASE_DIGEST]: id('9') });
    const ctx = fakeContext({
      registry: own,
      registries: { 'docker.io': hub },
      check: true,
      run: newRunState(),
      host: 'build1',
      now: () => Date.parse('2026-12-07T12:00:00Z'),
    });
    const options = { ...OPTIONS, cooldown: '1d', max_age: '1w' };
    const result = await runStep(patchStep, ctx, options);
    expect(result.status, JSON.stringify(result)).toBe('changed');
    expect(result.status === 'changed' && result.actions).toEqual([
      expect.stringMatching(
        new RegExp(`^Patch registry\\.test:5000/os/debian:prod and \\S+ from debian@${id('9')} \\(sha256:111111111111…\\) because patched 2026-11-01`),
      ),
    ]);
    expect(result.notes).toContainEqual(
      expect.stringMatching(
        /^os\/debian: upstream debian:bookworm changed: .*within the cooldown of 1d, not a reason to patch until 2026-12-08T11:00:00\.000Z$/,
      ),
    );
    expect(result.details).toMatchObject({ images: [{ reasons: ['max-age'], cooldown_until: '2026-12-08T11:00:00.000Z' }] });

    // Without the upstream's digest on prod, nothing is patched while the upstream cools down.
    own.publish('os/debian', 'prod', id('3'), { [LABEL_PATCH_UPSTREAM]: id('1') });
    const held = await runStep(patchStep, ctx, options);
    expect(held.status, JSON.stringify(held)).toBe('ok');
    expect(held.notes).toContainEqual(expect.stringMatching(/^os\/debian: not patched for its other reasons either while the new upstream cools down/));
  });

  it('an upstream its registry does not serve fails the step in check mode too, naming it', async () => {
    const w = world(id('1'));
    w.hub.repositories.clear();
    const result = await w.check();
    expect(result).toMatchObject({ status: 'failed' });
    expect(result.status === 'failed' && result.reason).toContain('debian:bookworm is not in its registry: nothing to patch from');
  });
});
