import path from 'node:path';
import type { Host, Inventory } from '../model/inventory.js';
import { ansibleEndpoints } from './ansibleConnection.js';
import { fileDiagnostic, hasErrors, sortDiagnostics, uniqueDiagnostics, type Diagnostic, type LoadResult } from './diagnostics.js';
import { mergeTrees, readInventoryFile, readVarsFiles } from './inventoryFiles.js';
import type { InventoryTree } from './inventoryTree.js';
import { inventorySources } from './inventorySources.js';
import { normalizeVariables } from './variables.js';
import { positionlessLocator } from './yamlSource.js';

/** Options shared by the loaders. */
export interface LoadOptions {
  /** `-e` variables (from `parseExtraVars`): they override every other variable. Relative paths in them start at the working directory. */
  extraVars?: Record<string, unknown>;
  /** Where `registry_auth.password_env` is looked up; `process.env` by default. */
  env?: Record<string, string | undefined>;
}

/**
 * Reads, validates and resolves an inventory: one file or several (`-i a.yml -i b.ini`, later ones overriding earlier ones
 * variable by variable, as Ansible merges them), YAML or INI, or directories of them, with the `group_vars/` and `host_vars/`
 * beside each. Every problem is reported at once, in file order.
 */
export async function loadInventory(given: string | readonly string[], options: LoadOptions = {}): Promise<LoadResult<Inventory>> {
  const files = typeof given === 'string' ? [given] : [...given];
  const env = options.env ?? process.env;
  const listed = inventorySources(files);
  const diagnostics: Diagnostic[] = [...listed.diagnostics];
  const trees: InventoryTree[] = [];
  for (const source of listed.sources) {
    for (const file of source.files) {
      const read = await readInventoryFile(file, { baseDir: path.dirname(path.resolve(file)), env });
      diagnostics.push(...read.diagnostics);
      if (read.tree) trees.push(read.tree);
    }
  }
  const tree = mergeTrees(trees);
  const varsFiles = await readVarsFiles(listed.sources, tree, env);
  diagnostics.push(...varsFiles.diagnostics);
  const extra = normalizeVariables(options.extraVars ?? {}, [], { locator: positionlessLocator('-e'), baseDir: process.cwd(), env });
  diagnostics.push(...extra.diagnostics);

  // Built even when something is wrong, so that a host's connection problems are reported with the rest.
  const inventory = buildInventory(files.join(', '), { ...tree, ...varsFiles }, extra.vars);
  for (const host of inventory.hosts.values()) {
    const derived = ansibleEndpoints(host.name, host.vars);
    Object.assign(host.vars, derived.vars);
    diagnostics.push(...derived.problems.map((problem) => fileDiagnostic(inventory.file, `Host "${host.name}": ${problem}`)));
    diagnostics.push(...derived.warnings.map((warning) => fileDiagnostic(inventory.file, warning, 'warning')));
    const docker = host.vars.docker;
    if (typeof docker === 'object' && docker !== null && (docker as { host?: unknown }).host === undefined) {
      diagnostics.push(
        fileDiagnostic(
          inventory.file,
          `Host "${host.name}" has docker settings but no docker.host; give docker.host, or Ansible's ansible_host/ansible_user for an engine reached over SSH`,
        ),
      );
    }
  }
  const sorted = sortDiagnostics(uniqueDiagnostics(diagnostics));
  if (hasErrors(sorted)) return { diagnostics: sorted };
  return { value: inventory, diagnostics: sorted };
}

/** Variables from `group_vars/` and `host_vars/` files, by group and by host name. */
export interface VarsFileLayers {
  groupVarsFiles?: Map<string, Record<string, unknown>>;
  hostVarsFiles?: Map<string, Record<string, unknown>>;
}

/**
 * Each host's groups (`all` first, then by depth, `ansible_group_priority` and name, as Ansible orders them) and its merged
 * variables, layered as Ansible's defaults layer them: the inventory's `all` vars, then every other group's, then
 * `group_vars/all`, then every other group's `group_vars/`, then the host's own, its `host_vars/`, and `-e` last. A later
 * layer replaces a variable whole (no deep merge).
 */
export function buildInventory(file: string, tree: InventoryTree & VarsFileLayers, extraVars: Record<string, unknown>): Inventory {
  const depth = groupDepths(tree);
  const priority = (group: string): number => {
    const value = tree.groups.get(group)?.vars.ansible_group_priority;
    return typeof value === 'number' ? value : typeof value === 'string' && /^-?\d+$/.test(value) ? Number(value) : 1;
  };
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
    const ordered = [...groups].sort((a, b) => depth.get(a)! - depth.get(b)! || priority(a) - priority(b) || (a < b ? -1 : a > b ? 1 : 0));
    const others = ordered.filter((group) => group !== 'all');
    const layers: Array<Record<string, unknown> | undefined> = [
      tree.groups.get('all')!.vars,
      ...others.map((group) => tree.groups.get(group)!.vars),
      tree.groupVarsFiles?.get('all'),
      ...others.map((group) => tree.groupVarsFiles?.get(group)),
      ownVars,
      tree.hostVarsFiles?.get(name),
      extraVars,
    ];
    const vars: Record<string, unknown> = {};
    for (const layer of layers) if (layer) Object.assign(vars, structuredClone(layer));
    delete vars.ansible_group_priority; // Ansible takes it as the group's rank, not as a variable
    hosts.set(name, { name, groups: ordered, vars });
  }
  return { file, groups: tree.groups, hosts };
}

/** The longest chain of `children` from `all` to each group (all is 0). */
function groupDepths(tree: InventoryTree): Map<string, number> {
  const depth = new Map<string, number>();
  const visiting = new Set<string>(); // a cycle across two files (each file's own are refused) must not recurse forever
  const measure = (name: string): number => {
    const known = depth.get(name);
    if (known !== undefined) return known;
    if (visiting.has(name)) return 0;
    visiting.add(name);
    const parents = [...(tree.parents.get(name) ?? [])];
    const value = name === 'all' || parents.length === 0 ? 0 : Math.max(...parents.map(measure)) + 1;
    depth.set(name, value);
    return value;
  };
  for (const name of tree.groups.keys()) measure(name);
  return depth;
}
