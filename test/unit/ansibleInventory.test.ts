// The pure halves of reading Ansible inventories: host ranges, INI values as Python literals, host-line words, and the
// ssh/docker freshen makes from connection variables. The whole is checked against ansible-inventory itself in
// test/integration/ansible-inventory.test.ts.
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { formatDiagnostic } from '../../src/load/diagnostics.js';
import { loadInventory } from '../../src/load/inventory.js';
import { ansibleEndpoints } from '../../src/load/ansibleConnection.js';
import { expandHostPattern } from '../../src/load/hostRanges.js';
import { shellWords } from '../../src/load/iniInventory.js';
import { iniValue } from '../../src/load/pythonLiteral.js';

describe('host ranges', () => {
  it('expands numbers (padded like the start), letters, steps, several ranges, and takes a port', () => {
    expect(expandHostPattern('web[01:03].example.org')).toEqual({ names: ['web01.example.org', 'web02.example.org', 'web03.example.org'] });
    expect(expandHostPattern('db-[a:c]')).toEqual({ names: ['db-a', 'db-b', 'db-c'] });
    expect(expandHostPattern('n[1:9:4]')).toEqual({ names: ['n1', 'n5', 'n9'] });
    expect(expandHostPattern('r[1:2]c[a:b]')).toEqual({ names: ['r1ca', 'r1cb', 'r2ca', 'r2cb'] });
    expect(expandHostPattern('web[1:2]:2222')).toEqual({ names: ['web1', 'web2'], port: 2222 });
    expect(expandHostPattern('[::1]:22')).toEqual({ names: ['::1'], port: 22 });
  });

  it('refuses what would be a typo: unequal padding, a backwards range, a bad port, an unclosed bracket', () => {
    expect(expandHostPattern('web[09:1]')).toEqual({ error: expect.stringContaining('same width') });
    expect(expandHostPattern('web[5:1]')).toEqual({ error: expect.stringContaining('ends before it starts') });
    expect(expandHostPattern('web:99999')).toEqual({ error: expect.stringContaining('not a port') });
    expect(expandHostPattern('web[1:2')).toEqual({ error: expect.stringContaining('unmatched bracket') });
    expect(expandHostPattern('w[0:100000]')).toEqual({ error: expect.stringContaining('more than') });
  });

  it('gives (end - start) / step + 1 names, in order, each once', () => {
    fc.assert(
      fc.property(fc.nat(500), fc.nat(500), fc.integer({ min: 1, max: 50 }), (a, span, step) => {
        const expanded = expandHostPattern(`h[${a}:${a + span}:${step}]`);
        if ('error' in expanded) return false;
        const numbers = expanded.names.map((name) => Number(name.slice(1)));
        return numbers.length === Math.floor(span / step) + 1 && numbers.every((n, i) => n === a + i * step);
      }),
    );
  });
});

describe('INI values, as Python literals or text', () => {
  it.each([
    ['1', 1],
    ['-3', -3],
    ['1.5', 1.5],
    ['0x1F', 31],
    ['1_000', 1000],
    ['True', true],
    ['None', null],
    ["'quoted'", 'quoted'],
    ['"a" \'b\'', 'ab'],
    ['[1, "two", None]', [1, 'two', null]],
    ['(1,)', [1]],
    ["{'k': [1], 2: 'x'}", { k: [1], 2: 'x' }],
    ['true', 'true'],
    ['FALSE', 'FALSE'],
    ['07', '07'],
    ['x y', 'x y'],
    ['[1, 2', '[1, 2'],
    ['', ''],
  ])('%s', (text, value) => {
    expect(iniValue(text)).toEqual(value);
  });
});

describe('host-line words', () => {
  it('splits as a shell does and ends at an unquoted #', () => {
    expect(shellWords(`web1 a="x y" b='c d' e=f\\ g # comment`)).toEqual({ words: ['web1', 'a=x y', 'b=c d', 'e=f g'] });
    expect(shellWords('web1 a="unclosed')).toEqual({ error: expect.stringContaining('Unclosed quote') });
  });
});

describe("ssh and docker from Ansible's connection variables", () => {
  it('makes both from ansible_host, port, user, key, ProxyJump and the known hosts file', () => {
    const made = ansibleEndpoints('web1', {
      ansible_host: '10.0.0.5',
      ansible_port: 2222,
      ansible_user: 'deploy',
      ansible_ssh_private_key_file: '/keys/deploy',
      ansible_ssh_common_args: '-o ProxyJump=jump@bastion:2200 -o UserKnownHostsFile=/keys/known -o StrictHostKeyChecking=no',
    });
    const shared = { identity_file: '/keys/deploy', known_hosts: '/keys/known', jump: { host: 'bastion', port: 2200, user: 'jump' } };
    expect(made.vars.ssh).toEqual({ host: '10.0.0.5', port: 2222, user: 'deploy', ...shared });
    expect(made.vars.docker).toEqual({ host: 'ssh://deploy@10.0.0.5:2222', ...shared });
    expect(made.warnings).toEqual(['freshen ignores these ssh arguments: -o StrictHostKeyChecking=no']);
  });

  it("leaves a host without Ansible's variables alone, and keeps what a host sets itself", () => {
    expect(ansibleEndpoints('registry1', { registry_url: 'http://127.0.0.1:5000' }).vars).toEqual({});
    const own = ansibleEndpoints('web1', { ansible_user: 'deploy', ssh: { host: 'other' }, docker: { socket: '/run/docker.sock' } });
    expect(own.vars).toEqual({ docker: { host: 'ssh://deploy@web1', socket: '/run/docker.sock' } });
    expect(ansibleEndpoints('db', { ansible_connection: 'local' }).vars).toEqual({ docker: { host: 'unix:///var/run/docker.sock' } });
  });

  it('refuses a jump through several hosts, ProxyCommand and connections that are not SSH', () => {
    expect(ansibleEndpoints('a', { ansible_ssh_common_args: '-J one,two' }).problems).toEqual([expect.stringContaining('several jump hosts')]);
    expect(ansibleEndpoints('a', { ansible_ssh_extra_args: '-o ProxyCommand=nc' }).problems).toEqual([expect.stringContaining('ProxyCommand')]);
    expect(ansibleEndpoints('a', { ansible_connection: 'docker' }).problems).toEqual([expect.stringContaining('"docker"')]);
    expect(ansibleEndpoints('a', { ansible_port: 'ssh' }).problems).toEqual([expect.stringContaining('not a port')]);
  });
});

describe('an inventory file without an extension', () => {
  const file = (text: string): string => {
    const path = join(mkdtempSync(join(tmpdir(), 't-hosts-')), 'hosts');
    writeFileSync(path, text);
    return path;
  };

  it('is YAML when it reads as a mapping, INI otherwise, as Ansible tries them', async () => {
    expect([...(await loadInventory(file('all:\n  hosts: { a: }\n'))).value!.hosts.keys()]).toEqual(['a']);
    expect([...(await loadInventory(file('[web]\nb\nc:2200\n'))).value!.hosts.keys()]).toEqual(['b', 'c']);
    expect([...(await loadInventory(file('lonely\n'))).value!.hosts.keys()]).toEqual(['lonely']);
  });

  it('that starts like YAML but does not parse gets the YAML error, not INI guesses', async () => {
    const loaded = await loadInventory(file('all:\n  hosts:\n    web1: {\n'));
    expect(loaded.diagnostics.map(formatDiagnostic).join('\n')).toMatch(/hosts:\d+:\d+: error: Invalid YAML/);
  });
});
