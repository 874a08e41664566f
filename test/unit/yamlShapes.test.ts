// YAML shapes that once crashed the loader with exit 250 and no position: every one now loads or gets a positioned diagnostic.
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { formatDiagnostic } from '../../src/load/diagnostics.js';
import { loadInventory } from '../../src/load/inventory.js';

async function load(text: string): Promise<{ hosts?: number; diagnostics: string[] }> {
  const file = join(mkdtempSync(join(tmpdir(), 't-yaml-shapes-')), 'inventory.yml');
  writeFileSync(file, text);
  const result = await loadInventory(file);
  return { hosts: result.value?.hosts.size, diagnostics: result.diagnostics.map((d) => formatDiagnostic(d).split('\n')[0]!.replace(file, 'inventory.yml')) };
}

const laughs = (): string => {
  const lines = ['all:', '  vars:', '    l0: &l0 [x, x, x, x, x, x, x, x, x, x]'];
  for (let i = 1; i < 9; i++)
    lines.push(
      `    l${i}: &l${i} [${Array(10)
        .fill(`*l${i - 1}`)
        .join(', ')}]`,
    );
  return `${[...lines, '  hosts: { h: {} }'].join('\n')}\n`;
};

describe('YAML shapes real inventories use, and ones that attack', () => {
  it('1000 hosts sharing one anchored map load', async () => {
    const hosts = Array.from({ length: 1000 }, (_, i) => `    web${i}: *defaults`).join('\n');
    const text = `all:\n  children:\n    holder:\n      vars: &defaults { docker: { host: "unix:///var/run/docker.sock" }, rollout_tag: prod }\n  hosts:\n${hosts}\n`;
    expect(await load(text)).toEqual({ hosts: 1000, diagnostics: [] });
  });

  it.each([
    {
      name: 'a billion laughs',
      text: laughs(),
      diagnostic: 'inventory.yml:8:13: error: The aliases here expand to more than 1,000,000 values; an inventory this large is a mistake or an attack',
    },
    {
      name: 'an alias inside the value it names',
      text: 'all: &x\n  children:\n    g: *x\n',
      diagnostic: 'inventory.yml:3:8: error: The alias "*x" is inside the value it names, so it never ends; copy the values instead',
    },
    {
      name: 'a merge key with a number',
      text: 'all:\n  vars:\n    <<: 5\n  hosts: { h: {} }\n',
      diagnostic: 'inventory.yml:3:9: error: A merge key (<<) takes a map, an alias of a map, or a list of them, such as <<: *defaults',
    },
    {
      name: 'a merge key with a list of scalars',
      text: 'all:\n  vars:\n    <<: [a, b]\n  hosts: { h: {} }\n',
      diagnostic: 'inventory.yml:3:9: error: A merge key (<<) takes a map, an alias of a map, or a list of them, such as <<: *defaults',
    },
    {
      // Found by the fuzz test: yaml turned the key into text and printed a process warning past freshen's output.
      name: 'a key that is a list',
      text: 'all:\n  hosts:\n    ? [a, b]\n    : {}\n',
      diagnostic: 'inventory.yml:3:7: error: A key must be a name, not a list or a map',
    },
    {
      name: 'a key that is an alias of a list',
      text: 'all:\n  vars:\n    a: &a [1]\n  hosts:\n    *a : {}\n',
      diagnostic: 'inventory.yml:5:5: error: A key must be a name, not a list or a map',
    },
  ])('$name: a positioned diagnostic, no value', async ({ text, diagnostic }) => {
    const result = await load(text);
    expect(result.hosts).toBeUndefined();
    expect(result.diagnostics).toEqual([diagnostic]);
  });
});
