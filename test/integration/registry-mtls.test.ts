// Mutual TLS against the real docker-registry serving https with http.tls.clientcas: a registry that accepts only clients
// whose certificate its CA signed. freshen mirrors the lab's upstream/os into it with backup's cert/key, then reads it as a
// host's own registry with registry_tls, and again with nothing in the inventory but Docker's certs.d layout. Without a
// client certificate the run is refused (exit 4) with a message that says what to give and where.
import { copyFile, mkdir, readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { REGISTRY } from '../support/lab.js';
import { makeCertificates } from '../support/certificates.js';
import { startOwnRegistry, type OwnRegistry } from '../support/ownRegistry.js';
import { freshen, readReport, tempDir, writePlaybook } from './rollout.helpers.js';

let dir: string;
let secure: OwnRegistry;
let certsDir: string;

const inventoryWith = (vars: string[]): Promise<string> =>
  writePlaybook(dir, `inventory-${vars.length}-${Date.now()}.yml`, ['all:', '  hosts:', '    registry1:', ...vars.map((v) => `      ${v}`), ''].join('\n'));
const run = (play: string, inventory: string, json: string) => freshen(['run', play, '-i', inventory, '--json', join(dir, json)], join(dir, 'locks'));
const firstStep = async (json: string) => (await readReport(join(dir, json))).plays[0]!.hosts.registry1![0]!;

beforeAll(async () => {
  dir = await tempDir('t-mtls-');
  await makeCertificates(dir, 't-mtls-client');
  secure = await startOwnRegistry('t-mtls', { tls: { certificate: join(dir, 'server.pem'), key: join(dir, 'server.key'), clientCa: join(dir, 'ca.pem') } });
  certsDir = join(dir, 'certs.d');
  await mkdir(join(certsDir, secure.name), { recursive: true });
  await copyFile(join(dir, 'ca.pem'), join(certsDir, secure.name, 'ca.crt'));
  await copyFile(join(dir, 'client.pem'), join(certsDir, secure.name, 'client.cert'));
  await copyFile(join(dir, 'client.key'), join(certsDir, secure.name, 'client.key'));
}, 120_000);

afterAll(async () => {
  await secure?.destroy();
});

describe('a registry that requires client certificates', () => {
  it("backup mirrors into it with the other registry's ca, cert and key", async () => {
    const inventory = await inventoryWith([`registry: "${REGISTRY}"`]);
    const play = await writePlaybook(
      dir,
      'mirror.yml',
      [
        '- name: Mirror into the mTLS registry',
        '  hosts: registry1',
        '  steps:',
        `    - backup: { to: { registry: "${secure.name}", ca: ${join(dir, 'ca.pem')}, cert: ${join(dir, 'client.pem')}, key: ${join(dir, 'client.key')} }, repositories: [upstream/os], tags: [stable] }`,
        '',
      ].join('\n'),
    );
    const r = await run(play, inventory, 'mirror.json');
    expect(r.code, r.stdout + r.stderr).toBe(0);
    expect((await firstStep('mirror.json')).status).toBe('changed');
  });

  const toLayout = (name: string) =>
    writePlaybook(dir, `${name}.yml`, `- name: Back up\n  hosts: registry1\n  steps:\n    - backup: { to: { oci_layout: ${name} } }\n`);

  it('as a host registry with registry_tls: read whole', async () => {
    const inventory = await inventoryWith([
      `registry: "${secure.name}"`,
      `registry_tls: { ca: ${join(dir, 'ca.pem')}, cert: ${join(dir, 'client.pem')}, key: ${join(dir, 'client.key')} }`,
    ]);
    const r = await run(await toLayout('layout-tls'), inventory, 'tls.json');
    expect(r.code, r.stdout + r.stderr).toBe(0);
    const index = JSON.parse(await readFile(join(dir, 'layout-tls/index.json'), 'utf8')) as { manifests: unknown[] };
    expect(index.manifests.length).toBeGreaterThan(0);
  });

  it("with nothing in the inventory but Docker's certs.d directory", async () => {
    const inventory = await inventoryWith([`registry: "${secure.name}"`, `registry_url: "${secure.url}"`, `registry_certs_dir: ${certsDir}`]);
    const r = await run(await toLayout('layout-certsd'), inventory, 'certsd.json');
    expect(r.code, r.stdout + r.stderr).toBe(0);
    expect((await firstStep('certsd.json')).status).toBe('changed');
  });

  it('without a client certificate: refused, saying what to give and where (exit 4)', async () => {
    const inventory = await inventoryWith([
      `registry: "${secure.name}"`,
      `registry_tls: { ca: ${join(dir, 'ca.pem')} }`,
      `registry_certs_dir: ${join(dir, 'none')}`,
    ]);
    const r = await run(await toLayout('layout-none'), inventory, 'none.json');
    expect(r.code).toBe(4);
    const step = await firstStep('none.json');
    expect(step).toMatchObject({ status: 'unreachable', code: 'tls-error' });
    expect(step.reason).toMatch(
      new RegExp(
        `^registry ${secure.name} at https://${secure.name} failed the TLS handshake \\([A-Z0-9_]+\\): it asks for a client certificate: give registry_tls \\{cert, key\\}, or put client\\.cert and client\\.key in ${join(dir, 'none', secure.name)}/$`,
      ),
    );
  });
});
