import type { Inventory } from './inventory.js';

/** One term of a host pattern: `web` (add), `&canary` (keep only), `!web3` (remove). */
interface PatternTerm {
  op: 'union' | 'intersection' | 'exclusion';
  /** The term without its `&` / `!` prefix. */
  name: string;
}

/** Splits `web:&canary,!web3` into terms; `,` and `:` both separate terms, as in Ansible. */
function parsePattern(pattern: string): PatternTerm[] {
  return pattern
    .split(/[,:]/)
    .map((t) => t.trim())
    .filter((t) => t !== '')
    .map((t): PatternTerm => {
      if (t.startsWith('&')) return { op: 'intersection', name: t.slice(1) };
      if (t.startsWith('!')) return { op: 'exclusion', name: t.slice(1) };
      return { op: 'union', name: t };
    });
}

const isGlob = (name: string): boolean => /[*?[]/.test(name);

/** A glob (`web*`, `db?`, `web[12]`) or `~regex` as an anchored regular expression; undefined for plain names. */
function termRegExp(name: string): RegExp | undefined {
  if (name.startsWith('~')) {
    try {
      return new RegExp(name.slice(1));
    } catch {
      return /(?!)/; // an invalid regular expression matches nothing
    }
  }
  if (!isGlob(name)) return undefined;
  const source = name
    .replace(/[.+^${}()|\\]/g, '\\$&')
    .replace(/\*/g, '.*')
    .replace(/\?/g, '.');
  return new RegExp(`^${source}$`);
}

/** Hosts one term names: `all`/`*`, a group (with its child groups' hosts), a host, or every group and host a glob matches. */
function hostsOfTerm(name: string, inventory: Inventory): Set<string> {
  if (name === 'all' || name === '*') return new Set(inventory.hosts.keys());
  const regexp = termRegExp(name);
  const matchesName = (candidate: string): boolean => (regexp ? regexp.test(candidate) : candidate === name);
  const result = new Set<string>();
  for (const host of inventory.hosts.values()) {
    if (matchesName(host.name) || host.groups.some(matchesName)) result.add(host.name);
  }
  return result;
}

/**
 * The hosts an Ansible host pattern selects, in inventory order. As in Ansible, additions are applied first, then `&`
 * intersections, then `!` exclusions, whatever their order in the pattern; a pattern of only `&`/`!` terms starts from `all`.
 */
export function selectHosts(pattern: string, inventory: Inventory): string[] {
  const terms = parsePattern(pattern);
  const unions = terms.filter((t) => t.op === 'union');
  const selected = new Set<string>();
  for (const term of unions.length > 0 ? unions : [{ op: 'union', name: 'all' }]) {
    for (const host of hostsOfTerm(term.name, inventory)) selected.add(host);
  }
  for (const term of terms.filter((t) => t.op === 'intersection')) {
    const keep = hostsOfTerm(term.name, inventory);
    for (const host of selected) if (!keep.has(host)) selected.delete(host);
  }
  for (const term of terms.filter((t) => t.op === 'exclusion')) {
    for (const host of hostsOfTerm(term.name, inventory)) selected.delete(host);
  }
  return [...inventory.hosts.keys()].filter((host) => selected.has(host));
}

/** Terms of a pattern (without `&`/`!`) that name no group or host, or globs that match none: most likely typos. */
export function unknownPatternTerms(pattern: string, inventory: Inventory): string[] {
  const unknown: string[] = [];
  for (const { name } of parsePattern(pattern)) {
    if (name === 'all' || name === '*' || unknown.includes(name)) continue;
    const regexp = termRegExp(name);
    const names = [...inventory.groups.keys(), ...inventory.hosts.keys()];
    const known = regexp ? names.some((n) => regexp.test(n)) : names.includes(name);
    if (!known) unknown.push(name);
  }
  return unknown;
}
