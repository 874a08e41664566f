import { isDeepStrictEqual } from 'node:util';
import type { Group } from '../model/inventory.js';
import type { Diagnostic } from './diagnostics.js';
import { expandHostPattern } from './hostRanges.js';
import { isRecord, normalizeVariables, type VariablesContext } from './variables.js';
import type { NodePath } from './yamlSource.js';

/** The inventory's groups and hosts as written, before variables are merged per host. */
export interface InventoryTree {
  groups: Map<string, Group>;
  /** Host name → the host's own variables (paths resolved), in the order hosts first appear in the file. */
  hosts: Map<string, Record<string, unknown>>;
  /** Group name → the groups that list it under `children`. */
  parents: Map<string, Set<string>>;
  diagnostics: Diagnostic[];
}

/** Where each variable of a group or host was first set, to point at both places when a later definition disagrees. */
type Origins = Map<string, NodePath>;

/**
 * Reads the `all` group recursively. A group or host may appear in several places: their members are combined, and a variable
 * set twice to different values is an error (Ansible would silently keep one of them). Tolerates input the schema rejects.
 */
export function walkInventory(data: unknown, context: VariablesContext): InventoryTree {
  const tree: InventoryTree = { groups: new Map(), hosts: new Map(), parents: new Map(), diagnostics: [] };
  const groupOrigins = new Map<string, Origins>();
  const hostOrigins = new Map<string, Origins>();
  const edgePaths = new Map<string, NodePath>();
  const { locator } = context;

  const mergeChecked = (
    target: Record<string, unknown>,
    origins: Origins,
    vars: unknown,
    path: NodePath,
    conflict: (key: string, firstLine: number) => string,
  ): void => {
    const normalized = normalizeVariables(vars, path, context);
    tree.diagnostics.push(...normalized.diagnostics);
    for (const [key, value] of Object.entries(normalized.vars)) {
      const first = origins.get(key);
      if (first === undefined) {
        target[key] = value;
        origins.set(key, [...path, key]);
      } else if (!isDeepStrictEqual(target[key], value)) {
        const firstLine = locator.diagnostic(first, '', { at: 'key' }).line;
        tree.diagnostics.push(locator.diagnostic([...path, key], conflict(key, firstLine), { at: 'key' }));
      }
    }
  };

  const stack = new Set<unknown>(); // guards against YAML aliases that make a group contain itself
  const walkGroup = (name: string, node: unknown, path: NodePath): void => {
    let group = tree.groups.get(name);
    if (!group) {
      group = { name, hosts: [], children: [], vars: {} };
      tree.groups.set(name, group);
      groupOrigins.set(name, new Map());
    }
    if (!isRecord(node) || stack.has(node)) return;
    stack.add(node);
    for (const [key, value] of Object.entries(node)) {
      if (key === 'vars') {
        mergeChecked(
          group.vars,
          groupOrigins.get(name)!,
          value,
          [...path, 'vars'],
          (variable, line) => `Group "${name}" already sets "${variable}" to something else on line ${line}; set a group's variable in one place`,
        );
      } else if (key === 'hosts' && isRecord(value)) {
        for (const [pattern, patternVars] of Object.entries(value)) {
          const hostPath = [...path, 'hosts', pattern];
          const expanded = expandHostPattern(pattern);
          if ('error' in expanded) {
            tree.diagnostics.push(locator.diagnostic(hostPath, expanded.error, { at: 'key' }));
            continue;
          }
          // `name:port` sets ansible_port, as in Ansible.
          const hostVars = expanded.port === undefined ? patternVars : { ...(isRecord(patternVars) ? patternVars : {}), ansible_port: expanded.port };
          for (const hostName of expanded.names) {
            if (!group.hosts.includes(hostName)) group.hosts.push(hostName);
            if (!tree.hosts.has(hostName)) {
              tree.hosts.set(hostName, {});
              hostOrigins.set(hostName, new Map());
            }
            mergeChecked(
              tree.hosts.get(hostName)!,
              hostOrigins.get(hostName)!,
              hostVars,
              hostPath,
              (variable, line) =>
                `Host "${hostName}" already sets "${variable}" differently on line ${line}; give a host its variables in one place and list it elsewhere with none ("${hostName}:")`,
            );
          }
        }
      } else if (key === 'children' && isRecord(value)) {
        for (const [child, childNode] of Object.entries(value)) {
          const childPath = [...path, 'children', child];
          if (child === 'all') {
            tree.diagnostics.push(locator.diagnostic(childPath, '"all" cannot be a child group: every host is in all already', { at: 'key' }));
            continue;
          }
          if (!group.children.includes(child)) group.children.push(child);
          if (!tree.parents.has(child)) tree.parents.set(child, new Set());
          tree.parents.get(child)!.add(name);
          if (!edgePaths.has(`${name}\0${child}`)) edgePaths.set(`${name}\0${child}`, childPath);
          walkGroup(child, childNode, childPath);
        }
      }
    }
    stack.delete(node);
  };

  walkGroup('all', isRecord(data) ? data.all : undefined, ['all']);
  // Ansible's YAML inventories may also list groups at the top, beside (or instead of) `all`: they are children of all.
  for (const [name, node] of Object.entries(isRecord(data) ? data : {})) {
    if (name === 'all') continue;
    const all = tree.groups.get('all')!;
    if (!all.children.includes(name)) all.children.push(name);
    if (!tree.parents.has(name)) tree.parents.set(name, new Set());
    tree.parents.get(name)!.add('all');
    if (!edgePaths.has(`all\0${name}`)) edgePaths.set(`all\0${name}`, [name]);
    walkGroup(name, node, [name]);
  }
  tree.diagnostics.push(...groupCycles(tree, edgePaths, context), ...namesUsedTwice(tree, context));
  return tree;
}

/** A group that is its own ancestor would make membership and variable precedence undefined. */
function groupCycles(tree: InventoryTree, edgePaths: Map<string, NodePath>, { locator }: VariablesContext): Diagnostic[] {
  const diagnostics: Diagnostic[] = [];
  const state = new Map<string, 'visiting' | 'done'>();
  const visit = (name: string, trail: string[]): void => {
    state.set(name, 'visiting');
    for (const child of tree.groups.get(name)?.children ?? []) {
      if (state.get(child) === 'visiting') {
        const cycle = [...trail.slice(trail.indexOf(child)), name, child].join(' → ');
        diagnostics.push(
          locator.diagnostic(
            edgePaths.get(`${name}\0${child}`) ?? [],
            `Group "${child}" contains itself (${cycle}); remove "${child}" from the children of "${name}"`,
            { at: 'key' },
          ),
        );
      } else if (!state.has(child)) {
        visit(child, [...trail, name]);
      }
    }
    state.set(name, 'done');
  };
  visit('all', []);
  return diagnostics;
}

/** A name that is both a group and a host makes host patterns ambiguous. */
function namesUsedTwice(tree: InventoryTree, { locator }: VariablesContext): Diagnostic[] {
  const diagnostics: Diagnostic[] = [];
  for (const name of tree.hosts.keys()) {
    if (!tree.groups.has(name)) continue;
    const hostGroup = [...tree.groups.values()].find((g) => g.hosts.includes(name))!;
    diagnostics.push(
      locator.diagnostic(
        [...pathOfGroup(tree, hostGroup.name), 'hosts', name],
        `"${name}" is both a group and a host, so a host pattern naming it means both; rename one of them`,
        { at: 'key', severity: 'warning' },
      ),
    );
  }
  return diagnostics;
}

/** One path from `all` to a group's definition, following the first parent each time. */
function pathOfGroup(tree: InventoryTree, name: string): NodePath {
  const names: string[] = [];
  for (let current: string | undefined = name; current && current !== 'all' && !names.includes(current);) {
    names.unshift(current);
    current = tree.parents.get(current)?.values().next().value;
  }
  return ['all', ...names.flatMap((n) => ['children', n])];
}
