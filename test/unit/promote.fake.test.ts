// promote on fakes, beside the lab test (test/integration/stages.test.ts): what it decides from the stage hosts' engines and
// the registry's stage records when a host cannot be asked, runs another build, is unhealthy, or was never recorded; what it
// writes (only in apply), and that a tag moved by someone else between plan and apply is not overwritten.
import { describe, expect, it } from 'vitest';
import { runStep } from '../../src/runner/runStep.js';
import { promotionsIn } from '../../src/model/stepDetails.js';
import { promoteStep } from '../../src/steps/promote/promote.js';
import { pullStep } from '../../src/steps/pull/pull.js';
import { stopStep } from '../../src/steps/stop/stop.js';
import { readStageRecords, writeStageRecord } from '../../src/steps/stageRecords.js';
import { FakeEngine, FakeRegistry, fakeContext } from '../support/fakes.js';
import { STAGE_RECORD_TYPE } from '../../src/stages/stageRecord.js';
import { attachArtifact } from '../../src/adapters/referrers.js';
import { referrerTagSubject } from '../../src/adapters/referrerFormats.js';

const id = (c: string): string => `sha256:${c.repeat(64)}`;
const HOUR = 3_600_000;
const T0 = Date.parse('2026-12-01T08:00:00Z');
const REPO = 'team/app';

function world(options: { web1Runs?: 'build' | 'old'; web1Healthy?: boolean; web3Down?: boolean } = {}) {
  const registry = new FakeRegistry();
  const build = registry.publish(REPO, 'canary', id('2'));
  const old = registry.publish(REPO, 'prod', id('1'));
  const engines: Record<string, FakeEngine> = {};
  for (const host of ['web1', 'web3']) {
    const engine = new FakeEngine();
    const runs = host === 'web1' && options.web1Runs === 'old' ? old : build;
    const image = engine.addImage({ tags: [`${registry.name}/${REPO}:canary`], repoDigests: [`${registry.name}/${REPO}@${runs}`] });
    engine.addContainer('app', `${registry.name}/${REPO}:canary`, { image });
    if (host === 'web1' && options.web1Healthy === false) {
      const c = [...engine.containers.values()][0]!;
      c.State.Health = { Status: 'unhealthy' };
    }
    if (host === 'web3' && options.web3Down) engine.inspectAllContainers = () => Promise.reject(new Error('connect ECONNREFUSED'));
    engines[host] = engine;
  }
  const stageVars = { rollout_tag: 'canary' };
  const ctxAt = (at: number, check: boolean) =>
    fakeContext({
      registry,
      host: 'registry1',
      vars: { stages: ['canary', 'prod'] },
      others: engines,
      otherVars: { web1: stageVars, web3: stageVars },
      check,
      now: () => at,
    });
  const run = (at: number, check = false) => runStep(promoteStep, ctxAt(at, check), { soak: '24h' });
  return { registry, build, old, run, ctxAt };
}

describe('promote on fakes', () => {
  it('hosts running the build with no record of it are recorded (apply only), and the soak starts then; after it, prod moves', async () => {
    const w = world();
    const check = await w.run(T0, true);
    expect(check.status).toBe('changed');
    expect(check.status === 'changed' && check.actions).toEqual([
      expect.stringMatching(/^Record that web1 runs team\/app@sha256:[0-9a-f]{12}… in stage canary \(no record of its rollout there; its soak starts now\)$/),
      expect.stringMatching(/^Record that web3 runs /),
    ]);
    expect(w.registry.writes).toEqual([]);
    const first = await w.run(T0);
    expect(first.status).toBe('changed');
    expect((await readStageRecords(w.registry, REPO, w.build)).map((r) => [r.host, r.outcome, r.at])).toEqual(
      expect.arrayContaining([
        ['web1', 'adopted', T0],
        ['web3', 'adopted', T0],
      ]),
    );
    // Each record is tagged as a referrer of the build, so gc keeps it while the build stays and deletes it with the build.
    const recordTags = (await w.registry.tags(REPO)).filter((t) => t.includes('.stage'));
    expect(recordTags).toHaveLength(2);
    for (const tag of recordTags) expect(referrerTagSubject(tag)).toBe(w.build);
    const waiting = await w.run(T0 + HOUR);
    expect(waiting.status).toBe('ok');
    expect(promotionsIn(waiting.details)[0]).toMatchObject({ action: 'wait', eligible_at: new Date(T0 + 24 * HOUR).toISOString() });
    const promoted = await w.run(T0 + 24 * HOUR);
    expect(promoted.status).toBe('changed');
    expect(await w.registry.manifestDigest(REPO, 'prod')).toBe(w.build);
    expect((await w.run(T0 + 25 * HOUR)).status).toBe('ok');
  });

  it('waits while a stage host runs another build, is unhealthy, or cannot be asked, naming it', async () => {
    for (const [options, reason] of [
      [{ web1Runs: 'old' }, 'web1 no longer runs this build'],
      [{ web1Healthy: false }, 'unhealthy on web1'],
      [{ web3Down: true }, 'web3 could not be asked what runs there'],
    ] as const) {
      const w = world(options);
      // Both hosts adopted it a day ago.
      for (const host of ['web1', 'web3']) await writeStageRecord(w.registry, REPO, { stage: 'canary', host, build: w.build, at: T0, outcome: 'adopted' });
      const result = await w.run(T0 + 48 * HOUR);
      expect(promotionsIn(result.details)[0], JSON.stringify(options)).toMatchObject({ action: 'wait', reason });
      expect(await w.registry.manifestDigest(REPO, 'prod')).toBe(w.old);
    }
  });

  it('a record of another shape is ignored, and a rollback record holds the build for good', async () => {
    const w = world();
    await writeStageRecord(w.registry, REPO, { stage: 'canary', host: 'web1', build: w.build, at: T0, outcome: 'adopted' });
    await writeStageRecord(w.registry, REPO, { stage: 'canary', host: 'web3', build: w.build, at: T0, outcome: 'rolled-back' });
    // A peer's record that is not what freshen writes (a bad build digest, an unknown outcome): not read as one.
    for (const [i, content] of ['{"stage":"canary","host":"web9","build":"nope","at":"2026-12-01T08:00:00Z","outcome":"adopted"}', 'not json'].entries()) {
      await attachArtifact(w.registry, REPO, w.build, {
        artifactType: STAGE_RECORD_TYPE,
        content: Buffer.from(content),
        created: new Date(T0),
        tagSuffix: `stage${String(i).repeat(16)}`,
        title: 'x',
        fallbackIndex: false,
      });
    }
    const records = await readStageRecords(w.registry, REPO, w.build);
    expect(records.map((r) => `${r.host} ${r.outcome}`).sort()).toEqual(['web1 adopted', 'web3 rolled-back']);
    const result = await w.run(T0 + 100 * HOUR);
    expect(promotionsIn(result.details)[0]).toMatchObject({ action: 'hold', reason: 'rolled back on web3: never promoted' });
    expect(await w.registry.manifestDigest(REPO, 'prod')).toBe(w.old);
  });

  it('a tag moved by someone else between plan and apply is left as they put it, and the step fails saying so', async () => {
    const w = world();
    for (const host of ['web1', 'web3']) await writeStageRecord(w.registry, REPO, { stage: 'canary', host, build: w.build, at: T0, outcome: 'adopted' });
    const ctx = w.ctxAt(T0 + 48 * HOUR, false);
    const plan = await promoteStep.plan(ctx, { soakMs: 24 * HOUR });
    expect(plan.promotions[0]!.verdict.action).toBe('promote');
    const theirs = w.registry.publish(REPO, 'prod', id('3'));
    const applied = await promoteStep.apply(ctx, plan);
    expect(applied.status).toBe('failed');
    expect(applied.status === 'failed' && applied.reason).toBe('team/app: canary or prod moved while this run judged them; not promoted, run again');
    expect(await w.registry.manifestDigest(REPO, 'prod')).toBe(theirs);
  });
});

describe('a stage host that rolled a build back', () => {
  it('keeps the build its containers run: pull names it again locally (check says so, apply does it), and stop hands nothing over', async () => {
    const registry = new FakeRegistry();
    const good = registry.publish(REPO, 'canary', id('1'));
    const bad = registry.publish(REPO, 'canary', id('2'));
    const ref = `${registry.name}/${REPO}:canary`;
    const engine = new FakeEngine();
    const running = engine.addImage({ id: id('1'), tags: [], repoDigests: [`${registry.name}/${REPO}@${good}`] });
    engine.addContainer('app', ref, { image: running });
    // The failed rollout left the bad build pulled under the tag.
    engine.addImage({ id: id('2'), tags: [ref], repoDigests: [`${registry.name}/${REPO}@${bad}`] });
    await writeStageRecord(registry, REPO, { stage: 'canary', host: 'web1', build: bad, at: T0, outcome: 'rolled-back' });
    const vars = { rollout_tag: 'canary', stages: ['canary', 'prod'], docker: { host: 'tcp://127.0.0.1:1' } };
    const facts = {};
    const ctx = (check: boolean) => fakeContext({ engine, registry, host: 'web1', vars, check, facts });
    const checked = await runStep(pullStep, ctx(true), {});
    expect(checked).toMatchObject({
      status: 'changed',
      actions: [expect.stringMatching(new RegExp(`^Tag ${ref} back to 111111111111, the build its containers run`))],
    });
    expect(checked.notes).toContainEqual(
      expect.stringMatching(/^.*: web1 rolled back sha256:[0-9a-f]{12}… in stage canary at 2026-12-01T08:00:00\.000Z; it keeps the build its containers run/),
    );
    expect((await runStep(stopStep, ctx(true), {})).status).toBe('ok');
    expect(engine.writes).toEqual([]);
    expect((await runStep(pullStep, ctx(false), {})).status).toBe('changed');
    expect(engine.writes).toEqual([`tag ${ref}`]);
    expect(engine.imageOf(ref)?.id).toBe(id('1'));
    expect((await runStep(pullStep, ctx(false), {})).status).toBe('ok');
    expect((await runStep(stopStep, ctx(false), {})).status).toBe('ok');
    // Without stages, a host whose tag names the bad build locally tries it again, as any rollout does.
    await engine.tagImage(id('2'), ref);
    const plain = await runStep(
      stopStep,
      fakeContext({ engine, registry, host: 'web1', vars: { rollout_tag: 'canary', docker: vars.docker }, check: true, facts: {} }),
      {},
    );
    expect(plain.status).toBe('changed');
  });
});
