// Credentials where Docker keeps them, against a real htpasswd-protected docker-registry: the inventory names the registry
// but gives no registry_auth; DOCKER_CONFIG's config.json names a credential helper for it (a real program written for the
// test, speaking the helper protocol). freshen's own HTTP client (backup) and the engine (pull, via X-Registry-Auth) both get
// the helper's credentials; without the config the run fails saying how to give credentials; the secret is never printed.
import { chmod, mkdir, readFile, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { buildBusyboxImage, labDocker, labSocket, pushImage, removeContainers } from '../support/lab.js';
import { HTPASSWD_USER, startOwnRegistry, type OwnRegistry } from '../support/ownRegistry.js';
import { freshen, readReport, tempDir, writePlaybook } from './rollout.helpers.js';
import { pullOn } from './steps-rollout.helpers.js';

const build1 = labDocker('build1');
const web2 = labDocker('web2');
const TAG = 't-dcreds';
const APP = 't-dcreds-app';
let own: OwnRegistry;
let dir: string;
let withHelper: NodeJS.ProcessEnv;
let inventory: string;
let backupPlay: string;
let pullPlay: string;
let ref: string;

const auth = { username: HTPASSWD_USER.username, password: HTPASSWD_USER.password };
const run = (play: string, json: string, env: NodeJS.ProcessEnv) => freshen(['run', play, '-i', inventory, '--json', join(dir, json)], join(dir, 'locks'), env);

beforeAll(async () => {
  own = await startOwnRegistry('t-dcreds', { htpasswd: true });
  dir = await tempDir('t-dcreds-');
  ref = `${own.name}/t-dcreds/app:${TAG}`;
  await buildBusyboxImage(build1, ref, { lines: ['CMD ["/bin/sh", "-c", "trap \'exit 0\' TERM; while true; do sleep 1; done"]'] });
  await pushImage(build1, ref, auth);
  // The helper answers for this registry only, reading the server from stdin as the protocol says.
  const configDir = join(dir, 'docker');
  await mkdir(configDir);
  await writeFile(join(configDir, 'config.json'), JSON.stringify({ credHelpers: { [own.name]: 't-dcreds' } }));
  const helper = join(configDir, 'docker-credential-t-dcreds');
  await writeFile(
    helper,
    `#!/bin/sh\nread -r server\n[ "$1" = get ] && [ "$server" = "${own.name}" ] || { echo "credentials not found in native keychain"; exit 1; }\nprintf '{"ServerURL":"%s","Username":"${auth.username}","Secret":"${auth.password}"}' "$server"\n`,
  );
  await chmod(helper, 0o755);
  withHelper = { DOCKER_CONFIG: configDir, PATH: `${configDir}:${process.env.PATH ?? '/usr/bin:/bin'}` };
  inventory = await writePlaybook(
    dir,
    'inventory.yml',
    [
      'all:',
      '  vars:',
      `    registry: "${own.name}"`,
      `    rollout_tag: ${TAG}`,
      '  children:',
      '    registries: { hosts: { registry1: {} } }',
      `    web: { hosts: { web2: { docker: { host: "unix://${labSocket('web2')}" } } } }`,
      '',
    ].join('\n'),
  );
  backupPlay = await writePlaybook(dir, 'backup.yml', '- name: Back up\n  hosts: registries\n  steps:\n    - backup: { to: { oci_layout: layout } }\n');
  pullPlay = await writePlaybook(dir, 'pull.yml', '- name: Pull\n  hosts: web\n  steps: [pull]\n');
  // A container on web2 that runs the image, so pull has something to refresh; web2 has no copy of the image yet.
  await removeContainers(web2, APP);
  await web2
    .getImage(ref)
    .remove({ force: true })
    .catch(() => undefined);
}, 300_000);

afterAll(async () => {
  await web2
    .getContainer(APP)
    .remove({ force: true })
    .catch(() => undefined);
  for (const docker of [web2, build1])
    await docker
      .getImage(ref)
      .remove({ force: true })
      .catch(() => undefined);
  await own?.destroy();
});

describe('a registry whose credentials only Docker knows', () => {
  it('without the Docker config: refused, saying how to give credentials (exit 2)', async () => {
    const r = await run(backupPlay, 'none.json', { DOCKER_CONFIG: join(dir, 'empty') });
    expect(r.code).toBe(2);
    expect((await readReport(join(dir, 'none.json'))).plays[0]!.hosts.registry1![0]!.reason).toContain(
      'it needs credentials (set registry_auth, or log in with docker login)',
    );
  });

  it("backup reads it with the helper's credentials; the password appears nowhere", async () => {
    const r = await run(backupPlay, 'backup.json', withHelper);
    expect(r.code, r.stdout + r.stderr).toBe(0);
    const report = await readFile(join(dir, 'backup.json'), 'utf8');
    expect(JSON.parse(report).plays[0].hosts.registry1[0].status).toBe('changed');
    const index = JSON.parse(await readFile(join(dir, 'layout/index.json'), 'utf8')) as { manifests: Array<{ annotations?: Record<string, string> }> };
    expect(index.manifests.length).toBeGreaterThan(0);
    for (const text of [r.stdout, r.stderr, report]) expect(text).not.toContain(auth.password);
  });

  it("pull gets the image onto web2 through the engine with the helper's credentials", async () => {
    // The engine needs the image to create the container; the test's own setup pulls it with the credentials given directly.
    await pullOn(web2, ref, auth);
    await (await web2.createContainer({ name: APP, Image: ref, HostConfig: { NetworkMode: 'none' } })).start();
    const newer = await buildBusyboxImage(build1, ref, { lines: ['LABEL t-dcreds.version=2', 'CMD ["/bin/sh", "-c", "while true; do sleep 1; done"]'] });
    await pushImage(build1, ref, auth);
    const denied = await run(pullPlay, 'pull-denied.json', { DOCKER_CONFIG: join(dir, 'empty') });
    expect(denied.code).toBe(2);
    const r = await run(pullPlay, 'pull.json', withHelper);
    expect(r.code, r.stdout + r.stderr).toBe(0);
    expect((await readReport(join(dir, 'pull.json'))).plays[0]!.hosts.web2![0]!.status).toBe('changed');
    expect((await web2.getImage(ref).inspect()).Id).toBe(newer);
    expect(r.stdout + r.stderr).not.toContain(auth.password);
  });
});
