import { existsSync, readFileSync } from 'node:fs';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { formatDiagnostic } from '../../src/load/diagnostics.js';
import { loadInventory } from '../../src/load/inventory.js';
import { loadPlaybook } from '../../src/load/playbook.js';
import { selectHosts } from '../../src/model/hostPattern.js';

const INVENTORY = 'inventories/example.yml';
const PLAYBOOK = 'playbooks/freshen.yml';

describe('the shipped example inventory and playbook', () => {
  it('load with no diagnostics at all', async () => {
    const inventory = await loadInventory(INVENTORY, { env: {} });
    expect(inventory.diagnostics.map(formatDiagnostic)).toEqual([]);
    const playbook = await loadPlaybook(PLAYBOOK, inventory.value, { env: {} });
    expect(playbook.diagnostics.map(formatDiagnostic)).toEqual([]);
    expect(playbook.value!.plays.map((p) => [p.name, selectHosts(p.hosts, inventory.value!)])).toEqual([
      ['Rebuild what has gone stale', ['build1']],
      ['Canary', ['web1']],
      ['Everyone else', ['web2', 'web3']],
      ['Tidy the registry', ['registry1']],
    ]);
  });

  it.each([INVENTORY, PLAYBOOK])('%s names its schema for editors', (file) => {
    const match = /^# yaml-language-server: \$schema=(\S+)$/m.exec(readFileSync(file, 'utf8'));
    expect(match).not.toBeNull();
    expect(existsSync(path.resolve(path.dirname(file), match![1]!))).toBe(true);
  });
});
