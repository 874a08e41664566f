// pull, stop and start against the lab's web2 engine (unix socket): three passes per step (check, apply, apply again), a faithful
// recreation with data kept, rollbacks of a replacement that turns unhealthy or exits, and leftovers of an interrupted run.
// Only t-rollout-* containers and the t-rollout/app repository are used, under the rollout tag `t-rollout`, so the lab's own
// `prod` containers on web2 are not managed here.
import { access, mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type Docker from 'dockerode';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { countsOf, reasonOf } from '../../src/model/results.js';
import { recordFacts } from '../../src/runner/recordFacts.js';
import { runStep, planStep } from '../../src/runner/runStep.js';
import { parkedName } from '../../src/containers/managed.js';
import { pullStep } from '../../src/steps/pull/pull.js';
import { startStep } from '../../src/steps/start/start.js';
import { stopStep } from '../../src/steps/stop/stop.js';
import { labDocker, REGISTRY } from '../support/lab.js';
import { replacementSpec } from '../../src/containers/replacement.js';
import type { ContainerConfig, ContainerInspect } from '../../src/containers/types.js';
import {
  APP_CMD,
  cleanUp,
  containerState,
  deleteManifests,
  execIn,
  imageId,
  publish,
  pullOn,
  removeImages,
  rolloutContext,
  type RolloutContext,
  V1,
  V2,
  V3_UNHEALTHY,
  V4_EXITS,
} from './steps-rollout.helpers.js';

const HOST = 'web2';
const TAG = 't-rollout';
const REPO = 't-rollout/app';
const REF = `${REGISTRY}/${REPO}:${TAG}`;
const APP = 't-rollout-app';
const IDLE = 't-rollout-idle';
const PINNED = 't-rollout-pinned';
const VOLUME = 't-rollout-data';
// The replacements that should pass do so at their first probe, a second after they start; 60 s, not 20, because on a machine
// with a load of five on two cores one of them once missed 20 s (CI, 2026-12-07). The failing versions fail on their own
// health status or exit, never on this time-out, so it costs the suite nothing.
const START = { healthy_timeout: '60s', settle: '1500ms' };

const build = labDocker('build1');
const web = labDocker(HOST);
let bindDir: string;
const contexts: RolloutContext[] = [];

/** A fresh context per pass (no facts), as a new run would have: start must find parked containers by listing. */
async function ctx(check: boolean): Promise<RolloutContext> {
  const context = rolloutContext(HOST, { check, vars: { rollout_tag: TAG } });
  contexts.push(context);
  return context;
}

const pushed: string[] = [];
const publishApp = (lines: string[]): Promise<string> => publish(REF, lines, pushed);

/** Creates what an interrupted start leaves behind: the replacement of a parked container, as freshen builds it. */
async function leftoverReplacement(parked: string): Promise<Docker.Container> {
  const old = (await web.getContainer(parked).inspect()) as unknown as ContainerInspect;
  const oldImage = await web.getImage(old.Image).inspect();
  return web.createContainer(replacementSpec(old, oldImage.Config as ContainerConfig, REF) as unknown as Docker.ContainerCreateOptions);
}

let v1: string;
let v2: string;

const pathExists = (path: string): Promise<boolean> =>
  access(path).then(
    () => true,
    () => false,
  );

beforeAll(async () => {
  await cleanUp(web, 't-rollout-', [VOLUME]);
  bindDir = await mkdtemp(join(tmpdir(), 't-rollout-bind-'));
  await writeFile(join(bindDir, 'bind.txt'), 'bound\n');
  v1 = await publishApp(V1);
  await pullOn(web, REF);
  expect(await imageId(web, REF)).toBe(v1);
  const app = await web.createContainer({
    name: APP,
    Image: REF,
    Env: ['GREETING=hello'],
    Cmd: APP_CMD,
    Labels: { team: 'frontend' },
    HostConfig: {
      NetworkMode: 'none',
      RestartPolicy: { Name: 'on-failure', MaximumRetryCount: 3 },
      Binds: [`${VOLUME}:/data`, `${bindDir}:/bind`],
    },
  });
  await app.start();
  await execIn(web, APP, ['/bin/sh', '-c', 'echo named > /data/named.txt && echo anonymous > /anon/anon.txt && echo from-app >> /bind/bind.txt']);
  await web.createContainer({ name: IDLE, Image: REF, HostConfig: { NetworkMode: 'none' } });
  const pinned = await web.createContainer({ name: PINNED, Image: REF, Labels: { 'freshen.enable': 'false' }, HostConfig: { NetworkMode: 'none' } });
  await pinned.start();
  v2 = await publishApp(V2);
});

afterAll(async () => {
  for (const context of contexts) await context.close();
  await cleanUp(web, 't-rollout-', [VOLUME]);
  await rm(bindDir, { recursive: true, force: true });
  await removeImages(web, `${REGISTRY}/${REPO}`);
  await removeImages(build, `${REGISTRY}/${REPO}`);
  await deleteManifests(REPO, pushed);
});

describe(`rollout on ${HOST}`, () => {
  it('check mode across steps: stop and start predict from the pull planned before them, and nothing changes', async () => {
    const run = await ctx(true);
    expect(await runStep(pullStep, run, {})).toMatchObject({ status: 'changed' });
    // The planned pull names the digest it would fetch: the registry's newest push.
    expect(run.facts.pulled).toEqual([{ ref: REF, planned: true, digest: pushed.at(-1) }]);
    const stop = await runStep(stopStep, run, {});
    expect(stop).toMatchObject({
      status: 'changed',
      actions: [
        `Hand ${APP} (runs ${v1.slice(7, 19)}; ${REF} will be pulled) to start, which stops it (timeout 10s) and parks it as ${parkedName(APP)} when its replacement's turn comes`,
        `Hand ${IDLE} (stopped, has ${v1.slice(7, 19)}; ${REF} will be pulled) to start, which parks it as ${parkedName(IDLE)} when its replacement's turn comes`,
        `Place a guard on the host (on this machine, beside the engine) that puts back ${APP}, ${IDLE} if freshen stops answering for 2m0s before it has finished with them`,
      ],
    });
    expect(await runStep(startStep, run, START)).toMatchObject({
      status: 'changed',
      actions: [
        `Stop ${APP} (timeout 10s) and park it as ${parkedName(APP)}, then create ${APP} from ${REF} with the configuration of ${parkedName(APP)}, start it and wait until it is healthy, then remove ${parkedName(APP)} (stop-first: order: stop-first)`,
        `Park ${IDLE} (not running) as ${parkedName(IDLE)}, then create ${IDLE} from ${REF} with the configuration of ${parkedName(IDLE)}, leave it stopped like the original, then remove ${parkedName(IDLE)} (stop-first: it is not running)`,
      ],
    });
    expect(run.facts.guard).toBeUndefined();
    expect(await imageId(web, REF)).toBe(v1);
    expect(await containerState(web, APP)).toMatchObject({ running: true, image: v1 });
    expect(await containerState(web, IDLE)).toMatchObject({ running: false, image: v1 });
  });

  it('pull: check plans the new digest and pulls nothing; apply pulls it; apply again is ok', async () => {
    const check = await runStep(pullStep, await ctx(true), {});
    expect(check).toMatchObject({ status: 'changed' });
    expect(check.actions).toEqual([expect.stringMatching(new RegExp(`^Pull ${REF}@sha256:[0-9a-f]{64} \\(was sha256:[0-9a-f]{64}\\)$`))]);
    expect(await imageId(web, REF)).toBe(v1);

    const apply = await runStep(pullStep, await ctx(false), {});
    expect(apply).toMatchObject({ status: 'changed' });
    expect(apply.actions).toEqual([expect.stringMatching(new RegExp(`^Pulled ${REF}@sha256:[0-9a-f]{64} \\(was sha256:[0-9a-f]{64}\\)$`))]);
    expect(await imageId(web, REF)).toBe(v2);

    const again = await runStep(pullStep, await ctx(false), {});
    expect(again).toMatchObject({ status: 'ok' });
    expect(again.notes).toContain(`${PINNED} is left alone: labelled freshen.enable=false.`);

    // In check mode a push planned earlier in the run means a new version, though the registry does not have it yet.
    const planned = await ctx(true);
    planned.run.pushes.announce(REF);
    expect(await runStep(pullStep, planned, {})).toMatchObject({ status: 'changed', actions: [`Pull ${REF} (a new version is planned by push)`] });
  });

  it('start puts a container back as it was when parking it fails', async () => {
    const context = await ctx(false);
    expect(await runStep(stopStep, context, {})).toMatchObject({ status: 'changed' });
    const plan = await planStep(startStep, context, START);
    expect(plan.items.map((item) => item.name)).toEqual([APP, IDLE]);
    // Only IDLE's turn: someone takes its parked name between start's plan and then.
    plan.items = plan.items.filter((item) => item.name === IDLE);
    const blocker = await web.createContainer({ name: parkedName(IDLE), Image: REF, Entrypoint: ['/bin/true'], HostConfig: { NetworkMode: 'none' } });
    try {
      const result = await startStep.apply(context, plan);
      expect(result).toMatchObject({ status: 'failed', code: 'stop-failed', rolledBack: 1, actions: [`Restored ${IDLE}`] });
      expect(reasonOf(result)).toMatch(new RegExp(`^stopping ${IDLE} failed: .*already in use.*; it was put back as it was$`));
      expect(await containerState(web, APP)).toMatchObject({ running: true, image: v1 });
      expect(await containerState(web, IDLE)).toMatchObject({ running: false, image: v1 });
    } finally {
      await blocker.remove({ force: true, v: true });
    }
  });

  it('stop: check plans the handover and the guard and touches nothing; apply places the guard and touches no container', async () => {
    const check = await runStep(stopStep, await ctx(true), {});
    expect(check).toMatchObject({ status: 'changed' });
    expect(check.actions).toEqual([
      expect.stringMatching(new RegExp(`^Hand ${APP} \\(runs [0-9a-f]{12}; ${REF} is now ${v2.slice(7, 19)}\\) to start`)),
      expect.stringMatching(new RegExp(`^Hand ${IDLE} \\(stopped, has [0-9a-f]{12}; `)),
      expect.stringMatching(/^Place a guard on the host/),
    ]);
    expect(await containerState(web, APP)).toMatchObject({ running: true, image: v1 });

    const context = await ctx(false);
    const apply = await runStep(stopStep, context, { timeout: '5s', guard_deadline: '1m' });
    expect(apply).toMatchObject({
      status: 'changed',
      actions: [
        `Handed ${APP} to start (stop timeout 5s)`,
        `Handed ${IDLE} to start (stop timeout 5s)`,
        expect.stringMatching(
          new RegExp(
            `^Placed the guard in (/.+/freshen-guard-\\d+/[0-9a-f]{16}\\.[0-9a-f]{8}): it puts back ${APP}, ${IDLE} if freshen stops answering for 1m0s$`,
          ),
        ),
      ],
    });
    const guardDir = /^Placed the guard in (\S+):/.exec(apply.actions[2]!)![1]!;
    expect(await readFile(join(guardDir, 'names'), 'utf8')).toBe(`${APP} 1\n${IDLE} 0\n`);
    const deadline = Number(await readFile(join(guardDir, 'deadline'), 'utf8'));
    expect(deadline - Date.now() / 1000).toBeGreaterThan(50);
    expect(await containerState(web, APP)).toMatchObject({ running: true, image: v1 });
    expect(context.facts.stopped?.map((entry) => entry.handed?.timeoutSeconds)).toEqual([5, 5]);
    // The runner releases the guard once the host is finished, and records the facts that changed by it (as here); the guard
    // sees its directory gone and exits.
    recordFacts(context.facts, context.run, await stopStep.finishHost!(context));
    expect(await pathExists(guardDir)).toBe(false);
    expect(context.facts.guard).toBeUndefined();
  });

  it('start: check plans the replacement and creates nothing; apply parks each container right before its replacement; apply again is ok', async () => {
    const context = await ctx(false);
    expect(await runStep(stopStep, context, {})).toMatchObject({ status: 'changed' });
    const check = await runStep(startStep, Object.assign(await ctx(true), { facts: structuredClone(context.facts) }), START);
    expect(check).toMatchObject({ status: 'changed' });
    expect(check.actions).toEqual([
      expect.stringMatching(new RegExp(`^Stop ${APP} \\(timeout 10s\\) and park it as ${parkedName(APP)}, then create ${APP} `)),
      expect.stringMatching(new RegExp(`^Park ${IDLE} \\(not running\\) as ${parkedName(IDLE)}, then create ${IDLE} .*, leave it stopped like the original`)),
    ]);
    expect(await containerState(web, APP)).toMatchObject({ running: true, image: v1 });
    expect(await containerState(web, parkedName(APP))).toBeUndefined();

    // Same run as stop: its facts say IDLE was not running, so its replacement is created and left stopped.
    const apply = await runStep(startStep, context, START);
    expect(apply).toMatchObject({ status: 'changed' });
    expect(apply.actions).toEqual([
      `Stopped ${APP} (timeout 10s) and parked it as ${parkedName(APP)}`,
      expect.stringMatching(
        new RegExp(`^Replaced ${APP} \\(${REF}: ${v1.slice(7, 19)} → ${v2.slice(7, 19)}\\), healthy after .+; removed ${parkedName(APP)}$`),
      ),
      `Parked ${IDLE} (not running) as ${parkedName(IDLE)}`,
      expect.stringMatching(
        new RegExp(`^Replaced ${IDLE} \\(${REF}: ${v1.slice(7, 19)} → ${v2.slice(7, 19)}\\), left stopped like the original; removed ${parkedName(IDLE)}$`),
      ),
    ]);
    expect(await containerState(web, parkedName(APP))).toBeUndefined();
    expect(await containerState(web, parkedName(IDLE))).toBeUndefined();
    expect(await containerState(web, IDLE)).toMatchObject({ running: false, image: v2 });

    const app = await web.getContainer(APP).inspect();
    expect(app.Image).toBe(v2);
    expect(app.State).toMatchObject({ Running: true, Health: { Status: 'healthy' } });
    expect(app.Config.Env.sort()).toEqual(['GREETING=hello', 'MODE=v2', expect.stringMatching(/^PATH=/)]);
    expect(app.Config.Cmd).toEqual(APP_CMD);
    expect(app.Config.Labels).toEqual({ team: 'frontend', 'org.t-rollout.version': '2' });
    expect(app.HostConfig.RestartPolicy).toEqual({ Name: 'on-failure', MaximumRetryCount: 3 });
    expect(app.HostConfig.NetworkMode).toBe('none');
    expect(await execIn(web, APP, ['/bin/sh', '-c', 'cat /data/named.txt /anon/anon.txt /bind/bind.txt'])).toBe('named\nanonymous\nbound\nfrom-app\n');
    expect(await readFile(join(bindDir, 'bind.txt'), 'utf8')).toBe('bound\nfrom-app\n');
    expect(await containerState(web, PINNED)).toMatchObject({ running: true, image: v1 });

    expect(await runStep(startStep, await ctx(false), START)).toMatchObject({ status: 'ok' });
  });

  it.each([
    { version: 'v3', lines: V3_UNHEALTHY, code: 'unhealthy', logLine: 't-rollout app up with MODE=v3' },
    { version: 'v4', lines: V4_EXITS, code: 'exited', logLine: 'fatal: t-rollout config missing' },
  ])('start rolls back a $version replacement that fails ($code), with its log lines', async ({ lines, code, logLine }) => {
    const bad = await publishApp(lines);
    expect(await runStep(pullStep, await ctx(false), {})).toMatchObject({ status: 'changed' });
    const context = await ctx(false);
    expect(await runStep(stopStep, context, {})).toMatchObject({ status: 'changed' });
    const result = await runStep(startStep, context, START);
    expect(result).toMatchObject({ status: 'failed', code, rolledBack: 1 });
    expect(countsOf(result).rescued).toBe(0);
    expect(reasonOf(result)).toContain(`${APP}: the new container (${REF}: ${v2.slice(7, 19)} → ${bad.slice(7, 19)})`);
    expect(reasonOf(result)).toContain(`rolled back to the previous container (${v2.slice(7, 19)})`);
    expect(reasonOf(result)).toContain(`  | ${logLine}`);
    expect(result.actions).toContain(`Rolled back ${APP}: removed the new container and restarted the previous one`);
    // The new container saw the old one's data (its command logs it), and the old one sees what the new one wrote.
    if (code === 'unhealthy') {
      expect(reasonOf(result)).toContain('  | data: named anonymous');
      expect(await execIn(web, APP, ['/bin/sh', '-c', 'cat /data/seen.txt'])).toMatch(/v3\nv2\n$/);
      expect(await execIn(web, APP, ['/bin/sh', '-c', 'cat /anon/seen.txt'])).toMatch(/v3\nv2\n$/);
    }

    const app = await web.getContainer(APP).inspect();
    expect(app.Image).toBe(v2);
    expect(app.State.Running).toBe(true);
    expect(await containerState(web, parkedName(APP))).toBeUndefined();
    expect(await execIn(web, APP, ['/bin/sh', '-c', 'cat /data/named.txt /anon/anon.txt'])).toBe('named\nanonymous\n');
  });

  it('start converges a parked container left without replacement, and one with a stopped replacement', async () => {
    await publishApp(V2.map((line) => (line.startsWith('LABEL') ? 'LABEL org.t-rollout.version=5' : line)));
    expect(await runStep(pullStep, await ctx(false), {})).toMatchObject({ status: 'changed' });
    // A run killed after start parked both (without a guard): IDLE's replacement was created (not started), APP's never was.
    for (const name of [APP, IDLE]) {
      await web.getContainer(name).rename({ name: parkedName(name) });
      await web
        .getContainer(parkedName(name))
        .stop()
        .catch(() => undefined);
    }
    const parkedIdle = await web.getContainer(parkedName(IDLE)).inspect();
    await leftoverReplacement(parkedName(IDLE));

    const check = await runStep(startStep, await ctx(true), START);
    expect(check.actions).toEqual([
      expect.stringMatching(new RegExp(`^Create ${APP} from`)),
      `Remove the unfinished replacement ${IDLE} left by an interrupted run, create it again from ${REF}, start it and wait until it is healthy, then remove ${parkedName(IDLE)}`,
    ]);

    const apply = await runStep(startStep, await ctx(false), START);
    expect(apply, reasonOf(apply)).toMatchObject({ status: 'changed', rescued: 2 });
    expect(countsOf(apply).rolledBack).toBe(0);
    expect(apply.actions[0]).toMatch(new RegExp(`^Replaced ${APP} .*healthy after`));
    expect(apply.actions.slice(1)).toEqual([
      `Removed the unfinished replacement ${IDLE} left by an interrupted run`,
      expect.stringMatching(new RegExp(`^Replaced ${IDLE} .*, healthy after .+; removed ${parkedName(IDLE)}$`)),
    ]);
    const idle = await web.getContainer(IDLE).inspect();
    expect(idle.Id).not.toBe(parkedIdle.Id);
    expect(idle.Config.Labels['org.t-rollout.version']).toBe('5');
    expect((await web.getContainer(APP).inspect()).Config.Labels['org.t-rollout.version']).toBe('5');
    expect(await runStep(startStep, await ctx(false), START)).toMatchObject({ status: 'ok' });
  });

  it('start stops a parked container left running (a run killed between parking and stopping) before replacing it', async () => {
    await publishApp(V2.map((line) => (line.startsWith('LABEL') ? 'LABEL org.t-rollout.version=7' : line)));
    expect(await runStep(pullStep, await ctx(false), {})).toMatchObject({ status: 'changed' });
    const before = await web.getContainer(APP).inspect();
    expect(before.State.Running).toBe(true);
    await web.getContainer(APP).rename({ name: parkedName(APP) });

    const apply = await runStep(startStep, await ctx(false), START);
    expect(apply).toMatchObject({ status: 'changed', rescued: 1 });
    expect(apply.actions).toContain(`Stopped ${parkedName(APP)}, left running by an interrupted run`);
    const after = await web.getContainer(APP).inspect();
    expect(after.Id).not.toBe(before.Id);
    expect(after.State.Running).toBe(true);
    expect(after.Config.Labels['org.t-rollout.version']).toBe('7');
    expect(await containerState(web, parkedName(APP))).toBeUndefined();
    expect(await execIn(web, APP, ['/bin/sh', '-c', 'cat /data/named.txt'])).toBe('named\n');
  });

  it('start refuses, changing nothing, when the original name is taken by a container of another image', async () => {
    const other = `${REGISTRY}/t-rollout/other:${TAG}`;
    await web.getImage(REF).tag({ repo: `${REGISTRY}/t-rollout/other`, tag: TAG });
    const conflict = 't-rollout-conflict';
    const parked = await web.createContainer({ name: parkedName(conflict), Image: REF, HostConfig: { NetworkMode: 'none' } });
    const squatter = await web.createContainer({ name: conflict, Image: other, HostConfig: { NetworkMode: 'none' } });
    try {
      const result = await runStep(startStep, await ctx(false), START);
      expect(result).toMatchObject({ status: 'failed' });
      expect(reasonOf(result)).toBe(`${conflict} exists and runs ${other}, not ${REF} like ${parkedName(conflict)}; resolve by hand (nothing was changed)`);
      expect((await web.getContainer(parkedName(conflict)).inspect()).Id).toBe(parked.id);
      expect((await web.getContainer(conflict).inspect()).Id).toBe(squatter.id);
    } finally {
      await cleanUp(web, conflict, []);
      await web
        .getImage(other)
        .remove()
        .catch(() => undefined);
    }
  });

  it('start adopts a healthy replacement left running by an interrupted run and only removes the parked container', async () => {
    await publishApp(V2.map((line) => (line.startsWith('LABEL') ? 'LABEL org.t-rollout.version=6' : line)));
    expect(await runStep(pullStep, await ctx(false), {})).toMatchObject({ status: 'changed' });
    // A run killed after start parked APP and started its replacement, before the gate passed (IDLE is not part of this case).
    await web.getContainer(APP).rename({ name: parkedName(APP) });
    await web.getContainer(parkedName(APP)).stop();
    const parked = await web.getContainer(parkedName(APP)).inspect();
    const leftover = await leftoverReplacement(parkedName(APP));
    await leftover.start();

    const check = await runStep(startStep, await ctx(true), START);
    expect(check.actions).toEqual([`Wait until ${APP}, left running ${REF} by an interrupted run, is healthy, then remove ${parkedName(APP)}`]);
    const apply = await runStep(startStep, await ctx(false), START);
    expect(apply.status, JSON.stringify(apply)).toBe('changed');
    expect((await web.getContainer(APP).inspect()).Id).toBe(leftover.id);
    expect(await execIn(web, APP, ['/bin/sh', '-c', 'cat /data/named.txt /anon/anon.txt'])).toBe('named\nanonymous\n');
    expect(await containerState(web, parkedName(APP))).toBeUndefined();
    expect(await containerState(web, parked.Id)).toBeUndefined();
  });
});
