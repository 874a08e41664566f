// pull, stop, start and prune on a fake engine and registry: each step's check (plans, writes nothing), apply (does exactly the
// plan) and apply again (nothing left), beside the lab tests that run them against real dockerds.
import { describe, expect, it } from 'vitest';
import { recordFacts } from '../../src/runner/recordFacts.js';
import { runStep } from '../../src/runner/runStep.js';
import { newRunState } from '../../src/steps/facts.js';
import { pruneStep } from '../../src/steps/prune/prune.js';
import { pullStep } from '../../src/steps/pull/pull.js';
import { startStep } from '../../src/steps/start/start.js';
import { stopStep } from '../../src/steps/stop/stop.js';
import type { StepHandler } from '../../src/steps/types.js';
import { FakeEngine, FakeGuard, FakeRegistry, fakeContext } from '../support/fakes.js';

const REPO = 'app/web';
const OLD = `sha256:${'0'.repeat(63)}1`;
const NEW = `sha256:${'0'.repeat(63)}2`;

/** A host running `web` on the old build while the registry serves the new one under prod. */
function world() {
  const registry = new FakeRegistry();
  const ref = `${registry.name}/${REPO}:prod`;
  const oldDigest = registry.publish(REPO, '20261101-0300', OLD);
  const newDigest = registry.publish(REPO, 'prod', NEW, { 'org.t.version': '2' });
  const engine = new FakeEngine((pulled) =>
    pulled === ref ? { image: { id: NEW, config: { Labels: { 'org.t.version': '2' } }, size: 2000 }, digest: newDigest } : undefined,
  );
  engine.addImage({ id: OLD, tags: [ref], repoDigests: [`${registry.name}/${REPO}@${oldDigest}`], config: { Labels: { 'org.t.version': '1' } } });
  engine.addContainer('web', ref, { config: { Env: ['KEEP=me'], Cmd: ['serve'] } });
  engine.addContainer('sidecar', 'busybox:latest', { image: 'sha256:busybox' });
  return { registry, engine, ref, oldDigest, newDigest, facts: {}, run: newRunState() };
}

type World = ReturnType<typeof world>;

/** Runs `step` three times: check, apply, apply again; returns the results and the engine writes of each pass. */
async function threePasses(w: World, step: StepHandler, options: Record<string, unknown> = {}) {
  const pass = async (check: boolean) => {
    const before = w.engine.writes.length;
    const ctx = fakeContext({ engine: w.engine, registry: w.registry, check, facts: w.facts, run: w.run, vars: { rollout_tag: 'prod' } });
    const result = await runStep(step, ctx, options);
    return { result, writes: w.engine.writes.slice(before) };
  };
  return { check: await pass(true), apply: await pass(false), again: await pass(false) };
}

describe('the rollout steps on a fake engine', () => {
  it('pull: check names the digest and pulls nothing; apply pulls exactly that; again: ok', async () => {
    const w = world();
    const { check, apply, again } = await threePasses(w, pullStep);
    expect(check.result).toMatchObject({ status: 'changed', actions: [`Pull ${w.ref}@${w.newDigest} (was ${w.oldDigest})`] });
    expect(check.writes).toEqual([]);
    expect(apply.result).toMatchObject({ status: 'changed', actions: [`Pulled ${w.ref}@${w.newDigest} (was ${w.oldDigest})`] });
    expect(apply.writes).toEqual([`pull ${w.ref}`]);
    expect(again.result).toMatchObject({ status: 'ok', notes: [`${w.ref} is up to date (${w.newDigest.slice(7, 19)}).`] });
    expect(again.writes).toEqual([]);
  });

  it('pull with a cooldown: a build created an hour ago is not pulled, naming until when; six hours after it was, it is', async () => {
    const w = world();
    const at = (iso: string) => fakeContext({ engine: w.engine, registry: w.registry, facts: w.facts, run: w.run, now: () => Date.parse(iso) });
    const young = await runStep(pullStep, at('2026-11-01T01:00:00Z'), { cooldown: '6h' });
    expect(young.status).toBe('ok');
    expect(young.notes).toContainEqual(
      `${w.ref}: the registry's build sha256:${w.newDigest.slice(7, 19)}… is new, created 2026-11-01T00:00:00.000Z: within the cooldown of 6h, not a reason to pull until 2026-11-01T06:00:00.000Z`,
    );
    expect(w.engine.writes).toEqual([]);
    // A build this run pushed is taken at once.
    w.run.pushes.pushed(w.ref, w.newDigest);
    const ours = await runStep(pullStep, { ...at('2026-11-01T01:00:00Z'), check: true }, { cooldown: '6h' });
    expect(ours).toMatchObject({ status: 'changed', actions: [`Pull ${w.ref}@${w.newDigest} (was ${w.oldDigest})`] });
    const matured = await runStep(pullStep, at('2026-11-01T06:00:00Z'), { cooldown: '6h' });
    expect(matured).toMatchObject({ status: 'changed', actions: [`Pulled ${w.ref}@${w.newDigest} (was ${w.oldDigest})`] });
  });

  it("pull sends the engine the inventory's registry credentials, through the context's connections", async () => {
    const w = world();
    const vars = { registry_auth: { username: 'ci', password: 'pull-secret' } };
    await runStep(pullStep, fakeContext({ engine: w.engine, registry: w.registry, facts: w.facts, run: w.run, vars }), {});
    expect(w.engine.pullAuths).toEqual([{ username: 'ci', password: 'pull-secret', serveraddress: w.registry.name }]);
  });

  it('stop then start: stop hands the container over; start parks it, replaces it on the new image with its settings, removes the old one', async () => {
    const w = world();
    await runStep(pullStep, fakeContext({ engine: w.engine, registry: w.registry, facts: w.facts, run: w.run }), {});
    // A tcp:// engine: no guard can be placed (the lab tests place real ones), which stop says.
    const vars = { rollout_tag: 'prod', docker: { host: 'tcp://127.0.0.1:1' } };
    const stop = await runStep(stopStep, fakeContext({ engine: w.engine, registry: w.registry, check: true, facts: w.facts, run: w.run, vars }), {});
    expect(stop).toMatchObject({
      status: 'changed',
      actions: [expect.stringMatching(/^Hand web \(runs 000000000000; .* to start, which stops it \(timeout 10s\)/)],
    });
    expect(stop.notes).toEqual([expect.stringContaining('No guard can be placed on this host (its engine is reached over tcp://127.0.0.1:1')]);
    const checkStart = await runStep(startStep, fakeContext({ engine: w.engine, registry: w.registry, check: true, facts: w.facts, run: w.run, vars }), {
      settle: '0s',
    });
    expect(checkStart).toMatchObject({
      status: 'changed',
      actions: [expect.stringMatching(/^Stop web \(timeout 10s\) and park it as web.freshen-old, then create web .*\(stop-first: order: stop-first\)$/)],
    });
    expect(w.engine.writes.filter((write) => !write.startsWith('pull'))).toEqual([]);

    const applied = await runStep(stopStep, fakeContext({ engine: w.engine, registry: w.registry, facts: w.facts, run: w.run, vars }), {});
    expect(applied).toMatchObject({ status: 'changed', actions: ['Handed web to start (stop timeout 10s)'] });
    expect(w.engine.writes.filter((write) => !write.startsWith('pull'))).toEqual([]);
    const start = await threePasses(w, startStep, { settle: '0s' });
    expect(start.check.result.status).toBe('changed');
    expect(start.check.writes).toEqual([]);
    expect(start.apply.result).toMatchObject({ status: 'changed' });
    expect(start.apply.writes).toEqual(['rename web web.freshen-old', 'stop web.freshen-old', `create web ${w.ref}`, 'start web', 'remove web.freshen-old']);
    expect(start.again.result.status).toBe('ok');
    const web = await w.engine.inspectContainer('web');
    expect(web).toMatchObject({ Image: NEW, State: { Running: true }, Config: { Env: ['KEEP=me'], Cmd: ['serve'] } });
    expect((await w.engine.inspectAllContainers()).map((c) => c.Name).sort()).toEqual(['/sidecar', '/web']);
  });

  it('a replacement that fails right after it was created (before it was even inspected) is removed, and the original put back', async () => {
    const w = world();
    await runStep(pullStep, fakeContext({ engine: w.engine, registry: w.registry, facts: w.facts, run: w.run }), {});
    const vars = { rollout_tag: 'prod', docker: { host: 'tcp://127.0.0.1:1' } };
    await runStep(stopStep, fakeContext({ engine: w.engine, registry: w.registry, facts: w.facts, run: w.run, vars }), {});
    // The engine answers the create, then fails the first look at what it created.
    const created = new Set<string>();
    const create = w.engine.createContainer.bind(w.engine);
    const inspect = w.engine.inspectContainer.bind(w.engine);
    w.engine.createContainer = async (spec) => {
      const id = await create(spec);
      created.add(id);
      return id;
    };
    w.engine.inspectContainer = async (idOrName) => {
      if (created.delete(idOrName)) throw new Error('the engine went away for a moment');
      return inspect(idOrName);
    };
    const start = await runStep(startStep, fakeContext({ engine: w.engine, registry: w.registry, facts: w.facts, run: w.run, vars }), { settle: '0s' });
    expect(start).toMatchObject({ status: 'failed', code: 'replace-failed', rolledBack: 1 });
    const after = await w.engine.inspectAllContainers();
    expect(after.map((c) => c.Name).sort()).toEqual(['/sidecar', '/web']);
    expect(after.find((c) => c.Name === '/web')).toMatchObject({ Image: OLD, State: { Running: true } });
  });

  it('the guard: stop places it for what it hands over, start fails when a renewal lost it, and finishing the host releases it', async () => {
    const w = world();
    const guard = new FakeGuard();
    const ctx = (check: boolean) => fakeContext({ engine: w.engine, registry: w.registry, check, facts: w.facts, run: w.run, guard });
    await runStep(pullStep, ctx(false), {});
    const checked = await runStep(stopStep, ctx(true), { guard_deadline: '1m' });
    expect(checked.actions.at(-1)).toMatch(
      /^Place a guard on the host \(on this machine, beside the engine\) that puts back web if freshen stops answering for 1m0s/,
    );
    expect(guard.placed.size).toBe(0);
    const stop = await runStep(stopStep, ctx(false), { guard_deadline: '1m' });
    expect(stop.actions).toEqual([
      'Handed web to start (stop timeout 10s)',
      'Placed the guard in /fake/guards/guard-web1: it puts back web if freshen stops answering for 1m0s',
    ]);
    expect(guard.placed.get('guard-web1')).toEqual({
      site: { via: 'local', dockerHost: 'unix:///fake.sock' },
      containers: [{ name: 'web', running: true }],
      deadlineSeconds: 60,
    });
    expect(w.facts).toMatchObject({ guard: 'guard-web1' });
    // The guard acted while the run still worked on the host (freshen could not renew it in time): start says so.
    guard.lose('guard-web1');
    const start = await runStep(startStep, ctx(false), { settle: '0s' });
    expect(start).toMatchObject({
      status: 'failed',
      code: 'failed',
      reason: expect.stringContaining("the host's guard was gone before the host was finished"),
    });
    recordFacts(w.facts, w.run, await stopStep.finishHost!(ctx(false)));
    expect(guard.released).toEqual(['guard-web1']);
    expect(w.facts).not.toHaveProperty('guard');
  });

  it('start-first: the replacement starts beside the old container and takes its name only after its gate', async () => {
    const w = world();
    await runStep(pullStep, fakeContext({ engine: w.engine, registry: w.registry, facts: w.facts, run: w.run }), {});
    const vars = { rollout_tag: 'prod', docker: { host: 'tcp://127.0.0.1:1' } };
    await runStep(stopStep, fakeContext({ engine: w.engine, registry: w.registry, facts: w.facts, run: w.run, vars }), {});
    const before = w.engine.writes.length;
    const check = await runStep(startStep, fakeContext({ engine: w.engine, registry: w.registry, check: true, facts: w.facts, run: w.run, vars }), {
      settle: '0s',
      order: 'auto',
    });
    expect(check).toMatchObject({
      status: 'changed',
      actions: [expect.stringMatching(/^Create web.freshen-new from .* while web serves, .*\(start-first: order: auto\)$/)],
    });
    expect(check.diff).toEqual([
      expect.objectContaining({ container: 'web', before: OLD, after: NEW, replace: true, order: 'start-first', why: 'order: auto' }),
    ]);
    const applied = await runStep(startStep, fakeContext({ engine: w.engine, registry: w.registry, facts: w.facts, run: w.run, vars }), {
      settle: '0s',
      order: 'auto',
    });
    expect(applied).toMatchObject({ status: 'changed', actions: [expect.stringMatching(/^Replaced web start-first/)] });
    expect(w.engine.writes.slice(before)).toEqual([
      `create web.freshen-new ${w.ref}`,
      'start web.freshen-new',
      'rename web web.freshen-old',
      'rename web.freshen-new web',
      'stop web.freshen-old',
      'remove web.freshen-old',
    ]);
    expect(await w.engine.inspectContainer('web')).toMatchObject({ Image: NEW, State: { Running: true }, Config: { Env: ['KEEP=me'] } });
  });

  it('start-first refuses a container with host ports before anything changes; auto gives it stop-first and says why', async () => {
    for (const order of ['start-first', 'auto']) {
      const w = world();
      const web = [...w.engine.containers.values()].find((c) => c.Name === '/web')!;
      web.HostConfig.PortBindings = { '80/tcp': [{ HostIp: '', HostPort: '8080' }] };
      await runStep(pullStep, fakeContext({ engine: w.engine, registry: w.registry, facts: w.facts, run: w.run }), {});
      const vars = { rollout_tag: 'prod', docker: { host: 'tcp://127.0.0.1:1' } };
      await runStep(stopStep, fakeContext({ engine: w.engine, registry: w.registry, facts: w.facts, run: w.run, vars }), {});
      const before = w.engine.writes.length;
      const result = await runStep(startStep, fakeContext({ engine: w.engine, registry: w.registry, facts: w.facts, run: w.run, vars }), {
        settle: '0s',
        order,
      });
      if (order === 'start-first') {
        expect(result).toMatchObject({
          status: 'failed',
          code: 'start-first-refused',
          reason: expect.stringContaining('web cannot be replaced start-first: it publishes host port 80/tcp'),
        });
        expect(w.engine.writes.slice(before)).toEqual([]);
      } else {
        expect(result).toMatchObject({ status: 'changed' });
        expect(w.engine.writes.slice(before)[0]).toBe('rename web web.freshen-old');
      }
    }
  });

  it('a parked leftover of an interrupted run: pull notes it, start settles it without any stop', async () => {
    const w = world();
    await runStep(pullStep, fakeContext({ engine: w.engine, registry: w.registry, facts: w.facts, run: w.run }), {});
    await w.engine.renameContainer('web', 'web.freshen-old');
    await w.engine.stopContainer('web.freshen-old');
    const between = await runStep(pullStep, fakeContext({ engine: w.engine, registry: w.registry, check: true }), {});
    expect(between.notes).toContain('web.freshen-old is parked, left by an interrupted run; the next start settles it.');
    const start = await threePasses(w, startStep, { settle: '0s' });
    expect(start.apply.writes).toEqual([`create web ${w.ref}`, 'start web', 'remove web.freshen-old']);
    expect(start.apply.result).toMatchObject({ status: 'changed', rescued: 1 });
    expect(start.again.result.status).toBe('ok');
  });

  it('prune: removes the managed repository’s image no container uses, keeping the previous one for a rollback', async () => {
    const w = world();
    const older = w.engine.addImage({ tags: [`${w.registry.name}/${REPO}:20261001-0300`], created: 100 });
    const previous = w.engine.addImage({ tags: [`${w.registry.name}/${REPO}:20261015-0300`], created: 200 });
    const { check, apply, again } = await threePasses(w, pruneStep);
    expect(check.result).toMatchObject({ status: 'changed', actions: [expect.stringContaining(`Remove image ${w.registry.name}/${REPO}:20261001-0300`)] });
    expect(check.writes).toEqual([]);
    expect(apply.writes).toEqual([`rmi ${w.registry.name}/${REPO}:20261001-0300`, `rmi ${older}`]);
    expect(w.engine.images.has(older)).toBe(false);
    expect(w.engine.images.has(previous)).toBe(true);
    expect(w.engine.images.has(OLD)).toBe(true);
    expect(again.result.status).toBe('ok');
  });
});

describe('the rollout steps when there is nothing to do', () => {
  /** A host whose container already runs what the registry serves. */
  function current() {
    const registry = new FakeRegistry();
    const ref = `${registry.name}/${REPO}:prod`;
    const digest = registry.publish(REPO, 'prod', NEW);
    const engine = new FakeEngine();
    engine.addImage({ id: NEW, tags: [ref], repoDigests: [`${registry.name}/${REPO}@${digest}`] });
    engine.addContainer('web', ref);
    return { registry, engine };
  }

  it.each([
    { name: 'pull: the image is up to date', step: pullStep, options: {}, vars: {}, status: 'ok' },
    { name: 'pull: no registry variable', step: pullStep, options: {}, vars: { registry: undefined }, status: 'ok' },
    { name: 'stop: no container has a newer image', step: stopStep, options: {}, vars: {}, status: 'ok' },
    { name: 'start: nothing is parked', step: startStep, options: { settle: '0s' }, vars: {}, status: 'ok' },
    { name: 'prune: every image is in use', step: pruneStep, options: {}, vars: {}, status: 'ok' },
  ])('$name → $status, nothing written', async ({ step, options, vars, status }) => {
    const { registry, engine } = current();
    for (const check of [true, false]) {
      const result = await runStep(step as StepHandler, fakeContext({ engine, registry, check, vars }), options);
      expect(result.status, 'reason' in result ? result.reason : '').toBe(status);
    }
    expect(engine.writes).toEqual([]);
  });
});
