import { describe, expect, it } from 'vitest';
import type { Group, Inventory } from '../../src/model/inventory.js';
import { selectHosts, unknownPatternTerms } from '../../src/model/hostPattern.js';

/** An inventory from host → groups (ancestors included, as the loader computes them); groups keep first-mention order. */
function inventory(membership: Record<string, string[]>): Inventory {
  const groups = new Map<string, Group>([['all', { name: 'all', hosts: [], children: [], vars: {} }]]);
  const hosts = new Map(
    Object.entries(membership).map(([name, groupNames]) => {
      for (const g of groupNames) if (!groups.has(g)) groups.set(g, { name: g, hosts: [], children: [], vars: {} });
      return [name, { name, groups: ['all', ...groupNames], vars: {} }];
    }),
  );
  return { file: 'inventory.yml', groups, hosts };
}

// build1 | web1 (web, canary) | web2 (web) | web3 (web) | db1 (db) | registry1 (registries)
const lab = inventory({
  build1: ['builders'],
  web1: ['web', 'canary'],
  web2: ['web'],
  web3: ['web'],
  db1: ['db'],
  registry1: ['registries'],
});

describe('selectHosts', () => {
  it.each([
    { name: 'all', pattern: 'all', hosts: ['build1', 'web1', 'web2', 'web3', 'db1', 'registry1'] },
    { name: 'star', pattern: '*', hosts: ['build1', 'web1', 'web2', 'web3', 'db1', 'registry1'] },
    { name: 'a group', pattern: 'web', hosts: ['web1', 'web2', 'web3'] },
    { name: 'a host', pattern: 'web2', hosts: ['web2'] },
    { name: 'union with a colon, in inventory order', pattern: 'registries:builders', hosts: ['build1', 'registry1'] },
    { name: 'union with a comma', pattern: 'db,web3', hosts: ['web3', 'db1'] },
    { name: 'intersection', pattern: 'web:&canary', hosts: ['web1'] },
    { name: 'exclusion', pattern: 'web:!canary', hosts: ['web2', 'web3'] },
    { name: 'exclusion written first still applies after unions', pattern: '!web1:web', hosts: ['web2', 'web3'] },
    { name: 'only an exclusion starts from all', pattern: '!web', hosts: ['build1', 'db1', 'registry1'] },
    { name: 'glob over host names', pattern: 'web*', hosts: ['web1', 'web2', 'web3'] },
    { name: 'glob over group names', pattern: 'regis*', hosts: ['registry1'] },
    { name: 'single-character glob', pattern: 'web?:!web3', hosts: ['web1', 'web2'] },
    { name: 'character class', pattern: 'web[13]', hosts: ['web1', 'web3'] },
    { name: 'regular expression', pattern: '~(build|db)\\d', hosts: ['build1', 'db1'] },
    { name: 'unknown names select nothing', pattern: 'nope', hosts: [] },
    { name: 'spaces around terms are ignored', pattern: 'db, builders', hosts: ['build1', 'db1'] },
    { name: 'empty intersection', pattern: 'db:&web', hosts: [] },
  ])('$name: $pattern', ({ pattern, hosts }) => {
    expect(selectHosts(pattern, lab)).toEqual(hosts);
  });

  it('limits the same way: a play pattern intersected with a --limit pattern', () => {
    const limit = new Set(selectHosts('web2,web3,db1', lab));
    expect(selectHosts('web', lab).filter((h) => limit.has(h))).toEqual(['web2', 'web3']);
  });
});

describe('unknownPatternTerms', () => {
  it.each([
    { pattern: 'web:&canary:!web3', unknown: [] },
    { pattern: 'all', unknown: [] },
    { pattern: 'webz', unknown: ['webz'] },
    { pattern: 'web:&canry:!wbe3', unknown: ['canry', 'wbe3'] },
    { pattern: 'cache*', unknown: ['cache*'] },
    { pattern: 'web*', unknown: [] },
    { pattern: 'nope,nope', unknown: ['nope'] },
  ])('$pattern → $unknown', ({ pattern, unknown }) => {
    expect(unknownPatternTerms(pattern, lab)).toEqual(unknown);
  });
});
