// SSH settings at load time: an encrypted key's passphrase comes from passphrase_env or passphrase_file (never the inventory
// itself), is registered as a secret, and a missing source is a positioned diagnostic. The real sshds are in
// test/integration/ssh-access.test.ts.
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { formatDiagnostic } from '../../src/load/diagnostics.js';
import { loadInventory } from '../../src/load/inventory.js';
import { runSecrets } from '../../src/shared/secretText.js';

async function load(text: string, env: Record<string, string> = {}) {
  const dir = mkdtempSync(join(tmpdir(), 't-ssh-settings-'));
  writeFileSync(join(dir, 'inventory.yml'), text);
  writeFileSync(join(dir, 'passphrase'), 'from-a-file-pp\n');
  const result = await loadInventory(join(dir, 'inventory.yml'), { env });
  return { dir, result, diagnostics: result.diagnostics.map((d) => formatDiagnostic(d).split('\n')[0]!.replace(`${dir}/`, '')) };
}

describe('SSH passphrases and bastions in the inventory', () => {
  it('passphrase_env fills the passphrase of the endpoint and of its bastion, and registers it', async () => {
    const { result } = await load(
      'all:\n  hosts:\n    r:\n      ssh: { host: h, user: u, identity_file: k, passphrase_env: PP, jump: { host: b, user: u, identity_file: k, passphrase_file: passphrase } }\n',
      { PP: 'env-passphrase-1' },
    );
    const ssh = result.value!.hosts.get('r')!.vars.ssh as { passphrase: string; jump: { passphrase: string; identity_file: string } };
    expect(ssh.passphrase).toBe('env-passphrase-1');
    expect(ssh.jump.passphrase).toBe('from-a-file-pp');
    expect(ssh.jump.identity_file).toMatch(/^\/.*\/k$/);
    expect(runSecrets.redact('env-passphrase-1 from-a-file-pp')).toBe('*** ***');
  });

  it('a passphrase_env that is not set, or both sources at once: positioned errors', async () => {
    const unset = await load('all:\n  hosts:\n    r:\n      ssh: { host: h, user: u, passphrase_env: NOT_SET_PP }\n');
    expect(unset.diagnostics).toEqual([
      "inventory.yml:4:48: error: The environment variable NOT_SET_PP (the SSH key's passphrase_env) is not set; export it before running freshen",
    ]);
    const both = await load('all:\n  hosts:\n    r:\n      docker: { host: "ssh://u@h", passphrase_env: PP, passphrase_file: passphrase }\n', { PP: 'x' });
    expect(both.diagnostics).toEqual(['inventory.yml:4:56: error: Give the key passphrase one way: passphrase_env or passphrase_file, not both']);
  });
});
