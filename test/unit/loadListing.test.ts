import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { loadInventory } from '../../src/load/inventory.js';
import { inventoryListing } from '../../src/load/listing.js';
import { redactSecrets } from '../../src/load/secrets.js';

describe('redactSecrets', () => {
  it('hides every value under a password, secret or token key, at any depth, shows where a secret is kept, and copies the rest', () => {
    const vars = {
      registry: 'r:5000',
      registry_auth: { username: 'u', password: 'p', password_env: 'REG_PW', password_file: '/etc/pw' },
      app: { API_TOKEN: 'x', client_secret: { nested: 'y' }, list: [{ db_password: 'z', port: 5432 }] },
    };
    const redacted = redactSecrets(vars);
    expect(redacted).toEqual({
      registry: 'r:5000',
      registry_auth: { username: 'u', password: '<redacted>', password_env: 'REG_PW', password_file: '/etc/pw' },
      app: { API_TOKEN: '<redacted>', client_secret: '<redacted>', list: [{ db_password: '<redacted>', port: 5432 }] },
    });
    expect(vars.registry_auth.password).toBe('p'); // the original is untouched
  });
});

describe('inventoryListing', () => {
  let dir: string;
  beforeAll(async () => {
    dir = await mkdtemp(path.join(tmpdir(), 't-load-listing-'));
  });
  afterAll(async () => {
    await rm(dir, { recursive: true, force: true });
  });

  it('has the ansible-inventory --list shape, with merged host variables and secrets redacted', async () => {
    const file = path.join(dir, 'inventory.yml');
    await writeFile(
      file,
      `all:
  vars:
    registry: 127.0.0.1:5055
    registry_auth: { username: freshen, password_env: LISTING_PW }
  hosts:
    loner:
  children:
    web:
      vars: { tier: web }
      hosts:
        web1: { docker: { host: unix:///tmp/w1.sock } }
      children:
        canary:
          hosts:
            web2:
`,
    );
    const loaded = await loadInventory(file, { env: { LISTING_PW: 'very-secret' } });
    expect(loaded.diagnostics).toEqual([]);
    const listing = inventoryListing(loaded.value!);
    const auth = { username: 'freshen', password_env: 'LISTING_PW', password: '<redacted>' };
    expect(listing).toEqual({
      _meta: {
        hostvars: {
          loner: { registry: '127.0.0.1:5055', registry_auth: auth },
          web1: { registry: '127.0.0.1:5055', registry_auth: auth, tier: 'web', docker: { host: 'unix:///tmp/w1.sock' } },
          web2: { registry: '127.0.0.1:5055', registry_auth: auth, tier: 'web' },
        },
      },
      all: { children: ['web', 'ungrouped'], vars: { registry: '127.0.0.1:5055', registry_auth: auth } },
      web: { hosts: ['web1'], children: ['canary'], vars: { tier: 'web' } },
      canary: { hosts: ['web2'] },
      ungrouped: { hosts: ['loner'] },
    });
    expect(JSON.stringify(listing)).not.toContain('very-secret');
  });
});
