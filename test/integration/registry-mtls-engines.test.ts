// Mutual TLS the whole way round: the real docker-registry serving https with http.tls.clientcas, listening inside a
// network namespace of the test's own (198.18.77.2, not loopback: Docker treats 127.0.0.0/8 as insecure and then never
// reads certs.d). freshen reaches it with registry_tls; the lab's engines with Docker's own /etc/docker/certs.d/HOST:PORT/.
// Without that directory build1 cannot pull the base and the run says so; with it, one playbook rebuilds and pushes on
// build1, pulls and replaces on web2, and gc deletes the superseded build and sweeps over the lab sshd.
import { randomBytes } from 'node:crypto';
import { referrerTagSubject } from '../../src/adapters/referrerFormats.js';
import { copyFile, mkdir, rm, writeFile } from 'node:fs/promises';
import { request } from 'node:https';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { REGISTRY, SSH, labDocker, labSocket, removeContainers } from '../support/lab.js';
import { makeCertificates } from '../support/certificates.js';
import { createNetns, type Netns } from '../support/netns.js';
import { startOwnRegistry, type OwnRegistry } from '../support/ownRegistry.js';
import { ownRegistryGc } from '../support/ownRegistryGc.js';
import { pullOn, removeImages } from './steps-rollout.helpers.js';
import { freshen, readReport, tempDir, writePlaybook } from './rollout.helpers.js';

const TAG = 't-mtls';
const REPO = 't-mtls/app';
const APP = 't-mtls-app';
const NONCE = randomBytes(4).toString('hex');
const build1 = labDocker('build1');
const web2 = labDocker('web2');
let dir: string;
let netns: Netns;
let secure: OwnRegistry;
/** The engines' certs.d entry for the registry (Docker's fixed path for a root dockerd). */
let engineCerts: string;

/** GET over mutual TLS, as a client the registry trusts: status and parsed body. */
function secureGet(path: string): Promise<{ status: number; body: unknown }> {
  const [host, port] = secure.name.split(':');
  return new Promise((resolve, reject) => {
    request(
      {
        host,
        port,
        path,
        ca: readFileSync(join(dir, 'ca.pem')),
        cert: readFileSync(join(dir, 'client.pem')),
        key: readFileSync(join(dir, 'client.key')),
      },
      (response) => {
        const chunks: Buffer[] = [];
        response.on('data', (c: Buffer) => chunks.push(c));
        response.on('end', () => {
          const text = Buffer.concat(chunks).toString('utf8');
          resolve({ status: response.statusCode ?? 0, body: text.startsWith('{') ? JSON.parse(text) : text });
        });
      },
    )
      .on('error', reject)
      .end();
  });
}

const allTags = async (): Promise<string[]> => ((await secureGet(`/v2/${REPO}/tags/list`)).body as { tags?: string[] }).tags ?? [];
/** Tags of images only: each build's SBOM has two more (sha256-<hex>, sha256-<hex>.sbom). */
const tags = async (): Promise<string[]> => (await allTags()).filter((t) => referrerTagSubject(t) === undefined);

/** The Dockerfile of t-mtls/app, built FROM the base that lives in the mTLS registry. */
const writeApp = (version: number): Promise<void> =>
  writeFile(
    join(dir, 'tree', REPO, 'Dockerfile'),
    [
      `FROM ${secure.name}/upstream/os:stable`,
      `LABEL t-mtls.version=${version}-${NONCE}`,
      'CMD ["/bin/sh", "-c", "trap \'exit 0\' TERM; while true; do sleep 1; done"]',
      '',
    ].join('\n'),
  );

/** The inventory, as JSON (which is YAML): build1 builds, web2 runs the app, reg sweeps the registry over the lab sshd. */
const writeInventory = (): Promise<string> =>
  writePlaybook(
    dir,
    'inventory.yml',
    JSON.stringify({
      all: {
        vars: {
          registry: secure.name,
          rollout_tag: TAG,
          registry_tls: { ca: join(dir, 'ca.pem'), cert: join(dir, 'client.pem'), key: join(dir, 'client.key') },
        },
        children: {
          builders: { hosts: { build1: { docker: { host: `unix://${labSocket('build1')}` } } } },
          web: { hosts: { web2: { docker: { host: `unix://${labSocket('web2')}` } } } },
          registries: {
            hosts: {
              reg: {
                ssh: { host: SSH.host, port: SSH.port, user: SSH.user, identity_file: SSH.identityFile, known_hosts: SSH.knownHosts },
                registry_gc: ownRegistryGc(secure, 'readonly'),
              },
            },
          },
        },
      },
    }),
  );

const PLAYBOOK = [
  '- name: Rebuild',
  '  hosts: builders',
  '  steps:',
  '    - discover: { root: tree, include_unpublished: true }',
  '    - rebuild',
  '    - push',
  '- name: Roll out',
  '  hosts: web',
  '  steps: [pull, stop, { start: { settle: 1s } }]',
  '- name: Tidy',
  '  hosts: registries',
  '  steps:',
  '    - gc: { keep: 1, push_wait: 0s }',
  '',
].join('\n');

const run = async (json: string) =>
  freshen(['run', await writePlaybook(dir, 'freshen.yml', PLAYBOOK), '-i', await writeInventory(), '--json', join(dir, json)], join(dir, 'locks'));

beforeAll(async () => {
  dir = await tempDir('t-mtls-engines-');
  netns = await createNetns('t-mtls', 77);
  await makeCertificates(dir, 't-mtls-client', netns.address);
  secure = await startOwnRegistry('t-mtls-e', {
    tls: { certificate: join(dir, 'server.pem'), key: join(dir, 'server.key'), clientCa: join(dir, 'ca.pem') },
    netns: { name: netns.name, address: netns.address },
  });
  engineCerts = join('/etc/docker/certs.d', secure.name);
  await rm(engineCerts, { recursive: true, force: true });
  await mkdir(join(dir, 'tree', REPO), { recursive: true });
  await writeApp(1);
}, 120_000);

afterAll(async () => {
  await removeContainers(web2, APP);
  for (const docker of [build1, web2]) {
    await removeImages(docker, REPO).catch(() => undefined);
    await removeImages(docker, 'upstream/os').catch(() => undefined);
  }
  if (engineCerts) await rm(engineCerts, { recursive: true, force: true });
  await secure?.destroy();
  await netns?.destroy();
});

describe('mutual TLS from freshen and from the engines (registry outside loopback)', () => {
  it("freshen mirrors the base into it with backup's ca, cert and key", async () => {
    const tls = `ca: ${join(dir, 'ca.pem')}, cert: ${join(dir, 'client.pem')}, key: ${join(dir, 'client.key')}`;
    const play = await writePlaybook(
      dir,
      'mirror.yml',
      `- name: Mirror\n  hosts: reg\n  steps:\n    - backup: { to: { registry: "${secure.name}", ${tls} }, repositories: [upstream/os], tags: [stable] }\n`,
    );
    const inventory = await writePlaybook(dir, 'mirror-inventory.yml', JSON.stringify({ all: { vars: { registry: REGISTRY }, hosts: { reg: {} } } }));
    const r = await freshen(['run', play, '-i', inventory], join(dir, 'locks'));
    expect(r.code, r.stdout + r.stderr).toBe(0);
    expect((await secureGet('/v2/upstream/os/tags/list')).body).toMatchObject({ tags: ['stable'] });
  });

  it('without certs.d for the registry, the engine cannot pull the base: the rebuild fails and says why', async () => {
    const r = await run('no-certs.json');
    expect(r.code).not.toBe(0);
    const report = await readReport(join(dir, 'no-certs.json'));
    const rebuild = report.plays[0]!.hosts.build1!.find((s) => s.step === 'rebuild')!;
    expect(rebuild.status).toBe('failed');
    expect(rebuild.reason).toContain('x509: certificate signed by unknown authority');
    expect(rebuild.reason).toContain(`the engine does not trust registry ${secure.name}: on the engine's host, put ca.crt in ${engineCerts}/`);
    expect(await tags()).toEqual([]);
  });

  it('with only the CA in certs.d, the registry refuses the engine for want of a client certificate', async () => {
    await mkdir(engineCerts, { recursive: true });
    await copyFile(join(dir, 'ca.pem'), join(engineCerts, 'ca.crt'));
    const r = await run('ca-only.json');
    expect(r.code).not.toBe(0);
    const rebuild = (await readReport(join(dir, 'ca-only.json'))).plays[0]!.hosts.build1!.find((s) => s.step === 'rebuild')!;
    expect(rebuild.status).toBe('failed');
    expect(rebuild.reason).toContain(`put client.cert and client.key (and ca.crt for a private CA) in ${engineCerts}/`);
    expect(await tags()).toEqual([]);
  });

  it("with Docker's certs.d: build1 pushes through the engine, web2 pulls and is replaced, gc deletes and sweeps", async () => {
    await copyFile(join(dir, 'client.pem'), join(engineCerts, 'client.cert'));
    await copyFile(join(dir, 'client.key'), join(engineCerts, 'client.key'));

    const first = await run('first.json');
    expect(first.code, first.stdout + first.stderr).toBe(0);
    const built = (await tags()).filter((t) => t !== TAG);
    expect(built).toHaveLength(1);
    // push attached the build's SBOM over the same mutual TLS.
    expect((await allTags()).filter((t) => referrerTagSubject(t) !== undefined)).toHaveLength(2);
    // A container of that build on web2, pulled by web2's engine over mutual TLS.
    const ref = `${secure.name}/${REPO}:${TAG}`;
    await pullOn(web2, ref);
    await removeContainers(web2, APP);
    await (await web2.createContainer({ name: APP, Image: ref, HostConfig: { NetworkMode: 'none' } })).start();

    await writeApp(2);
    const second = await run('second.json');
    expect(second.code, second.stdout + second.stderr).toBe(0);
    const report = await readReport(join(dir, 'second.json'));
    const statuses = (host: string, play: number) => Object.fromEntries(report.plays[play]!.hosts[host]!.map((s) => [s.step, s.status]));
    expect(statuses('build1', 0)).toMatchObject({ discover: 'ok', rebuild: 'changed', push: 'changed' });
    expect(statuses('web2', 1)).toMatchObject({ pull: 'changed', stop: 'changed', start: 'changed' });
    expect(statuses('reg', 2)).toMatchObject({ gc: 'changed' });
    const now = (await tags()).filter((t) => t !== TAG);
    expect(now).toHaveLength(1);
    expect(now).not.toContain(built[0]);
    // gc took the SBOM of the build it deleted with it: only the kept build's two remain.
    expect((await allTags()).filter((t) => referrerTagSubject(t) !== undefined)).toHaveLength(2);
    const running = await web2.getContainer(APP).inspect();
    expect(running.State.Running).toBe(true);
    expect(running.Config.Labels?.['t-mtls.version']).toBe(`2-${NONCE}`);
  });
});
