// The `probe` of start's health gate, on web1 (engine reached through ssh://, so `docker exec` goes through the SSH tunnel): a
// probe that passes after a few attempts, and one that never does, which rolls the replacement back with the probe's last output.
// Only t-probe-* containers and the t-probe/app repository, under the rollout tag `t-probe`.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { reasonOf } from '../../src/model/results.js';
import { runStep } from '../../src/runner/runStep.js';
import { pullStep } from '../../src/steps/pull/pull.js';
import { startStep } from '../../src/steps/start/start.js';
import { stopStep } from '../../src/steps/stop/stop.js';
import { labDocker, REGISTRY } from '../support/lab.js';
import { cleanUp, deleteManifests, publish, pullOn, removeImages, rolloutContext, type RolloutContext } from './steps-rollout.helpers.js';

const HOST = 'web1';
const TAG = 't-probe';
const REPO = 't-probe/app';
const REF = `${REGISTRY}/${REPO}:${TAG}`;
const APP = 't-probe-app';

/** An image whose command creates /tmp/ready `delay` seconds after start (never, for a negative delay). */
const version = (n: number, delay: number): string[] => [
  `LABEL org.t-probe.version=${n}`,
  `CMD ["/bin/sh", "-c", "trap 'exit 0' TERM; ${delay >= 0 ? `(sleep ${delay}; touch /tmp/ready) &` : ''} while true; do sleep 1; done"]`,
];

const web = labDocker(HOST);
const build = labDocker('build1');
const contexts: RolloutContext[] = [];
const pushed: string[] = [];

function ctx(): RolloutContext {
  const context = rolloutContext(HOST, { check: false, vars: { rollout_tag: TAG } });
  contexts.push(context);
  return context;
}

/** pull, stop and start with `start` options; returns start's result. */
async function rollOut(start: Record<string, unknown>): Promise<Awaited<ReturnType<typeof runStep>>> {
  const context = ctx();
  expect(await runStep(pullStep, context, {})).toMatchObject({ status: 'changed' });
  expect(await runStep(stopStep, context, { timeout: '1s' })).toMatchObject({ status: 'changed' });
  return runStep(startStep, context, start);
}

beforeAll(async () => {
  await cleanUp(web, 't-probe-', []);
  await publish(REF, version(1, 0), pushed);
  await pullOn(web, REF);
  const app = await web.createContainer({ name: APP, Image: REF, HostConfig: { NetworkMode: 'none' } });
  await app.start();
});

afterAll(async () => {
  for (const context of contexts) await context.close();
  await cleanUp(web, 't-probe-', []);
  await removeImages(web, `${REGISTRY}/${REPO}`);
  await removeImages(build, `${REGISTRY}/${REPO}`);
  await deleteManifests(REPO, pushed);
});

describe(`start's probe on ${HOST} (ssh://)`, () => {
  it('retries the probe until it exits 0, after the settle time', async () => {
    const v2 = await publish(REF, version(2, 2), pushed);
    const start = await rollOut({ healthy_timeout: '20s', settle: '500ms', probe: 'test -f /tmp/ready' });
    expect(start).toMatchObject({ status: 'changed' });
    const healthyAfter = Number(/healthy after ([0-9.]+)s/.exec(start.actions.find((action) => action.startsWith('Replaced'))!)?.[1]);
    expect(healthyAfter).toBeGreaterThanOrEqual(2);
    expect(healthyAfter).toBeLessThan(10);
    expect((await web.getContainer(APP).inspect()).Image).toBe(v2);
  }, 60_000);

  it('rolls back a replacement whose probe never passes, naming the probe and its last output', async () => {
    const before = await web.getContainer(APP).inspect();
    await publish(REF, version(3, -1), pushed);
    const start = await rollOut({ healthy_timeout: '3s', settle: '500ms', probe: ['/bin/sh', '-c', 'echo "not ready: no /tmp/ready" >&2; exit 4'] });
    expect(start).toMatchObject({ status: 'failed', code: 'probe-failed', rolledBack: 1 });
    expect(reasonOf(start)).toMatch(
      new RegExp(
        `^${APP}: the new container \\(.+\\) did not pass the probe \`/bin/sh -c 'echo "not ready: no /tmp/ready" >&2; exit 4'\` within 3000ms \\(\\d+ attempts; last: exited 4: not ready: no /tmp/ready\\); rolled back to the previous container`,
      ),
    );
    const after = await web.getContainer(APP).inspect();
    expect(after.Id).toBe(before.Id);
    expect(after.State.Running).toBe(true);
  }, 60_000);
});
