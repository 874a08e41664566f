// Ansible itself is the oracle: for each inventory of the corpus (INI and YAML files, several -i, directories with group_vars/
// and host_vars/), `ansible-inventory --list` and `freshen inventory --list` must name the same hosts, the same members of
// every group and the same variables per host. freshen adds only the `ssh` and `docker` it derives from Ansible's connection
// variables, which the last cases check on their own, against the lab's sshd.
import { execFile } from 'node:child_process';
import { chmod, mkdir, mkdtemp, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { promisify } from 'node:util';
import { beforeAll, describe, expect, it } from 'vitest';
import { runCli } from '../support/cli.js';
import { labSocket, SSH } from '../support/lab.js';

const run = promisify(execFile);
let dir: string;

beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), 't-ansible-'));
  // Fails (never skips) without Ansible: scripts/lab.sh install puts Debian's ansible-core here.
  await run('ansible-inventory', ['--version']);
});

type Files = Record<string, string>;

interface Case {
  name: string;
  files: Files;
  /** The -i sources, relative to the case's directory. */
  sources: string[];
}

const CORPUS: Case[] = [
  {
    name: 'INI: ungrouped hosts, sections, :vars, :children, ranges, ports and Python literals',
    sources: ['hosts.ini'],
    files: {
      'hosts.ini': [
        '# hosts before any section are ungrouped',
        'lonely a=1 b=1.5 c=True d=None e=true',
        '',
        '[web]',
        'web[01:03].example.org tier=web quoted="two words" list=[1,2] map="{\'k\': \'v\'}"',
        'web10:2222 ansible_user=deploy   # a comment after the host',
        '; another comment',
        '[db]',
        "db-[a:c] zero=07 hex=0x1F neg=-3 s='single'",
        '[web:vars]',
        'tier=from-group',
        'flag=FALSE',
        'ratio=0.25',
        'note=x # kept, as Ansible keeps it',
        '[prod:children]',
        'web',
        'db',
        '[prod:vars]',
        'env=prod',
        'tier=prod',
        '[all:vars]',
        'env=all',
        'region=eu',
      ].join('\n'),
    },
  },
  {
    name: 'YAML: groups at the top beside all, nested children, ranges, null hosts, precedence by depth then name',
    sources: ['inventory.yml'],
    files: {
      'inventory.yml': [
        'all:',
        '  vars: { x: all, y: all }',
        '  hosts:',
        '    solo: { y: solo }',
        '  children:',
        '    web:',
        '      vars: { x: web, depth: one }',
        '      hosts:',
        '        web[1:5:2]:',
        '        web2: { own: true }',
        '    edge:',
        '      vars: { x: edge }',
        '      hosts: { web3: }',
        'canary:',
        '  vars: { x: canary, depth: two }',
        '  hosts: { web1: }',
        '  children:',
        '    inner:',
        '      hosts: { "web9:2200": }',
        '      vars: { depth: three }',
        'db:',
        '  hosts:',
        '    db1:',
        '',
      ].join('\n'),
    },
  },
  {
    name: 'a directory: YAML and an INI without extension read, .ini/.txt/hidden skipped, group_vars (file and directory) and host_vars',
    sources: ['inv'],
    files: {
      'inv/10-web.yml':
        'all:\n  vars: { x: inv-all }\n  children:\n    web:\n      vars: { x: inv-web, z: inv-web }\n      hosts: { w1: { h: inv }, "w[2:3]": }\n',
      'inv/20-hosts': '[db]\nd1 h=ini\n[web:children]\nweb_canary\n[web_canary]\nw3\n',
      'inv/skipped.ini': '[skipped]\nnever\n',
      'inv/notes.txt': '[skipped]\nnever\n',
      'inv/.hidden.yml': 'all:\n  hosts: { never: }\n',
      'inv/group_vars/all.yml': 'x: gv-all\nz: gv-all\n',
      'inv/group_vars/web/one.yml': 'z: gv-web-1\n',
      'inv/group_vars/web/two.yaml': 'z: gv-web-2\nq: 2\n',
      'inv/group_vars/web_canary.yml': 'canary: true\nz: gv-canary\n',
      'inv/group_vars/db': 'kind: database\n',
      'inv/host_vars/w1.yml': 'h: host-vars\n',
      'inv/host_vars/d1.json': '{"h": "json"}\n',
    },
  },
  {
    name: 'several -i: members combine, a later source replaces a variable, each source brings its own group_vars',
    sources: ['base/hosts.yml', 'site/hosts.ini'],
    files: {
      'base/hosts.yml': 'all:\n  vars: { tag: base, keep: base }\n  children:\n    web:\n      vars: { role: web }\n      hosts: { w1: { port: 1 }, w2: }\n',
      'base/group_vars/web.yml': 'from_base: yes\nrole: gv-base\n',
      'site/hosts.ini': '[web]\nw2 port=2\nw3\n[web:vars]\nrole=site\n[all:vars]\ntag=site\n',
      'site/group_vars/web.yml': 'role: gv-site\n',
      'site/host_vars/w1.yml': 'port: 11\n',
    },
  },
  {
    name: 'ansible_group_priority orders groups of the same depth',
    sources: ['hosts.yml'],
    files: {
      'hosts.yml':
        'all:\n  children:\n    alpha:\n      vars: { ansible_group_priority: 10, who: alpha }\n      hosts: { h1: }\n    beta:\n      vars: { who: beta }\n      hosts: { h1: }\n',
    },
  },
  {
    name: "Ansible's connection variables pass through as written",
    sources: ['hosts'],
    files: {
      hosts: [
        '[web]',
        'web1 ansible_host=10.0.0.5 ansible_port=2222 ansible_user=deploy ansible_ssh_private_key_file=~/.ssh/deploy',
        'web2 ansible_host=10.0.0.6 ansible_ssh_common_args="-o ProxyJump=jump@bastion:2200 -o StrictHostKeyChecking=no"',
        '[web:vars]',
        'ansible_python_interpreter=/usr/bin/python3',
      ].join('\n'),
    },
  },
];

async function writeFiles(root: string, files: Files): Promise<void> {
  for (const [name, text] of Object.entries(files)) {
    await mkdir(dirname(join(root, name)), { recursive: true });
    await writeFile(join(root, name), text);
  }
}

interface Listing {
  hostvars: Record<string, Record<string, unknown>>;
  groups: Record<string, { hosts: string[]; children: string[] }>;
}

/** The hosts, each group's members (sorted, empty groups left out) and each host's variables, from either tool's --list. */
function normalize(list: Record<string, unknown>, dropDerived: boolean): Listing {
  const meta = list._meta as { hostvars: Record<string, Record<string, unknown>> };
  const hostvars = Object.fromEntries(
    Object.entries(meta.hostvars).map(([host, vars]) => {
      const copy = { ...vars };
      if (dropDerived) for (const key of ['ssh', 'docker']) delete copy[key];
      return [host, copy];
    }),
  );
  const groups: Listing['groups'] = {};
  for (const [name, value] of Object.entries(list)) {
    if (name === '_meta') continue;
    const group = value as { hosts?: string[]; children?: string[] };
    const entry = { hosts: [...(group.hosts ?? [])].sort(), children: [...(group.children ?? [])].sort() };
    if (entry.hosts.length > 0 || entry.children.length > 0) groups[name] = entry;
  }
  // Ansible always lists the group ungrouped under all, empty or not.
  if (groups.all && !groups.ungrouped) groups.all.children = groups.all.children.filter((child) => child !== 'ungrouped');
  return { hostvars, groups };
}

describe('Ansible inventories, with ansible-inventory --list as the oracle', () => {
  it.each(CORPUS)('$name', async ({ name, files, sources }) => {
    const root = join(dir, name.replace(/[^a-z0-9]+/gi, '-').slice(0, 40));
    await writeFiles(root, files);
    const paths = sources.map((source) => join(root, source));
    const ansible = await run('ansible-inventory', [...paths.flatMap((p) => ['-i', p]), '--list'], {
      env: { ...process.env, ANSIBLE_NOCOLOR: '1', ANSIBLE_HOME: join(dir, '.ansible'), ANSIBLE_LOCAL_TEMP: join(dir, '.ansible-tmp') },
    });
    const freshen = await runCli('inventory', ...paths.flatMap((p) => ['-i', p]), '--list');
    expect(freshen.code, freshen.stderr).toBe(0);
    const expected = normalize(JSON.parse(ansible.stdout) as Record<string, unknown>, false);
    const actual = normalize(JSON.parse(freshen.stdout) as Record<string, unknown>, true);
    expect(Object.keys(expected.hostvars).length).toBeGreaterThan(0);
    expect(actual.groups).toEqual(expected.groups);
    expect(actual.hostvars).toEqual(expected.hostvars);
  });
});

describe("what freshen takes from Ansible's connection variables", () => {
  it('reaches the lab engine over SSH from an INI host line: ansible_host, port, user, key and known hosts', async () => {
    const root = join(dir, 'lab');
    await writeFiles(root, {
      'hosts.ini': [
        '[web]',
        `web1 ansible_host=${SSH.host} ansible_port=${SSH.port} ansible_user=${SSH.user} ansible_ssh_private_key_file=${SSH.identityFile}`,
        '[web:vars]',
        `ansible_ssh_common_args='-o UserKnownHostsFile=${SSH.knownHosts} -o StrictHostKeyChecking=yes'`,
      ].join('\n'),
      // The lab's engines listen on their own sockets, not /var/run/docker.sock: docker.socket says where, the rest is Ansible's.
      'host_vars/web1.yml': `docker: { socket: ${labSocket('web1')} }\n`,
    });
    const listed = await runCli('inventory', '-i', join(root, 'hosts.ini'), '--list');
    expect(listed.code, listed.stderr).toBe(0);
    expect(listed.stderr).toContain('freshen ignores these ssh arguments: -o StrictHostKeyChecking=yes');
    const vars = (JSON.parse(listed.stdout) as { _meta: { hostvars: Record<string, Record<string, unknown>> } })._meta.hostvars.web1!;
    expect(vars.ssh).toEqual({ host: SSH.host, port: SSH.port, user: SSH.user, identity_file: SSH.identityFile, known_hosts: SSH.knownHosts });
    expect(vars.docker).toEqual({
      host: `ssh://${SSH.user}@${SSH.host}:${SSH.port}`,
      identity_file: SSH.identityFile,
      known_hosts: SSH.knownHosts,
      socket: labSocket('web1'),
    });

    const ping = await runCli('ping', '-i', join(root, 'hosts.ini'));
    expect(ping.code, ping.stdout + ping.stderr).toBe(0);
    expect(ping.stdout).toMatch(/web1 +engine +ssh:\/\/root@127\.0\.0\.1:2222 +ok: API 1\.\d+/);
    expect(ping.stdout).toMatch(/web1 +ssh +root@127\.0\.0\.1:2222 +ok: logged in, ran `true`/);
    expect(ping.stdout).toContain('2 checks of 1 host: all ok');
  });

  it('refuses what it cannot read, naming the Ansible feature: a script, a plugin, a vault, ProxyCommand, a winrm host', async () => {
    const root = join(dir, 'refused');
    await writeFiles(root, {
      'script.sh': '#!/bin/sh\necho "{}"\n',
      'aws_ec2.yml': 'plugin: amazon.aws.aws_ec2\nregions: [eu-west-1]\n',
      'vault.yml': 'all:\n  vars:\n    secret: !vault |\n      $ANSIBLE_VAULT;1.1;AES256\n      6162\n',
      'proxy.ini': '[web]\nweb1 ansible_ssh_common_args=\'-o ProxyCommand="ssh -W %h:%p bastion"\'\n',
      'winrm.ini': '[win]\nwin1 ansible_connection=winrm\n',
      'range.ini': '[web]\nweb[09:1]\n',
    });
    await chmod(join(root, 'script.sh'), 0o755);
    const expectations: Array<[string, RegExp]> = [
      ['script.sh', /dynamic inventory script; freshen does not run inventory scripts/],
      ['aws_ec2.yml', /aws_ec2\.yml:1:\d+: error: This is the configuration of Ansible's "amazon\.aws\.aws_ec2" inventory plugin/],
      ['vault.yml', /vault\.yml:3:1: error: Ansible Vault encryption is not supported/],
      ['proxy.ini', /Host "web1": ProxyCommand is not supported; write the jump host as -o ProxyJump=USER@HOST:PORT/],
      ['winrm.ini', /Host "win1": ansible_connection is "winrm"/],
      ['range.ini', /range\.ini:2:1: error: "web\[09:1\]": a zero-padded range needs a start and end of the same width/],
    ];
    for (const [file, message] of expectations) {
      const r = await runCli('inventory', '-i', join(root, file), '--list');
      expect({ file, code: r.code }).toEqual({ file, code: 5 });
      expect(r.stderr).toMatch(message);
    }
  });
});
