import path from 'node:path';
import type { Host, Inventory } from '../model/inventory.js';
import { hasErrors, sortDiagnostics, type Diagnostic, type LoadResult } from './diagnostics.js';
import { walkInventory, type InventoryTree } from './inventoryTree.js';
import { readInput } from './readInput.js';
import { schemaDiagnostics } from './schemaErrors.js';
import { schemas } from './schemas.js';
import { normalizeVariables } from './variables.js';
import { parseYaml, positionlessLocator } from './yamlSource.js';

/** Options shared by the loaders. */
export interface LoadOptions {
  /** `-e` variables (from `parseExtraVars`): they override every other variable. Relative paths in them start at the working directory. */
  extraVars?: Record<string, unknown>;
  /** Where `registry_auth.password_env` is looked up; `process.env` by default. */
  env?: Record<string, string | undefined>;
}

/** Reads, validates and resolves an inventory file. Every problem is reported at once, in file order. */
export async function loadInventory(file: string, options: LoadOptions = {}): Promise<LoadResult<Inventory>> {
  const input = await readInput(file, 'inventory');
  if ('diagnostic' in input) return { diagnostics: [input.diagnostic] };
  const parsed = parseYaml(file, input.text);
  const diagnostics: Diagnostic[] = [...parsed.diagnostics];
  if (!('data' in parsed)) return { diagnostics: sortDiagnostics(diagnostics) };

  const { validateInventory } = schemas();
  validateInventory(parsed.data);
  diagnostics.push(...schemaDiagnostics(validateInventory.errors, { locator: parsed.source, rootLabel: 'The inventory' }));

  const env = options.env ?? process.env;
  const tree = walkInventory(parsed.data, { locator: parsed.source, baseDir: path.dirname(path.resolve(file)), env });
  const extra = normalizeVariables(options.extraVars ?? {}, [], { locator: positionlessLocator('-e'), baseDir: process.cwd(), env });
  diagnostics.push(...tree.diagnostics, ...extra.diagnostics);

  const sorted = sortDiagnostics(diagnostics);
  if (hasErrors(sorted)) return { diagnostics: sorted };
  return { value: buildInventory(file, tree, extra.vars), diagnostics: sorted };
}

/** Each host's groups (`all` first, then by depth, then by name, as Ansible orders them) and its merged variables. */
export function buildInventory(file: string, tree: InventoryTree, extraVars: Record<string, unknown>): Inventory {
  const depth = groupDepths(tree);
  const hosts = new Map<string, Host>();
  for (const [name, ownVars] of tree.hosts) {
    const groups = new Set<string>(['all']);
    const pending = [...tree.groups.values()].filter((g) => g.hosts.includes(name)).map((g) => g.name);
    while (pending.length > 0) {
      const group = pending.pop()!;
      if (groups.has(group)) continue;
      groups.add(group);
      pending.push(...(tree.parents.get(group) ?? []));
    }
    const ordered = [...groups].sort((a, b) => depth.get(a)! - depth.get(b)! || (a < b ? -1 : a > b ? 1 : 0));
    // Later groups override earlier ones key by key (a variable is replaced, not deep-merged), then the host, then -e.
    const vars: Record<string, unknown> = {};
    for (const group of ordered) Object.assign(vars, structuredClone(tree.groups.get(group)!.vars));
    Object.assign(vars, structuredClone(ownVars), structuredClone(extraVars));
    hosts.set(name, { name, groups: ordered, vars });
  }
  return { file, groups: tree.groups, hosts };
}

/** The longest chain of `children` from `all` to each group (all is 0). */
function groupDepths(tree: InventoryTree): Map<string, number> {
  const depth = new Map<string, number>();
  const measure = (name: string): number => {
    const known = depth.get(name);
    if (known !== undefined) return known;
    const parents = [...(tree.parents.get(name) ?? [])];
    const value = name === 'all' || parents.length === 0 ? 0 : Math.max(...parents.map(measure)) + 1;
    depth.set(name, value);
    return value;
  };
  for (const name of tree.groups.keys()) measure(name);
  return depth;
}
