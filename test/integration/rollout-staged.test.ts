// A staged rollout through the built CLI over the lab's three container hosts: the canary (web1, reached over ssh://) first, then
// web2 and web3 one at a time (`serial: 1`). A good image reaches every host in that order; an image whose HEALTHCHECK fails is
// rolled back on the canary and no other host is touched; `max_fail_percentage` stops a play exactly when exceeded.
// Only t-staged-* containers under the rollout tag `t-staged` are managed here.
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { StepRecord } from '../../src/runner/report.js';
import { labDocker, REGISTRY } from '../support/lab.js';
import { cleanUp, deleteManifests, imageId, publish, pullOn, removeImages } from './steps-rollout.helpers.js';
import {
  containersNamed,
  createApp,
  freshen,
  healthyVersion,
  readMarker,
  readReport,
  tempDir,
  unhealthyVersion,
  userSettings,
  writeInventory,
  writePlaybook,
  type ContainerHost,
} from './rollout.helpers.js';

const TAG = 't-staged';
const REPO = 't-staged/app';
const REF = `${REGISTRY}/${REPO}:${TAG}`;
const SIDE_REPO = 't-staged/side';
const SIDE_REF = `${REGISTRY}/${SIDE_REPO}:${TAG}`;
const APP = 't-staged-app';
const SIDE = 't-staged-side';
const VOLUME = 't-staged-data';
const HOSTS: ContainerHost[] = ['web1', 'web2', 'web3'];
const docker = (host: ContainerHost) => labDocker(host);

const pushed: string[] = [];
const sidePushed: string[] = [];
let dir: string;
let lockDir: string;
let inventory: string;
let rollout: string;

const START = '{ start: { healthy_timeout: 20s, settle: 1s } }';

/** Where a step record starts and ends in the run's event sequence. */
const span = (record: StepRecord): [number, number] => [record.started_seq, record.ended_seq];

beforeAll(async () => {
  dir = await tempDir('t-staged-');
  lockDir = join(dir, 'locks');
  inventory = await writeInventory(dir, TAG);
  rollout = await writePlaybook(
    dir,
    'rollout.yml',
    [
      '- name: Canary',
      '  hosts: canary',
      `  steps: [pull, stop, ${START}]`,
      '- name: Everyone else',
      '  hosts: web',
      '  serial: 1',
      '  max_fail_percentage: 0',
      `  steps: [pull, stop, ${START}]`,
      '',
    ].join('\n'),
  );
  const v1 = await publish(REF, healthyVersion(1), pushed);
  for (const host of HOSTS) {
    await cleanUp(docker(host), 't-staged-app', [VOLUME]);
    await cleanUp(docker(host), SIDE, []);
    await pullOn(docker(host), REF);
    expect(await imageId(docker(host), REF)).toBe(v1);
    await createApp(docker(host), APP, REF, VOLUME, `kept-on-${host}`);
  }
});

afterAll(async () => {
  for (const host of HOSTS) {
    await cleanUp(docker(host), 't-staged-app', [VOLUME]);
    await cleanUp(docker(host), SIDE, []);
    await removeImages(docker(host), `${REGISTRY}/${REPO}`);
    await removeImages(docker(host), `${REGISTRY}/${SIDE_REPO}`);
  }
  await removeImages(labDocker('build1'), `${REGISTRY}/${REPO}`);
  await removeImages(labDocker('build1'), `${REGISTRY}/${SIDE_REPO}`);
  await deleteManifests(REPO, pushed);
  await deleteManifests(SIDE_REPO, sidePushed);
});

describe('a canary-first rollout with serial batches', () => {
  it('rolls a good image out on the canary first, then web2, then web3, keeping settings and data', async () => {
    const before = new Map(await Promise.all(HOSTS.map(async (h) => [h, await userSettings(docker(h), APP)] as const)));
    const v2 = await publish(REF, healthyVersion(2), pushed);
    const json = join(dir, 'good.json');
    const result = await freshen(['run', rollout, '-i', inventory, '--json', json], lockDir);
    expect(result.code, result.stdout + result.stderr).toBe(0);
    const report = await readReport(json);
    expect(report.plays.map((p) => Object.keys(p.hosts))).toEqual([['web1'], ['web2', 'web3']]);
    const canaryEnd = span(report.plays[0]!.hosts.web1!.at(-1)!);
    const web2 = report.plays[1]!.hosts.web2!;
    const web3 = report.plays[1]!.hosts.web3!;
    // The canary was finished before anyone else started; web3's batch started after web2's ended.
    expect(span(web2[0]!)[0]).toBeGreaterThan(canaryEnd[1]);
    expect(span(web3[0]!)[0]).toBeGreaterThan(span(web2.at(-1)!)[1]);
    for (const host of HOSTS) {
      const app = (await containersNamed(docker(host), APP)).get(APP);
      expect(app, host).toMatchObject({ image: v2, running: true });
      expect([...(await containersNamed(docker(host), APP)).keys()]).toEqual([APP]);
      expect(await userSettings(docker(host), APP)).toEqual(before.get(host));
      expect(await readMarker(docker(host), APP)).toBe(`kept-on-${host}`);
      expect(report.recap[host]).toMatchObject({ changed: 3, failed: 0, rolled_back: 0 });
    }
    expect(result.stdout).toMatch(/batch 1\/2: web2\n[\s\S]*batch 2\/2: web3/);
  });

  it('rolls an unhealthy image back on the canary and touches no other host: exit 2, rolled_back=1', async () => {
    const good = await imageId(docker('web2'), REF);
    await publish(REF, unhealthyVersion(3), pushed);
    const json = join(dir, 'bad.json');
    const result = await freshen(['run', rollout, '-i', inventory, '--json', json], lockDir);
    expect(result.code, result.stdout + result.stderr).toBe(2);
    const report = await readReport(json);
    expect(report.plays).toHaveLength(1);
    expect(report.plays[0]!.stopped).toBe('every host in the batch failed');
    expect(report.recap.web1).toMatchObject({ failed: 1, rolled_back: 1 });
    expect(Object.keys(report.recap)).toEqual(['web1']);
    const start = report.plays[0]!.hosts.web1!.at(-1)!;
    expect(start).toMatchObject({ step: 'start', status: 'failed', code: 'unhealthy', rolled_back: 1 });
    expect(result.stdout).toMatch(/^web1 +: ok=0 +changed=2 +unreachable=0 +failed=1 +skipped=0 +rescued=0 +rolled_back=1$/m);
    expect(result.stdout).toContain('web1 start: failed (unhealthy), rolled_back=1: t-staged-app: the new container');
    // The canary's old container serves again, data intact; nobody else even pulled the bad image.
    const canary = await containersNamed(docker('web1'), APP);
    expect([...canary.keys()]).toEqual([APP]);
    expect(canary.get(APP)).toMatchObject({ image: good, running: true });
    expect(await readMarker(docker('web1'), APP)).toBe('kept-on-web1');
    for (const host of ['web2', 'web3'] as const) {
      expect((await containersNamed(docker(host), APP)).get(APP)).toMatchObject({ image: good, running: true });
      expect(await imageId(docker(host), REF)).toBe(good);
    }
  });
});

describe('max_fail_percentage on the lab', () => {
  // Three hosts in one batch; only web3 fails (its side container's new image is unhealthy): 1 of 3 is 33.3 %.
  const playbook = (maxFail: number): string =>
    [
      '- name: All three at once',
      '  hosts: canary:web',
      `  max_fail_percentage: ${maxFail}`,
      `  steps: [pull, stop, ${START}]`,
      '- name: Afterwards',
      '  hosts: web2',
      '  steps: [pull]',
      '',
    ].join('\n');

  beforeAll(async () => {
    await publish(REF, healthyVersion(4), pushed);
    await publish(SIDE_REF, healthyVersion(1), sidePushed);
    await pullOn(docker('web3'), SIDE_REF);
    const side = await docker('web3').createContainer({ name: SIDE, Image: SIDE_REF, HostConfig: { NetworkMode: 'none' } });
    await side.start();
    await publish(SIDE_REF, unhealthyVersion(2), sidePushed);
  });

  it.each([
    { maxFail: 33, stops: true },
    { maxFail: 34, stops: false },
  ])('max_fail_percentage $maxFail with 1 of 3 failed: the play stops = $stops', async ({ maxFail, stops }) => {
    const json = join(dir, `maxfail-${maxFail}.json`);
    const result = await freshen(['run', await writePlaybook(dir, `maxfail-${maxFail}.yml`, playbook(maxFail)), '-i', inventory, '--json', json], lockDir);
    expect(result.code, result.stdout + result.stderr).toBe(2);
    const report = await readReport(json);
    expect(report.recap.web3).toMatchObject({ failed: 1, rolled_back: 1 });
    expect(report.recap.web1).toMatchObject({ failed: 0 });
    expect(report.recap.web2).toMatchObject({ failed: 0 });
    if (stops) {
      expect(report.plays[0]!.stopped).toBe('1 of 3 hosts in the batch failed, more than max_fail_percentage 33%');
      expect(report.plays).toHaveLength(1);
    } else {
      expect(report.plays[0]!.stopped).toBeUndefined();
      expect(report.plays.map((p) => p.name)).toEqual(['All three at once', 'Afterwards']);
    }
    expect((await containersNamed(docker('web3'), SIDE)).get(SIDE)).toMatchObject({ running: true });
    expect([...(await containersNamed(docker('web3'), SIDE)).keys()]).toEqual([SIDE]);
  });
});
