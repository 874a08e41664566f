// A container sharing a replaced parent's network namespace that fails its gate once recreated: the parent is rolled back with
// it and both old containers share one namespace again. web2; only t-renet-* containers, the t-renet/app repository and the
// rollout tag `t-renet`.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { reasonOf } from '../../src/model/results.js';
import { runStep } from '../../src/runner/runStep.js';
import { pullStep } from '../../src/steps/pull/pull.js';
import { startStep } from '../../src/steps/start/start.js';
import { stopStep } from '../../src/steps/stop/stop.js';
import { buildBusyboxImage, labDocker, REGISTRY } from '../support/lab.js';
import { inspectOf, netNamespace } from './recreate.helpers.js';
import { cleanUp, deleteManifests, publish, pullOn, removeImages, rolloutContext, type RolloutContext } from './steps-rollout.helpers.js';

const TAG = 't-renet';
const REPO = 't-renet/app';
const REF = `${REGISTRY}/${REPO}:${TAG}`;
const ONCE = 't-renet/once:local'; // unmanaged
const PARENT = 't-renet-parent';
const ONCE_SIDECAR = 't-renet-once';
const STATE = 't-renet-state';
const LOOP = `trap 'exit 0' TERM; while true; do sleep 1; done`;
const version = (n: number): string[] => [`LABEL org.t-renet.version=${n}`, `CMD ["/bin/sh", "-c", "${LOOP}"]`];

const web = labDocker('web2');
const build = labDocker('build1');
const pushed: string[] = [];
const contexts: RolloutContext[] = [];

beforeAll(async () => {
  await cleanUp(web, 't-renet-', [STATE]);
  await publish(REF, version(1), pushed);
  await pullOn(web, REF);
  // The first container on a /state volume runs (and runs again after a restart: its own /tmp/mine says it is the first); any
  // other container on it exits at once, so a recreated copy fails its gate.
  const once = `test -f /state/started && ! test -f /tmp/mine && exit 5; touch /state/started /tmp/mine; ${LOOP}`;
  await buildBusyboxImage(web, ONCE, { lines: [`CMD ["/bin/sh", "-c", "${once}"]`] });
  await (await web.createContainer({ name: PARENT, Image: REF, HostConfig: { NetworkMode: 'none' } })).start();
  await (
    await web.createContainer({ name: ONCE_SIDECAR, Image: ONCE, HostConfig: { NetworkMode: `container:${PARENT}`, Binds: [`${STATE}:/state`] } })
  ).start();
});

afterAll(async () => {
  for (const context of contexts) await context.close();
  await cleanUp(web, 't-renet-', [STATE]);
  await removeImages(web, `${REGISTRY}/${REPO}`);
  await removeImages(build, `${REGISTRY}/${REPO}`);
  await deleteManifests(REPO, pushed);
  await web
    .getImage(ONCE)
    .remove({ force: true })
    .catch(() => undefined);
});

describe('a dependent that fails once recreated', () => {
  it('rolls the parent back with it, and both share one namespace again', async () => {
    const parentBefore = await inspectOf(web, PARENT);
    const sidecarBefore = await inspectOf(web, ONCE_SIDECAR);
    await publish(REF, version(2), pushed);
    const context = rolloutContext('web2', { check: false, vars: { rollout_tag: TAG } });
    contexts.push(context);
    expect(await runStep(pullStep, context, {})).toMatchObject({ status: 'changed' });
    expect(await runStep(stopStep, context, { timeout: '1s' })).toMatchObject({ status: 'changed' });
    const start = await runStep(startStep, context, { healthy_timeout: '10s', settle: '1s' });
    expect(start).toMatchObject({ status: 'failed', code: 'exited', rolledBack: 1 });
    expect(reasonOf(start)).toMatch(
      new RegExp(
        `^${PARENT}: the new container \\(.+\\) passed, but ${ONCE_SIDECAR}, recreated to share the network namespace of the new ${PARENT}, exited with code 5`,
      ),
    );
    expect(start.actions).toEqual([
      expect.stringMatching(new RegExp(`^Stopped ${PARENT} \\(timeout \\d+s\\) and parked it`)),
      `Rolled back ${PARENT}: removed the new container and restarted the previous one`,
      `Restarted ${ONCE_SIDECAR} in the network namespace of the restored ${PARENT}`,
    ]);
    expect((await inspectOf(web, PARENT)).Id).toBe(parentBefore.Id);
    expect((await inspectOf(web, ONCE_SIDECAR)).Id).toBe(sidecarBefore.Id);
    expect(
      (await web.listContainers({ all: true }))
        .flatMap((c) => c.Names)
        .filter((n) => n.includes('t-renet-'))
        .sort(),
    ).toEqual([`/${ONCE_SIDECAR}`, `/${PARENT}`]);
    expect(await netNamespace(web, ONCE_SIDECAR)).toBe(await netNamespace(web, PARENT));
  }, 60_000);
});
