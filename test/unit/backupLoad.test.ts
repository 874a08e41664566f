// How the loader words mistakes in a backup step (schema and rules), and that a correct one loads.
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { formatDiagnostic } from '../../src/load/diagnostics.js';
import { loadInventory } from '../../src/load/inventory.js';
import { loadPlaybook } from '../../src/load/playbook.js';
import type { Inventory } from '../../src/model/inventory.js';

let root: string;
let inventory: Inventory;

beforeAll(async () => {
  root = await mkdtemp(path.join(tmpdir(), 't-backup-load-'));
  await writeFile(
    path.join(root, 'inventory.yml'),
    'all:\n  children:\n    registries:\n      hosts:\n        registry1: { registry: 127.0.0.1:5055 }\n        bare1: {}\n',
  );
  inventory = (await loadInventory(path.join(root, 'inventory.yml'))).value!;
});
afterAll(async () => {
  await rm(root, { recursive: true, force: true });
});

async function load(steps: string, hosts = 'registry1', env: Record<string, string> = { MIRROR_PW: 'mirror-secret' }): Promise<string[]> {
  const file = path.join(root, 'playbook.yml');
  await writeFile(file, `- name: Back up\n  hosts: ${hosts}\n  steps:\n    - backup: ${steps}\n`);
  const result = await loadPlaybook(file, inventory, { env });
  return result.diagnostics.map((d) => formatDiagnostic(d).replaceAll(file, 'playbook.yml').split('\n')[0]!);
}

describe('the backup step in a playbook', () => {
  it.each([
    ['{ to: { oci_layout: ../backups }, repositories: ["team/*"], tags: [prod] }'],
    ['{ to: { registry: "mirror:5000", url: "https://mirror:5000", auth: { username: u, password_env: MIRROR_PW } }, chunk_size: 1048576 }'],
    ['{ from: { oci_layout: ../backups } }'],
  ])('loads %s', async (steps) => {
    expect(await load(steps)).toEqual([]);
  });

  it('refuses, at its position, a password_env that is not set, naming the end it belongs to', async () => {
    expect(await load('{ from: { registry: "mirror:5000", auth: { username: u, password_env: MIRROR_PW } } }', 'registry1', {})).toEqual([
      'playbook.yml:4:85: error: backup: the environment variable MIRROR_PW (from.auth.password_env) is not set',
    ]);
  });

  it.each([
    ['{}', /error: .*"to"/],
    [
      '{ to: { oci_layout: a }, from: { oci_layout: b } }',
      /playbook.yml:4:46: error: The backup step takes one of "to" \(copy the host's registry out\) or "from" \(copy into it\), not both/,
    ],
    ['{ to: { oci_layout: a, registry: "m:1" } }', /playbook.yml:4:35: error: The backup step's "to" is a registry or an OCI layout, not both/],
    ['{ to: { s3: bucket } }', /error: .*s3/],
    ['{ to: { oci_layout: a }, chunk_size: 0 }', /error: .*chunk_size|error: .*1/],
  ])('refuses %s', async (steps, message) => {
    const diagnostics = await load(steps);
    expect(diagnostics.length).toBeGreaterThan(0);
    expect(diagnostics.join('\n')).toMatch(message);
  });

  it('needs the registry variable on its hosts', async () => {
    expect((await load('{ to: { oci_layout: a } }', 'bare1')).join('\n')).toMatch(/The backup step needs the "registry" variable/);
  });
});
