// pull, stop and start against the lab's web1 engine, which the ConnectionPool reaches through ssh:// (the lab sshd, then web1's
// socket): three passes per step, the data of a named and an anonymous volume kept, and a rollback of an unhealthy version.
// Only t-rollout-ssh-* containers and the t-rollout/app-ssh repository, under the rollout tag `t-rollout`.
import { readFile } from 'node:fs/promises';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { reasonOf } from '../../src/model/results.js';
import { runStep } from '../../src/runner/runStep.js';
import { parkedName } from '../../src/containers/managed.js';
import { pullStep } from '../../src/steps/pull/pull.js';
import { startStep } from '../../src/steps/start/start.js';
import { stopStep } from '../../src/steps/stop/stop.js';
import { labDocker, REGISTRY } from '../support/lab.js';
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
} from './steps-rollout.helpers.js';

const HOST = 'web1';
const TAG = 't-rollout';
const REPO = 't-rollout/app-ssh';
const REF = `${REGISTRY}/${REPO}:${TAG}`;
const APP = 't-rollout-ssh-app';
const VOLUME = 't-rollout-ssh-data';
const START = { healthy_timeout: '20s', settle: '1500ms' };

const web = labDocker(HOST); // the tests' own view of web1, through its local socket
const contexts: RolloutContext[] = [];
const pushed: string[] = [];
let v1: string;
let v2: string;

function ctx(check: boolean): RolloutContext {
  const context = rolloutContext(HOST, { check, vars: { rollout_tag: TAG } });
  contexts.push(context);
  return context;
}

beforeAll(async () => {
  await cleanUp(web, 't-rollout-ssh-', [VOLUME]);
  v1 = await publish(REF, V1, pushed);
  await pullOn(web, REF);
  const app = await web.createContainer({
    name: APP,
    Image: REF,
    Env: ['GREETING=over-ssh'],
    Cmd: APP_CMD,
    Labels: { team: 'canary' },
    HostConfig: { NetworkMode: 'none', RestartPolicy: { Name: 'unless-stopped', MaximumRetryCount: 0 }, Binds: [`${VOLUME}:/data`] },
  });
  await app.start();
  await execIn(web, APP, ['/bin/sh', '-c', 'echo named > /data/named.txt && echo anonymous > /anon/anon.txt']);
  v2 = await publish(REF, V2, pushed);
});

afterAll(async () => {
  for (const context of contexts) await context.close();
  await cleanUp(web, 't-rollout-ssh-', [VOLUME]);
  await removeImages(web, `${REGISTRY}/${REPO}`);
  await removeImages(labDocker('build1'), `${REGISTRY}/${REPO}`);
  await deleteManifests(REPO, pushed);
});

describe(`rollout on ${HOST} through ssh://`, () => {
  it('pull: check, apply, apply again', async () => {
    expect(await runStep(pullStep, ctx(true), {})).toMatchObject({ status: 'changed', actions: [expect.stringMatching(new RegExp(`^Pull ${REF}@sha256:`))] });
    expect(await imageId(web, REF)).toBe(v1);
    expect(await runStep(pullStep, ctx(false), {})).toMatchObject({
      status: 'changed',
      actions: [expect.stringMatching(new RegExp(`^Pulled ${REF}@sha256:`))],
    });
    expect(await imageId(web, REF)).toBe(v2);
    expect(await runStep(pullStep, ctx(false), {})).toMatchObject({ status: 'ok' });
  });

  it('stop then start in one run: check, apply, apply again; the guard runs over SSH; the replacement keeps configuration and data', async () => {
    const check = ctx(true);
    expect(await runStep(stopStep, check, {})).toMatchObject({
      status: 'changed',
      actions: [expect.stringMatching(new RegExp(`^Hand ${APP} \\(runs `)), expect.stringMatching(/^Place a guard on the host \(over SSH\) that puts back /)],
    });
    expect(await runStep(startStep, check, START)).toMatchObject({
      status: 'changed',
      actions: [expect.stringMatching(new RegExp(`^Stop ${APP} \\(timeout 10s\\) and park it as ${parkedName(APP)}, then create ${APP} from ${REF}`))],
    });
    expect(await containerState(web, APP)).toMatchObject({ running: true, image: v1 });

    const run = ctx(false);
    const stop = await runStep(stopStep, run, {});
    expect(stop).toMatchObject({ status: 'changed', actions: [`Handed ${APP} to start (stop timeout 10s)`, expect.stringMatching(/^Placed the guard in \//)] });
    // The lab's sshd is this machine, so the guard's directory (made over SSH) can be looked at here.
    const guardDir = /^Placed the guard in (\S+):/.exec(stop.actions[1]!)![1]!;
    expect(await readFile(`${guardDir}/names`, 'utf8')).toBe(`${APP} 1\n`);
    expect(await containerState(web, APP)).toMatchObject({ running: true, image: v1 });
    const apply = await runStep(startStep, run, START);
    expect(apply).toMatchObject({
      status: 'changed',
      actions: [`Stopped ${APP} (timeout 10s) and parked it as ${parkedName(APP)}`, expect.stringMatching(new RegExp(`^Replaced ${APP} .*, healthy after `))],
    });
    await stopStep.finishHost!(run);
    await expect(readFile(`${guardDir}/names`, 'utf8')).rejects.toThrow(/ENOENT/);
    const app = await web.getContainer(APP).inspect();
    expect(app).toMatchObject({ Image: v2, State: { Running: true, Health: { Status: 'healthy' } } });
    expect(app.Config.Env.sort()).toEqual(['GREETING=over-ssh', 'MODE=v2', expect.stringMatching(/^PATH=/)]);
    expect(app.Config.Cmd).toEqual(APP_CMD);
    expect(app.Config.Labels).toEqual({ team: 'canary', 'org.t-rollout.version': '2' });
    expect(app.HostConfig.RestartPolicy).toEqual({ Name: 'unless-stopped', MaximumRetryCount: 0 });
    expect(await execIn(web, APP, ['/bin/sh', '-c', 'cat /data/named.txt /anon/anon.txt'])).toBe('named\nanonymous\n');
    expect(await containerState(web, parkedName(APP))).toBeUndefined();
    const again = ctx(false);
    expect(await runStep(stopStep, again, {})).toMatchObject({ status: 'ok' });
    expect(await runStep(startStep, again, START)).toMatchObject({ status: 'ok' });
  });

  it('start rolls an unhealthy version back over ssh://, with the new container’s log lines', async () => {
    await publish(REF, V3_UNHEALTHY, pushed);
    expect(await runStep(pullStep, ctx(false), {})).toMatchObject({ status: 'changed' });
    const run = ctx(false);
    expect(await runStep(stopStep, run, {})).toMatchObject({ status: 'changed' });
    const result = await runStep(startStep, run, START);
    expect(result).toMatchObject({ status: 'failed', code: 'unhealthy' });
    expect(reasonOf(result)).toContain('  | t-rollout app up with MODE=v3');
    expect(await containerState(web, APP)).toMatchObject({ running: true, image: v2 });
    expect(await containerState(web, parkedName(APP))).toBeUndefined();
    expect(await execIn(web, APP, ['/bin/sh', '-c', 'cat /data/named.txt /anon/anon.txt'])).toBe('named\nanonymous\n');
  });
});
