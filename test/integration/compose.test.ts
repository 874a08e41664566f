// Containers started by docker-compose (Debian's, 1.29) on web2: freshen replaces one keeping every com.docker.compose.* label,
// so compose still sees its own container afterwards: `ps` lists the replacement, `up -d` leaves exactly one container for the
// service (no second one, no name conflict, no parked leftover), and `down` removes it.
import { execFile } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { REGISTRY, labDocker, labSocket } from '../support/lab.js';
import { containersNamed, freshen, readReport, tempDir, writePlaybook, writeOneHostInventory } from './rollout.helpers.js';
import { deleteManifests, publish, removeImages } from './steps-rollout.helpers.js';

const TAG = 't-compose';
const REF = `${REGISTRY}/t-compose/app:${TAG}`;
const PROJECT = 't-compose';
const CONTAINER = `${PROJECT}_app_1`;
const web2 = labDocker('web2');
const pushed: string[] = [];
let dir: string;

const compose = (...args: string[]) =>
  promisify(execFile)('docker-compose', ['-p', PROJECT, ...args], { cwd: dir, env: { ...process.env, DOCKER_HOST: `unix://${labSocket('web2')}` } });
const composeLabels = (labels: Record<string, string>) => Object.fromEntries(Object.entries(labels).filter(([k]) => k.startsWith('com.docker.compose.')));
const NONCE = randomBytes(4).toString('hex');
const version = (n: number) => [`LABEL t-compose.version=${n}-${NONCE}`, 'CMD ["/bin/sh", "-c", "trap \'exit 0\' TERM; while true; do sleep 1; done"]'];

beforeAll(async () => {
  dir = await tempDir('t-compose-');
  await publish(REF, version(1), pushed);
  await writeFile(
    join(dir, 'docker-compose.yml'),
    ['version: "3"', 'services:', '  app:', `    image: ${REF}`, '    network_mode: none', '    environment: { T_COMPOSE: kept }', ''].join('\n'),
  );
  // Whatever an earlier run left on web2 must not stand in for v1.
  await compose('down').catch(() => undefined);
  await removeImages(web2, 't-compose/app').catch(() => undefined);
  await compose('pull');
  await compose('up', '-d');
}, 300_000);

afterAll(async () => {
  await compose('down').catch(() => undefined);
  for (const name of [CONTAINER, `${CONTAINER}.freshen-old`])
    await web2
      .getContainer(name)
      .remove({ force: true })
      .catch(() => undefined);
  await removeImages(web2, 't-compose/app').catch(() => undefined);
  await deleteManifests('t-compose/app', pushed);
});

describe('a compose service', () => {
  it('is replaced with its compose labels, and compose keeps owning it', async () => {
    const before = await web2.getContainer(CONTAINER).inspect();
    const v2 = await publish(REF, version(2), pushed);
    const inventory = await writeOneHostInventory(dir, TAG, 'web2', `unix://${labSocket('web2')}`);
    const playbook = await writePlaybook(dir, 'rollout.yml', '- name: Roll out\n  hosts: web2\n  steps: [pull, stop, { start: { settle: 1s } }]\n');
    const r = await freshen(['run', playbook, '-i', inventory, '--json', join(dir, 'run.json')], join(dir, 'locks'));
    expect(r.code, r.stdout + r.stderr).toBe(0);
    expect((await readReport(join(dir, 'run.json'))).recap.web2?.changed).toBeGreaterThan(0);

    const after = await web2.getContainer(CONTAINER).inspect();
    expect(after.Id).not.toBe(before.Id);
    expect(after.Image).toBe(v2);
    expect(composeLabels(after.Config.Labels)).toEqual(composeLabels(before.Config.Labels));
    expect(Object.keys(composeLabels(after.Config.Labels))).toEqual(
      expect.arrayContaining(['com.docker.compose.project', 'com.docker.compose.service', 'com.docker.compose.config-hash']),
    );
    expect((await compose('ps', '-q')).stdout.trim()).toBe(after.Id);

    // compose 1.29 hashes the image ID into config-hash, so it recreates the container once (measured: "Recreating"); it must
    // never find a stranger in its way.
    await compose('up', '-d');
    const containers = await containersNamed(web2, PROJECT);
    expect([...containers.keys()]).toEqual([CONTAINER]);
    expect(containers.get(CONTAINER)?.running).toBe(true);
    await compose('down');
    expect((await containersNamed(web2, PROJECT)).size).toBe(0);
  });
});
