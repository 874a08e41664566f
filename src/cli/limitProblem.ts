import { didYouMean } from '../load/suggest.js';
import { unknownPatternTerms } from '../model/hostPattern.js';
import type { Inventory } from '../model/inventory.js';

/** Why `--limit PATTERN` cannot be used with `inventory` (a term names no host or group, with the name it may have meant), or undefined. */
export function limitProblem(limit: string | undefined, inventory: Inventory, inventoryFile: string): string | undefined {
  const unknown = limit ? unknownPatternTerms(limit, inventory) : [];
  if (unknown.length === 0) return undefined;
  const names = [...inventory.groups.keys(), ...inventory.hosts.keys()];
  const terms = unknown.map((term) => `"${term}"${didYouMean(term, names).replace(/^; /, ' (').replace(/\?$/, '?)')}`);
  return `freshen: --limit ${limit}: no host or group named ${terms.join(', ')} in ${inventoryFile}`;
}
