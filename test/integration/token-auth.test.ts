// Token authentication against the real thing: docker-registry started with auth.token (realm, service, issuer,
// rootcertbundle) in front of a token service of the suite's own that follows the token spec (tokenServer.ts). freshen's
// whole read/write path goes through it: backup mirrors the lab's upstream/os into it (push scope), backs it up to a layout
// (pull scope), the engines push and pull through it, gc deletes with delete-scoped tokens, and a user whose tokens grant
// pull only cannot push (the registry denies, exit 2). Passwords never show.
import { chmod, mkdir, readFile, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { randomBytes } from 'node:crypto';
import { REGISTRY, SSH, buildBusyboxImage, labDocker, labSocket, pushImage, removeContainers } from '../support/lab.js';
import { ownRegistryGc } from '../support/ownRegistryGc.js';
import { pullOn, removeImages } from './steps-rollout.helpers.js';
import { startOwnRegistry, type OwnRegistry } from '../support/ownRegistry.js';
import { startTokenService, type TokenService } from '../support/tokenServer.js';
import { freshen, readReport, tempDir, writePlaybook } from './rollout.helpers.js';

const IDENTITY_TOKEN = 't-token-refresh-5e8d1c';
const USERS = {
  ci: { password: 't-token-ci-pw', actions: ['pull', 'push', 'delete'] },
  reader: { password: 't-token-reader-pw', actions: ['pull'] },
  // Logs in only with an identity token, as Docker Hub and ACR users do.
  oauth: { password: 't-token-oauth-unused-pw', actions: ['pull'], refreshToken: IDENTITY_TOKEN },
};

const TAG = 't-token';
const APP = 't-token-app';
const NONCE = randomBytes(4).toString('hex');
const build1 = labDocker('build1');
const web2 = labDocker('web2');
let dir: string;
let tokens: TokenService;
let registry: OwnRegistry;

const inventory = (user: keyof typeof USERS, registryName: string) =>
  writePlaybook(
    dir,
    `inventory-${user}-${registryName.replace(/\W/g, '')}.yml`,
    [
      'all:',
      '  hosts:',
      '    registry1:',
      `      registry: "${registryName}"`,
      `      registry_auth: { username: ${user}, password_env: T_TOKEN_PW }`,
      '',
    ].join('\n'),
  );
const run = (play: string, inv: string, json: string, user: keyof typeof USERS) =>
  freshen(['run', play, '-i', inv, '--json', join(dir, json)], join(dir, 'locks'), { T_TOKEN_PW: USERS[user].password });
const firstStep = async (json: string) => (await readReport(join(dir, json))).plays[0]!.hosts.registry1![0]!;

beforeAll(async () => {
  dir = await tempDir('t-token-');
  tokens = await startTokenService(dir, USERS);
  registry = await startOwnRegistry('t-token', {
    token: { realm: tokens.realm, service: tokens.service, issuer: tokens.issuer, rootcertbundle: tokens.certificate },
  });
}, 120_000);

afterAll(async () => {
  await removeContainers(web2, APP);
  await removeImages(web2, 't-token/app').catch(() => undefined);
  await removeImages(build1, 't-token/app').catch(() => undefined);
  await registry?.destroy();
  await tokens?.close();
});

describe('a registry behind a token service', () => {
  const mirrorInto = (name: string, user: keyof typeof USERS) =>
    writePlaybook(
      dir,
      `mirror-${user}.yml`,
      [
        '- name: Mirror',
        '  hosts: registry1',
        '  steps:',
        `    - backup: { to: { registry: "${name}", auth: { username: ${user}, password_env: T_TOKEN_PW } }, repositories: [upstream/os], tags: [stable] }`,
        '',
      ].join('\n'),
    );

  it('a user whose tokens grant pull only cannot push: the registry denies, exit 2', async () => {
    const r = await run(await mirrorInto(registry.name, 'reader'), await inventory('reader', REGISTRY), 'reader.json', 'reader');
    expect(r.code, r.stdout + r.stderr).toBe(2);
    // The registry's challenge lists the actions in no fixed order (it keeps them in a Go map).
    expect((await firstStep('reader.json')).reason).toMatch(
      new RegExp(
        `^registry ${registry.name} answered 401 Unauthorized to POST /v2/upstream/os/blobs/uploads/: user reader was not granted repository:upstream/os:(pull,push|push,pull)$`,
      ),
    );
    expect(tokens.requests.some((q) => q.user === 'reader' && /upstream\/os:[a-z,]*push/.test(q.scope) && !q.granted.includes('push'))).toBe(true);
  });

  it('backup mirrors into it with push tokens, and reads it back whole with pull tokens', async () => {
    const mirror = await run(await mirrorInto(registry.name, 'ci'), await inventory('ci', REGISTRY), 'mirror.json', 'ci');
    expect(mirror.code, mirror.stdout + mirror.stderr).toBe(0);
    expect((await firstStep('mirror.json')).status).toBe('changed');
    // The grant lists the actions in the order the registry's challenge asked for them, which is a Go map's.
    expect(tokens.requests.some((q) => q.user === 'ci' && /upstream\/os:(pull,push|push,pull)/.test(q.granted))).toBe(true);

    const layout = await writePlaybook(dir, 'layout.yml', '- name: Back up\n  hosts: registry1\n  steps:\n    - backup: { to: { oci_layout: layout } }\n');
    const back = await run(layout, await inventory('reader', registry.name), 'layout.json', 'reader');
    expect(back.code, back.stdout + back.stderr).toBe(0);
    const index = JSON.parse(await readFile(join(dir, 'layout/index.json'), 'utf8')) as { manifests: unknown[] };
    expect(index.manifests.length).toBeGreaterThan(0);
    for (const text of [mirror.stdout, mirror.stderr, back.stdout, back.stderr]) {
      expect(text).not.toContain(USERS.ci.password);
      expect(text).not.toContain(USERS.reader.password);
    }
  });

  it("the engines do token auth with freshen's credentials: build1 pushes a new build, pull on web2 fetches it", async () => {
    const ref = `${registry.name}/t-token/app:${TAG}`;
    const ci = { username: 'ci', password: USERS.ci.password };
    await buildBusyboxImage(build1, ref, {
      lines: [`LABEL t-token.version=1-${NONCE}`, 'CMD ["/bin/sh", "-c", "trap \'exit 0\' TERM; while true; do sleep 1; done"]'],
    });
    await pushImage(build1, ref, ci);
    await removeContainers(web2, APP);
    await pullOn(web2, ref, ci);
    await (await web2.createContainer({ name: APP, Image: ref, HostConfig: { NetworkMode: 'none' } })).start();
    const v2 = await buildBusyboxImage(build1, ref, {
      lines: [`LABEL t-token.version=2-${NONCE}`, 'CMD ["/bin/sh", "-c", "trap \'exit 0\' TERM; while true; do sleep 1; done"]'],
    });
    await pushImage(build1, ref, ci);
    const inv = await writePlaybook(
      dir,
      'inventory-web2.yml',
      [
        'all:',
        `  vars: { registry: "${registry.name}", rollout_tag: ${TAG}, registry_auth: { username: ci, password_env: T_TOKEN_PW } }`,
        `  hosts: { web2: { docker: { host: "unix://${labSocket('web2')}" } } }`,
        '',
      ].join('\n'),
    );
    const rollout = await writePlaybook(dir, 'rollout.yml', '- name: Roll out\n  hosts: web2\n  steps: [pull, stop, { start: { settle: 1s } }]\n');
    const r = await freshen(['run', rollout, '-i', inv], join(dir, 'locks'), { T_TOKEN_PW: USERS.ci.password });
    expect(r.code, r.stdout + r.stderr).toBe(0);
    expect((await web2.getContainer(APP).inspect()).Image).toBe(v2);
    expect(r.stdout + r.stderr).not.toContain(USERS.ci.password);
  });

  it('gc deletes a superseded build with delete-scoped tokens and sweeps over the lab sshd; the next gc has nothing to do', async () => {
    const old = `${registry.name}/t-token/app:20200101-0000`;
    const ci = { username: 'ci', password: USERS.ci.password };
    await buildBusyboxImage(build1, old, { lines: [`LABEL t-token.version=0-${NONCE}`] });
    await pushImage(build1, old, ci);
    const inv = await writePlaybook(
      dir,
      'inventory-gc.yml',
      JSON.stringify({
        all: {
          vars: { registry: registry.name, rollout_tag: TAG, registry_auth: { username: 'ci', password_env: 'T_TOKEN_PW' } },
          hosts: {
            web2: { docker: { host: `unix://${labSocket('web2')}` } },
            reg: {
              ssh: { host: SSH.host, port: SSH.port, user: SSH.user, identity_file: SSH.identityFile, known_hosts: SSH.knownHosts },
              registry_gc: ownRegistryGc(registry, 'readonly'),
            },
          },
        },
      }),
    );
    const play = await writePlaybook(dir, 'gc.yml', '- name: Tidy\n  hosts: reg\n  steps:\n    - gc: { keep: 0, push_wait: 0s }\n');
    const gc = (json: string) => freshen(['run', play, '-i', inv, '--json', join(dir, json)], join(dir, 'locks'), { T_TOKEN_PW: USERS.ci.password });
    const first = await gc('gc-1.json');
    expect(first.code, first.stdout + first.stderr).toBe(0);
    const step = (await readReport(join(dir, 'gc-1.json'))).plays[0]!.hosts.reg![0]!;
    expect(step.status).toBe('changed');
    expect(step.actions.join('\n')).toContain('20200101-0000');
    expect(tokens.requests.some((q) => q.user === 'ci' && /t-token\/app:[a-z,]*delete/.test(q.granted))).toBe(true);
    const again = await gc('gc-2.json');
    expect(again.code, again.stdout + again.stderr).toBe(0);
    expect((await readReport(join(dir, 'gc-2.json'))).plays[0]!.hosts.reg![0]!.status).toBe('ok');
    expect(first.stdout + first.stderr + again.stdout + again.stderr).not.toContain(USERS.ci.password);
  });

  it("an identity token from Docker's credential helper: freshen and the engine exchange it the OAuth2 way (POST, refresh_token)", async () => {
    // A helper that holds an identity token for this registry: Username "<token>", as docker login leaves it for OAuth registries.
    const configDir = join(dir, 'docker-oauth');
    await mkdir(configDir, { recursive: true });
    await writeFile(join(configDir, 'config.json'), JSON.stringify({ credHelpers: { [registry.name]: 't-oauth' } }));
    const helper = join(configDir, 'docker-credential-t-oauth');
    await writeFile(helper, `#!/bin/sh\nread -r server\nprintf '{"ServerURL":"%s","Username":"<token>","Secret":"${IDENTITY_TOKEN}"}' "$server"\n`);
    await chmod(helper, 0o755);
    const env = { DOCKER_CONFIG: configDir, PATH: `${configDir}:${process.env.PATH}` };
    const inv = await writePlaybook(
      dir,
      'inventory-oauth.yml',
      JSON.stringify({
        all: { vars: { registry: registry.name, rollout_tag: TAG }, hosts: { registry1: {}, web2: { docker: { host: `unix://${labSocket('web2')}` } } } },
      }),
    );
    const layout = await writePlaybook(
      dir,
      'layout-oauth.yml',
      '- name: Back up\n  hosts: registry1\n  steps:\n    - backup: { to: { oci_layout: layout-oauth } }\n',
    );
    const before = tokens.requests.length;
    const back = await freshen(['run', layout, '-i', inv, '--json', join(dir, 'oauth.json')], join(dir, 'locks'), env);
    expect(back.code, back.stdout + back.stderr).toBe(0);
    const index = JSON.parse(await readFile(join(dir, 'layout-oauth/index.json'), 'utf8')) as { manifests: unknown[] };
    expect(index.manifests.length).toBeGreaterThan(0);
    const exchanges = tokens.requests.slice(before);
    expect(exchanges.length).toBeGreaterThan(0);
    expect(exchanges.every((q) => q.grant === 'refresh_token' && q.user === 'oauth')).toBe(true);

    // The engine gets the identity token in X-Registry-Auth and does the same exchange for its pull.
    // A newer build, so web2's pull has something to fetch.
    const ref = `${registry.name}/t-token/app:${TAG}`;
    const v3 = await buildBusyboxImage(build1, ref, {
      lines: [`LABEL t-token.version=3-${NONCE}`, 'CMD ["/bin/sh", "-c", "trap \'exit 0\' TERM; while true; do sleep 1; done"]'],
    });
    await pushImage(build1, ref, { username: 'ci', password: USERS.ci.password });
    const fromEngine = tokens.requests.length;
    const pullPlay = await writePlaybook(dir, 'pull-oauth.yml', '- name: Pull\n  hosts: web2\n  steps: [pull]\n');
    const pulled = await freshen(['run', pullPlay, '-i', inv], join(dir, 'locks'), env);
    expect(pulled.code, pulled.stdout + pulled.stderr).toBe(0);
    expect((await web2.getImage(ref).inspect()).Id).toBe(v3);
    expect(tokens.requests.slice(fromEngine).some((q) => q.grant === 'refresh_token' && q.user === 'oauth')).toBe(true);
    for (const text of [back.stdout, back.stderr, pulled.stdout, pulled.stderr]) expect(text).not.toContain(IDENTITY_TOKEN);
  });

  it('wrong credentials are refused by the token service, and the message names the user only', async () => {
    const inv = await inventory('ci', registry.name);
    const layout = await writePlaybook(
      dir,
      'layout-bad.yml',
      '- name: Back up\n  hosts: registry1\n  steps:\n    - backup: { to: { oci_layout: layout-bad } }\n',
    );
    const r = await freshen(['run', layout, '-i', inv, '--json', join(dir, 'bad.json')], join(dir, 'locks'), { T_TOKEN_PW: 'not-the-password' });
    expect(r.code).toBe(2);
    expect((await firstStep('bad.json')).reason).toMatch(/token service of registry .* answered 401 Unauthorized to GET \/token/);
    expect(r.stdout + r.stderr).not.toContain('not-the-password');
  });
});
