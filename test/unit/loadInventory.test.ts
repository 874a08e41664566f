import { mkdir, mkdtemp, rm, writeFile } from 'node:fs/promises';
import { homedir, tmpdir } from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { formatDiagnostic } from '../../src/load/diagnostics.js';
import { loadInventory } from '../../src/load/inventory.js';
import { registrySettings, type Inventory } from '../../src/model/inventory.js';

let root: string;
beforeAll(async () => {
  root = await mkdtemp(path.join(tmpdir(), 't-load-inventory-'));
});
afterAll(async () => {
  await rm(root, { recursive: true, force: true });
});

/** Writes `files` into a fresh directory under the temp root; returns that directory. */
async function writeFiles(name: string, files: Record<string, string>): Promise<string> {
  const dir = path.join(root, name.replace(/\W+/g, '-'));
  for (const [file, text] of Object.entries(files)) {
    await mkdir(path.dirname(path.join(dir, file)), { recursive: true });
    await writeFile(path.join(dir, file), text);
  }
  return dir;
}

const ENV = { REGISTRY_PASSWORD: 's3cret-from-env' };

describe('loadInventory: a valid inventory', () => {
  const text = `# A production-shaped inventory
all:
  vars:
    registry: registry.example.org:5000
    rollout_tag: prod
    tier: all
    registry_auth: { username: freshen, password_env: REGISTRY_PASSWORD }
  hosts:
    lonely:
  children:
    registries:
      hosts:
        registry1:
          ssh: { host: registry.example.org, user: admin, identity_file: ~/.ssh/id_ed25519, known_hosts: keys/known_hosts }
          registry_gc: { command: registry garbage-collect /etc/docker/registry/config.yml }
          registry_auth: { username: admin, password_file: secrets/registry-password }
    web:
      vars:
        tier: web
        registry_ca: certs/ca.pem
      hosts:
        web2: { docker: { host: ssh://deploy@web2.example.org } }
        web3:
          docker:
            host: tcp://web3.example.org:2376
            tls: { ca: certs/ca.pem, cert: /etc/freshen/cert.pem, key: certs/key.pem }
      children:
        canary:
          vars:
            tier: canary
          hosts:
            web1: { docker: { host: unix:///var/run/docker.sock }, tier: web1-own }
    edge:
      hosts:
        web3:
        web2: { docker: { host: ssh://deploy@web2.example.org } }
`;
  let inventory: Inventory;
  let dir: string;
  beforeAll(async () => {
    dir = await writeFiles('valid', { 'inventory.yml': text, 'secrets/registry-password': 'from-file\n' });
    const result = await loadInventory(path.join(dir, 'inventory.yml'), { env: ENV, extraVars: { rollout_tag: 'canary-tag' } });
    expect(result.diagnostics.map(formatDiagnostic)).toEqual([]);
    inventory = result.value!;
  });

  it('lists hosts in the order they first appear in the file', () => {
    expect([...inventory.hosts.keys()]).toEqual(['lonely', 'registry1', 'web2', 'web3', 'web1']);
  });

  it('records groups with their direct hosts and children', () => {
    // A host in no group but all is in ungrouped, as Ansible puts it.
    expect([...inventory.groups.keys()]).toEqual(['all', 'registries', 'web', 'canary', 'edge', 'ungrouped']);
    expect(inventory.groups.get('all')).toMatchObject({ hosts: ['lonely'], children: ['registries', 'web', 'edge', 'ungrouped'] });
    expect(inventory.groups.get('ungrouped')).toMatchObject({ hosts: ['lonely'], children: [] });
    expect(inventory.groups.get('web')).toMatchObject({ hosts: ['web2', 'web3'], children: ['canary'], vars: { tier: 'web' } });
    expect(inventory.groups.get('edge')).toMatchObject({ hosts: ['web3', 'web2'], children: [] });
  });

  it('gives each host its groups: all first, then by depth, then by name, ancestors included', () => {
    expect(inventory.hosts.get('lonely')!.groups).toEqual(['all', 'ungrouped']);
    expect(inventory.hosts.get('web1')!.groups).toEqual(['all', 'web', 'canary']);
    expect(inventory.hosts.get('web3')!.groups).toEqual(['all', 'edge', 'web']);
  });

  it('merges variables: all < parent group < child group < host < extra vars', () => {
    expect(inventory.hosts.get('lonely')!.vars.tier).toBe('all');
    expect(inventory.hosts.get('web2')!.vars.tier).toBe('web');
    expect(inventory.hosts.get('web1')!.vars.tier).toBe('web1-own');
    expect(inventory.hosts.get('web1')!.vars.rollout_tag).toBe('canary-tag');
    expect(inventory.hosts.get('lonely')!.vars.rollout_tag).toBe('canary-tag');
  });

  it('resolves relative paths against the inventory directory and ~ against the home directory', () => {
    expect(inventory.hosts.get('web3')!.vars.docker).toEqual({
      host: 'tcp://web3.example.org:2376',
      tls: { ca: path.join(dir, 'certs/ca.pem'), cert: '/etc/freshen/cert.pem', key: path.join(dir, 'certs/key.pem') },
    });
    expect(inventory.hosts.get('registry1')!.vars.ssh).toEqual({
      host: 'registry.example.org',
      user: 'admin',
      identity_file: path.join(homedir(), '.ssh/id_ed25519'),
      known_hosts: path.join(dir, 'keys/known_hosts'),
    });
    expect(inventory.hosts.get('web1')!.vars.registry_ca).toBe(path.join(dir, 'certs/ca.pem'));
  });

  it('resolves registry passwords from the environment and from files', () => {
    expect(registrySettings(inventory.hosts.get('web1')!.vars)?.auth).toEqual({ username: 'freshen', password: 's3cret-from-env' });
    expect(registrySettings(inventory.hosts.get('registry1')!.vars)?.auth).toEqual({ username: 'admin', password: 'from-file' });
  });

  it('keeps one copy of variables per host, so changing one host does not change another', () => {
    const auth = inventory.hosts.get('web1')!.vars.registry_auth as Record<string, unknown>;
    // Put back afterwards: the other cases read the same inventory, in whatever order they run.
    try {
      auth.username = 'changed';
      expect((inventory.hosts.get('web2')!.vars.registry_auth as Record<string, unknown>).username).toBe('freshen');
    } finally {
      auth.username = 'freshen';
    }
  });

  it('accepts a host listed again with no variables, or with the same ones', () => {
    expect(inventory.hosts.get('web3')!.vars.docker).toMatchObject({ host: 'tcp://web3.example.org:2376' });
    expect(inventory.hosts.get('web2')!.vars.docker).toEqual({ host: 'ssh://deploy@web2.example.org' });
  });
});

describe('loadInventory: invalid inventories', () => {
  it.each([
    {
      name: 'an empty file',
      input: '',
      diagnostics: ['inventory.yml:1:1: error: The inventory must be a map whose only top-level key is all, not empty\n  1 | \n    | ^'],
    },
    {
      name: 'a group at the top whose name host patterns cannot hold',
      input: 'all:\n  hosts: {a: }\n"web:1":\n  hosts: {b: }\n',
      diagnostics: [
        'inventory.yml:3:1: error: Group name "web:1" cannot contain spaces or any of : , & ! * ? [ ] ~, because host patterns use them\n  3 | "web:1":\n    | ^^^^^^^',
      ],
    },
    {
      name: 'a misspelt group key, with a suggestion',
      input: 'all:\n  children:\n    web:\n      hots:\n        web1:\n',
      diagnostics: ['inventory.yml:4:7: error: Unknown key "hots" in group "web"; did you mean "hosts"?\n  4 |       hots:\n    |       ^^^^'],
    },
    {
      name: 'an unknown group key without a close match',
      input: 'all:\n  servers: {}\n',
      diagnostics: [
        'inventory.yml:2:3: error: Unknown key "servers" in group "all"; expected "vars", "hosts", "children"\n  2 |   servers: {}\n    |   ^^^^^^^',
      ],
    },
    {
      name: 'the registry written as a URL',
      input: 'all:\n  vars:\n    registry: https://registry.example.org\n',
      diagnostics: [
        'inventory.yml:3:15: error: "registry" must be a registry name, host or host:port, with no scheme or path, not "https://registry.example.org"; for example: registry: registry.example.org:5000\n  3 |     registry: https://registry.example.org\n    |               ^^^^^^^^^^^^^^^^^^^^^^^^^^^^',
      ],
    },
    {
      name: 'the registry written as a map (the design sketch shape)',
      input: 'all:\n  hosts:\n    r1:\n      registry: { url: "https://r:5000" }\n',
      diagnostics: [
        'inventory.yml:4:17: error: "registry" must be a registry name, host or host:port, with no scheme or path, not a map; for example: registry: registry.example.org:5000\n  4 |       registry: { url: "https://r:5000" }\n    |                 ^^^^^^^^^^^^^^^^^^^^^^^^^',
      ],
    },
    {
      name: 'a docker address without a scheme, and docker settings without host',
      input: 'all:\n  hosts:\n    web1: { docker: { host: web1:2376 } }\n    web2: { docker: { socket: /run/docker.sock } }\n',
      diagnostics: [
        'inventory.yml: error: Host "web2" has docker settings but no docker.host; give docker.host, or Ansible\'s ansible_host/ansible_user for an engine reached over SSH',
        'inventory.yml:3:29: error: "host" must be a Docker address: unix:///path/to/docker.sock, tcp://host:port or ssh://[user@]host, not "web1:2376"; for example: host: unix:///var/run/docker.sock\n  3 |     web1: { docker: { host: web1:2376 } }\n    |                             ^^^^^^^^^',
      ],
    },
    {
      name: 'a tcp:// engine without TLS (plain text, the registry password included), unless tls: false says so',
      input:
        'all:\n  hosts:\n    web1: { docker: { host: "tcp://web1:2375" } }\n    web2: { docker: { host: "tcp://web2:2375", tls: {} } }\n    web3: { docker: { host: "tcp://web3:2375", tls: false } }\n',
      diagnostics: [
        'inventory.yml:3:29: error: A tcp:// Docker engine without TLS is plain text on the wire, the registry password included; give docker.tls {ca, cert, key}, or tls: false to accept plain text on a network you trust\n  3 |     web1: { docker: { host: "tcp://web1:2375" } }\n    |                             ^^^^^^^^^^^^^^^^^',
        'inventory.yml:4:29: error: A tcp:// Docker engine without TLS is plain text on the wire, the registry password included; give docker.tls {ca, cert, key}, or tls: false to accept plain text on a network you trust\n  4 |     web2: { docker: { host: "tcp://web2:2375", tls: {} } }\n    |                             ^^^^^^^^^^^^^^^^^',
      ],
    },
    {
      name: 'an ssh port that is not a number, and an unknown ssh key',
      input: 'all:\n  hosts:\n    r1:\n      ssh: { host: r, user: u, port: twenty-two, identity: k }\n',
      diagnostics: [
        'inventory.yml:4:38: error: "port" must be a whole number, not "twenty-two"; for example: port: 22\n  4 |       ssh: { host: r, user: u, port: twenty-two, identity: k }\n    |                                      ^^^^^^^^^^',
        'inventory.yml:4:50: error: Unknown key "identity" in "ssh"; expected "host", "port", "user", "identity_file", "passphrase_env", "passphrase_file", "jump", "known_hosts"\n  4 |       ssh: { host: r, user: u, port: twenty-two, identity: k }\n    |                                                  ^^^^^^^^',
      ],
    },
    {
      name: 'a host entry that is not a map',
      input: 'all:\n  hosts:\n    web1: unix:///var/run/docker.sock\n',
      diagnostics: [
        'inventory.yml:3:11: error: "web1" must be a map of variables, not "unix:///var/run/docker.sock"\n  3 |     web1: unix:///var/run/docker.sock\n    |           ^^^^^^^^^^^^^^^^^^^^^^^^^^^',
      ],
    },
    {
      name: 'a host name with a pattern character',
      input: 'all:\n  hosts:\n    "web*1":\n',
      diagnostics: [
        'inventory.yml:3:5: error: Host name "web*1" cannot contain spaces or any of , & ! * ? ~, because host patterns use them ([a:b] ranges and :port are allowed)\n  3 |     "web*1":\n    |     ^^^^^^^',
      ],
    },
    {
      name: 'the same host with different settings in two groups',
      input:
        'all:\n  children:\n    web:\n      hosts:\n        web1: { docker: { host: unix:///a.sock } }\n    canary:\n      hosts:\n        web1: { docker: { host: unix:///b.sock } }\n',
      diagnostics: [
        'inventory.yml:8:17: error: Host "web1" already sets "docker" differently on line 5; give a host its variables in one place and list it elsewhere with none ("web1:")\n  8 |         web1: { docker: { host: unix:///b.sock } }\n    |                 ^^^^^^',
      ],
    },
    {
      name: 'a group defined twice with conflicting vars',
      input: 'all:\n  children:\n    a:\n      children:\n        web: { vars: { tier: one } }\n    web:\n      vars: { tier: two }\n',
      diagnostics: [
        'inventory.yml:7:15: error: Group "web" already sets "tier" to something else on line 5; set a group\'s variable in one place\n  7 |       vars: { tier: two }\n    |               ^^^^',
      ],
    },
    {
      name: 'a group that contains itself, and all as a child',
      input: 'all:\n  children:\n    a:\n      children:\n        b:\n          children:\n            a:\n            all:\n',
      diagnostics: [
        'inventory.yml:7:13: error: Group "a" contains itself (a → b → a); remove "a" from the children of "b"\n  7 |             a:\n    |             ^',
        'inventory.yml:8:13: error: "all" cannot be a child group: every host is in all already\n  8 |             all:\n    |             ^^^',
      ],
    },
    {
      name: 'a name used for a group and a host (a warning; the inventory still loads)',
      input: 'all:\n  hosts:\n    web:\n  children:\n    web:\n      hosts: {web1: }\n',
      diagnostics: [
        'inventory.yml:3:5: warning: "web" is both a group and a host, so a host pattern naming it means both; rename one of them\n  3 |     web:\n    |     ^^^',
      ],
    },
    {
      name: 'a password environment variable that is not set',
      input: 'all:\n  vars:\n    registry_auth: { username: u, password_env: FRESHEN_TEST_UNSET_PASSWORD }\n',
      diagnostics: [
        'inventory.yml:3:49: error: The environment variable FRESHEN_TEST_UNSET_PASSWORD (registry_auth.password_env) is not set; export it before running freshen, or use password_file\n  3 |     registry_auth: { username: u, password_env: FRESHEN_TEST_UNSET_PASSWORD }\n    |                                                 ^^^^^^^^^^^^^^^^^^^^^^^^^^^',
      ],
    },
    {
      name: 'a password file that does not exist',
      input: 'all:\n  vars:\n    registry_auth: { username: u, password_file: nope.txt }\n',
      diagnostics: [
        'inventory.yml:3:50: error: Cannot read the password file "nope.txt" (registry_auth.password_file): it does not exist; looked for DIR/nope.txt\n  3 |     registry_auth: { username: u, password_file: nope.txt }\n    |                                                  ^^^^^^^^',
      ],
    },
    {
      name: 'registry_auth with two password sources, and one with none',
      input:
        'all:\n  hosts:\n    a: { registry_auth: { username: u, password: p, password_env: REGISTRY_PASSWORD } }\n    b: { registry_auth: { username: u } }\n',
      diagnostics: [
        'inventory.yml:3:53: error: "registry_auth" has both "password" and "password_env"; keep exactly one password source\n  3 |     a: { registry_auth: { username: u, password: p, password_env: REGISTRY_PASSWORD } }\n    |                                                     ^^^^^^^^^^^^',
        'inventory.yml:4:10: error: "registry_auth" has no password; add password_env: NAME (an environment variable holding it), password_file: PATH, or password\n  4 |     b: { registry_auth: { username: u } }\n    |          ^^^^^^^^^^^^^',
      ],
    },
    {
      name: 'every problem at once, in file order',
      input: 'all:\n  vars:\n    rollout_tag: -bad\n  hosts:\n    a: { docker: { host: unix:///a } }\n  hosts:\n    b: { ssh: { user: u } }\n',
      diagnostics: [
        'inventory.yml:3:18: error: "rollout_tag" must be an image tag: letters, digits, "_", "." and "-", at most 128, not starting with "." or "-", not "-bad"; for example: rollout_tag: prod\n  3 |     rollout_tag: -bad\n    |                  ^^^^',
        'inventory.yml:6:3: error: Duplicate key "hosts" (first on line 4); YAML would keep only the last one, so merge the two entries\n  6 |   hosts:\n    |   ^^^^^',
        'inventory.yml:7:10: error: "ssh" is missing "host"; for example: host: registry.example.org\n  7 |     b: { ssh: { user: u } }\n    |          ^^^',
      ],
    },
  ])('$name', async ({ name, input, diagnostics }) => {
    const dir = await writeFiles(name, { 'inventory.yml': input });
    const result = await loadInventory(path.join(dir, 'inventory.yml'), { env: ENV });
    expect(result.diagnostics.map((d) => formatDiagnostic(d).replaceAll(`${dir}/inventory.yml`, 'inventory.yml').replaceAll(dir, 'DIR'))).toEqual(diagnostics);
    expect(result.value === undefined).toBe(result.diagnostics.some((d) => d.severity === 'error'));
  });

  it('reports a missing file', async () => {
    const result = await loadInventory(path.join(root, 'nope.yml'));
    expect(result.diagnostics.map(formatDiagnostic)).toEqual([`${root}/nope.yml: error: Cannot read the inventory: no such file`]);
  });

  it('never puts a password in a diagnostic', async () => {
    const dir = await writeFiles('secret', {
      'inventory.yml': 'all:\n  vars:\n    registry_auth: { username: u, password: hunter2, password_file: p.txt }\n    registry: 5\n',
      'p.txt': 'also-secret',
    });
    const result = await loadInventory(path.join(dir, 'inventory.yml'));
    expect(result.diagnostics.length).toBeGreaterThan(0);
    const text = result.diagnostics.map((d) => d.message).join('\n');
    expect(text).not.toContain('hunter2');
    expect(text).not.toContain('also-secret');
  });

  it('checks -e variables too, with paths relative to the working directory', async () => {
    const dir = await writeFiles('extra', { 'inventory.yml': 'all:\n  hosts: {a: }\n' });
    const result = await loadInventory(path.join(dir, 'inventory.yml'), {
      env: {},
      extraVars: { registry_auth: { username: 'u', password_env: 'MISSING' }, registry_ca: 'ca.pem' },
    });
    expect(result.diagnostics.map(formatDiagnostic)).toEqual([
      '-e: error: The environment variable MISSING (registry_auth.password_env) is not set; export it before running freshen, or use password_file',
    ]);
    const ok = await loadInventory(path.join(dir, 'inventory.yml'), { extraVars: { registry_ca: 'ca.pem' } });
    expect(ok.value!.hosts.get('a')!.vars.registry_ca).toBe(path.resolve('ca.pem'));
  });
});
