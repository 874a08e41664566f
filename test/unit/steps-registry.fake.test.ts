// gc, rollback and backup on a fake registry: the three passes of each (check writes nothing, apply does the plan, again: ok),
// beside the lab tests against the real docker-registry.
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { runStep } from '../../src/runner/runStep.js';
import { backupStep } from '../../src/steps/backup/backup.js';
import { gcStep } from '../../src/steps/gc/gc.js';
import { rollbackStep } from '../../src/steps/rollback/rollback.js';
import type { StepHandler } from '../../src/steps/types.js';
import { FakeEngine, FakeRegistry, fakeContext } from '../support/fakes.js';

const REPO = 'app/web';
const image = (n: number): string => `sha256:${String(n).padStart(64, '0')}`;
const DATES = ['20261101-0300', '20261102-0300', '20261103-0300', '20261104-0300'];

/** A registry with four builds of app/web, prod on the newest. */
function builds(): { registry: FakeRegistry; digests: string[] } {
  const registry = new FakeRegistry();
  const digests = DATES.map((tag, i) => registry.publish(REPO, tag, image(i + 1), { build: String(i + 1) }));
  registry.publish(REPO, 'prod', image(4), { build: '4' });
  return { registry, digests };
}

async function threePasses(
  registry: FakeRegistry,
  step: StepHandler,
  options: Record<string, unknown>,
  vars: Record<string, unknown> = {},
  engine = new FakeEngine(),
) {
  const pass = async (check: boolean) => {
    const before = registry.writes.length;
    const result = await runStep(step, fakeContext({ registry, engine, check, vars, playbookDir: dir }), options);
    return { result, writes: registry.writes.slice(before) };
  };
  return { check: await pass(true), apply: await pass(false), again: await pass(false) };
}

let dir: string;
beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), 't-fake-registry-'));
});
afterAll(() => rm(dir, { recursive: true, force: true }));

describe('the registry steps on a fake registry', () => {
  it('gc keep 1: deletes the older builds no host runs (oldest first), keeps the newest, prod and one in use; again: ok', async () => {
    const { registry, digests } = builds();
    const engine = new FakeEngine();
    engine.addImage({ id: image(2), tags: [] });
    engine.addContainer('old-user', `${registry.name}/${REPO}:20261102-0300`, { image: image(2) });
    const { check, apply, again } = await threePasses(registry, gcStep, { keep: 1, sweep: false }, { registry_gc: { command: 'true' } }, engine);
    expect(check.result.status).toBe('changed');
    expect(check.writes).toEqual([]);
    // Build 2 is kept: a container of the inventory runs it.
    expect(apply.writes).toEqual([`delete ${REPO}@${digests[0]}`, `delete ${REPO}@${digests[2]}`]);
    expect(await registry.tags(REPO)).toEqual(['20261102-0300', '20261104-0300', 'prod']);
    expect(again.result.status).toBe('ok');
    expect(again.writes).toEqual([]);
  });

  it('gc on a host without registry_gc is skipped, saying why', async () => {
    const { registry } = builds();
    const result = await runStep(gcStep, fakeContext({ registry }), { keep: 1 });
    expect(result).toMatchObject({ status: 'skipped', reason: 'web1 has no registry_gc: not a registry host' });
    expect(registry.writes).toEqual([]);
  });

  it.each([
    { name: 'back to an older build', tag: '20261102-0300', status: 'changed' },
    { name: 'to the build prod already names', tag: '20261104-0300', status: 'ok' },
  ])('rollback $name', async ({ tag, status }) => {
    const { registry, digests } = builds();
    const { check, apply, again } = await threePasses(registry, rollbackStep, { repository: REPO, tag });
    expect(check.result.status).toBe(status);
    expect(check.writes).toEqual([]);
    expect(apply.writes).toEqual(status === 'changed' ? [`put ${REPO}:prod`] : []);
    expect(await registry.manifestDigest(REPO, 'prod')).toBe(digests[DATES.indexOf(tag)]);
    expect(again.result.status).toBe('ok');
  });

  it('rollback refuses a tag the repository does not have, as bad input, writing nothing', async () => {
    const { registry } = builds();
    const result = await runStep(rollbackStep, fakeContext({ registry }), { repository: REPO, tag: '20250101-0000' });
    expect(result).toMatchObject({ status: 'failed', code: 'bad-option' });
    expect('reason' in result && result.reason).toContain('no tag 20250101-0000; newest datestamps: 20261104-0300, 20261103-0300');
    expect(registry.writes).toEqual([]);
  });

  it('backup to an OCI layout and restore into an empty registry: three passes each, digests kept', async () => {
    const { registry, digests } = builds();
    const layout = join(dir, 'layout');
    const out = await threePasses(registry, backupStep, { to: { oci_layout: layout } });
    expect(out.check.result.status).toBe('changed');
    expect(out.apply.result.status).toBe('changed');
    expect(out.again.result.status).toBe('ok');
    expect([...out.check.writes, ...out.apply.writes, ...out.again.writes]).toEqual([]);

    const empty = new FakeRegistry();
    const back = await threePasses(empty, backupStep, { from: { oci_layout: layout } });
    expect(back.check.result.status).toBe('changed');
    expect(back.check.writes).toEqual([]);
    expect(back.apply.result.status).toBe('changed');
    expect(back.again.result.status).toBe('ok');
    expect(back.again.writes).toEqual([]);
    expect(await empty.tags(REPO)).toEqual([...DATES, 'prod']);
    for (const [i, tag] of DATES.entries()) expect(await empty.manifestDigest(REPO, tag)).toBe(digests[i]);
  });
});

describe('the registry steps when there is nothing to do', () => {
  it.each([
    { name: 'gc: every build within keep', step: gcStep, options: { keep: 10, sweep: false }, vars: { registry_gc: { command: 'true' } }, status: 'ok' },
    { name: 'gc: not a registry host', step: gcStep, options: { keep: 1 }, vars: {}, status: 'skipped' },
    { name: 'rollback: prod already there', step: rollbackStep, options: { repository: REPO, tag: '20261104-0300' }, vars: {}, status: 'ok' },
  ])('$name → $status, nothing written', async ({ step, options, vars, status }) => {
    const { registry } = builds();
    for (const check of [true, false]) {
      const result = await runStep(step as StepHandler, fakeContext({ registry, check, vars }), options);
      expect(result.status).toBe(status);
    }
    expect(registry.writes).toEqual([]);
  });
});
