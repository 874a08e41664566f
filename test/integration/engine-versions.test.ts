// Engine API negotiation against two real engines: the lab's Docker 20.10 (API 1.41) and its current engine, docker.io 28 from
// Debian unstable started with DOCKER_MIN_API_VERSION=1.44, which refuses old clients exactly as Engine 29 does. A client pinned
// to 1.41 (what freshen was) is refused there; freshen negotiates and runs a whole rollout on it: check, apply, apply again.
import { join } from 'node:path';
import Docker from 'dockerode';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { closeDocker, connectDocker, engineApiVersion } from '../../src/adapters/docker.js';
import { CLIENT_API_MAX } from '../../src/adapters/engineApi.js';
import { CURRENT_ENGINE_SOCKET, REGISTRY, labSocket } from '../support/lab.js';
import { containersNamed, freshen, healthyVersion, readReport, tempDir, writePlaybook, writeOneHostInventory } from './rollout.helpers.js';
import { deleteManifests, publish, pullOn, removeImages } from './steps-rollout.helpers.js';

const TAG = 't-current';
const REF = `${REGISTRY}/t-current/app:${TAG}`;
const APP = 't-current-app';
const pushed: string[] = [];
let current: Docker;
let dir: string;
let inventory: string;
let playbook: string;

beforeAll(async () => {
  current = await connectDocker({ host: `unix://${CURRENT_ENGINE_SOCKET}` });
  dir = await tempDir('t-current-');
  inventory = await writeOneHostInventory(dir, TAG, 'current1', `unix://${CURRENT_ENGINE_SOCKET}`);
  playbook = await writePlaybook(
    dir,
    'rollout.yml',
    ['- name: Roll out', '  hosts: current1', '  steps: [pull, stop, { start: { healthy_timeout: 60s } }]', ''].join('\n'),
  );
  await publish(REF, healthyVersion(1), pushed);
  await pullOn(current, REF);
  await current
    .getContainer(APP)
    .remove({ force: true, v: true })
    .catch(() => undefined);
  const created = await current.createContainer({
    name: APP,
    Image: REF,
    Env: ['T_CURRENT_SETTING=kept'],
    Labels: { 't-current.owner': 'engine-versions' },
    HostConfig: { NetworkMode: 'none', RestartPolicy: { Name: 'unless-stopped', MaximumRetryCount: 0 }, Binds: ['t-current-data:/data'] },
  });
  await created.start();
}, 300_000);

afterAll(async () => {
  for (const name of [APP, `${APP}.freshen-old`])
    await current
      ?.getContainer(name)
      .remove({ force: true, v: true })
      .catch(() => undefined);
  await current
    ?.getVolume('t-current-data')
    .remove()
    .catch(() => undefined);
  if (current !== undefined) await removeImages(current, 't-current/app').catch(() => undefined);
  await deleteManifests('t-current/app', pushed);
  if (current !== undefined) await closeDocker(current);
});

describe('two real engines, one client', () => {
  it('the current engine refuses a client pinned to API 1.41, as Engine 29 does', async () => {
    const pinned = new Docker({ socketPath: CURRENT_ENGINE_SOCKET, version: 'v1.41' });
    await expect(pinned.listContainers()).rejects.toThrow(/client version 1\.41 is too old\. Minimum supported API version is 1\.44/);
  });

  it('freshen negotiates 1.41 with Docker 20.10 and its newest version with the current engine', async () => {
    const old = await connectDocker({ host: `unix://${labSocket('build1')}` });
    try {
      expect(engineApiVersion(old)).toBe('1.41');
    } finally {
      await closeDocker(old);
    }
    expect(engineApiVersion(current)).toBe(CLIENT_API_MAX);
    const info = (await current.version()) as { ApiVersion: string; MinAPIVersion: string };
    expect(info.MinAPIVersion).toBe('1.44');
    expect(info.ApiVersion).toBe(CLIENT_API_MAX);
  });

  it('a rollout on the current engine: check plans it, apply replaces the container keeping its settings, again changes nothing', async () => {
    const v2 = await publish(REF, healthyVersion(2), pushed);
    const check = await freshen(['run', playbook, '-i', inventory, '--check', '--json', join(dir, 'check.json')], join(dir, 'locks'));
    expect(check.code, check.stdout + check.stderr).toBe(0);
    expect((await readReport(join(dir, 'check.json'))).recap.current1?.changed).toBeGreaterThan(0);
    expect((await current.getContainer(APP).inspect()).Image).not.toBe(v2);

    const apply = await freshen(['run', playbook, '-i', inventory, '--json', join(dir, 'apply.json')], join(dir, 'locks'));
    expect(apply.code, apply.stdout + apply.stderr).toBe(0);
    const replaced = await current.getContainer(APP).inspect();
    expect(replaced.Image).toBe(v2);
    expect(replaced.State.Running).toBe(true);
    expect(replaced.Config.Env).toContain('T_CURRENT_SETTING=kept');
    expect(replaced.Config.Labels['t-current.owner']).toBe('engine-versions');
    expect(replaced.HostConfig.RestartPolicy?.Name).toBe('unless-stopped');
    expect(replaced.Mounts.map((m) => `${m.Name ?? ''}:${m.Destination}`)).toContain('t-current-data:/data');
    expect([...(await containersNamed(current, APP)).keys()]).toEqual([APP]);

    const again = await freshen(['run', playbook, '-i', inventory, '--json', join(dir, 'again.json')], join(dir, 'locks'));
    expect(again.code).toBe(0);
    expect((await readReport(join(dir, 'again.json'))).recap.current1?.changed).toBe(0);
  });
});
