import type { Group } from '../model/inventory.js';
import { fileDiagnostic, hasErrors, type Diagnostic } from './diagnostics.js';
import { parseIniInventory } from './iniInventory.js';
import { walkInventory, type InventoryTree } from './inventoryTree.js';
import { inventoryFormat, isInventoryScript, scriptDiagnostic, varsEntryNames, varsFilesFor, type InventorySource } from './inventorySources.js';
import { readInput } from './readInput.js';
import { schemaDiagnostics } from './schemaErrors.js';
import { schemas } from './schemas.js';
import { didYouMean } from './suggest.js';
import { isRecord, normalizeVariables } from './variables.js';
import { parseYaml, type Locator } from './yamlSource.js';

/** Where relative paths in a file's variables start, and where `*_env` variables are looked up. */
interface FileContext {
  baseDir: string;
  env: Record<string, string | undefined>;
}

/** One inventory file, YAML (read as YAML 1.1, as Ansible reads it) or INI, validated and walked into its groups and hosts. */
export async function readInventoryFile(file: string, context: FileContext): Promise<{ tree?: InventoryTree; diagnostics: Diagnostic[] }> {
  const input = await readInput(file, 'inventory');
  if ('diagnostic' in input) return { diagnostics: [input.diagnostic] };
  const { text } = input;
  if (isInventoryScript(file, text)) return { diagnostics: [scriptDiagnostic(file)] };
  if (text.startsWith('$ANSIBLE_VAULT;')) return { diagnostics: [vaultDiagnostic(file)] };

  const format = inventoryFormat(file);
  if (format !== 'ini') {
    const parsed = parseYaml(file, text, '1.1');
    // A file with no extension is YAML when it reads as a YAML mapping, else INI (the order Ansible tries them in); one
    // that starts like a YAML mapping (`all:`) but does not parse gets the YAML errors, which say more than INI's would.
    const looksLikeYaml = /^[^\s#;[][^=]*:\s*(#.*)?$/m.test(text.split('\n').find((line) => /^\S/.test(line) && !/^[#;]/.test(line)) ?? '');
    if (format === 'yaml' || (parsed.diagnostics.length === 0 && isRecord(parsed.data)) || (looksLikeYaml && hasErrors(parsed.diagnostics))) {
      const diagnostics: Diagnostic[] = [...parsed.diagnostics];
      if (!('data' in parsed)) return { diagnostics };
      if (parsed.data !== null && !isPlainMapping(parsed.data)) {
        return {
          diagnostics: [...diagnostics, parsed.source.diagnostic([], 'The inventory must be a mapping of groups, starting with all: (or INI sections)')],
        };
      }
      const unsupported = unsupportedYaml(file, text, parsed.data, parsed.source);
      if (unsupported.length > 0) return { diagnostics: [...diagnostics, ...unsupported] };
      return walkValidated(parsed.data, parsed.source, context, diagnostics);
    }
  }
  const ini = parseIniInventory(file, text);
  const read = walkValidated(ini.data, ini.locator, context, ini.diagnostics);
  // The INI data defines every group under all; only the ones no [x:children] lists are all's children, as in Ansible.
  const all = read.tree.groups.get('all')!;
  for (const name of all.children.filter((child) => child !== 'ungrouped' && !ini.locator.topLevel.includes(child))) {
    all.children.splice(all.children.indexOf(name), 1);
    read.tree.parents.get(name)?.delete('all');
  }
  return read;
}

function walkValidated(data: unknown, locator: Locator, context: FileContext, diagnostics: Diagnostic[]): { tree: InventoryTree; diagnostics: Diagnostic[] } {
  const { validateInventory } = schemas();
  validateInventory(data);
  diagnostics.push(...schemaDiagnostics(validateInventory.errors, { locator, rootLabel: 'The inventory' }));
  const tree = walkInventory(data, { locator, ...context });
  diagnostics.push(...tree.diagnostics);
  return { tree: { ...tree, diagnostics: [] }, diagnostics };
}

/** Ansible features freshen does not read, each named: inventory plugins (`plugin:`) and Vault-encrypted values. */
function unsupportedYaml(file: string, text: string, data: unknown, locator: Locator): Diagnostic[] {
  if (isRecord(data) && typeof data.plugin === 'string') {
    return [
      locator.diagnostic(
        ['plugin'],
        `This is the configuration of Ansible's "${data.plugin}" inventory plugin, which freshen does not run; save what it finds (ansible-inventory -i ${file} --list --yaml) as a YAML inventory`,
      ),
    ];
  }
  const vault = text.split('\n').findIndex((line) => /(^|[\s:])!vault(\s|$)/.test(line));
  return vault >= 0 ? [{ ...vaultDiagnostic(file), line: vault + 1, col: 1 }] : [];
}

/** A YAML mapping, not a `!!binary` buffer or another object with a prototype of its own. */
const isPlainMapping = (value: unknown): boolean => isRecord(value) && Object.getPrototypeOf(value) === Object.prototype;

const vaultDiagnostic = (file: string): Diagnostic =>
  fileDiagnostic(
    file,
    'Ansible Vault encryption is not supported: freshen cannot decrypt it; give secrets as password_env (an environment variable) or password_file instead',
  );

/** The inventories' groups and hosts as one: members combine, and a later file's variable replaces an earlier one's. */
export function mergeTrees(trees: readonly InventoryTree[]): InventoryTree {
  const merged: InventoryTree = { groups: new Map(), hosts: new Map(), parents: new Map(), diagnostics: [] };
  const groupNamed = (name: string): Group => {
    if (!merged.groups.has(name)) merged.groups.set(name, { name, hosts: [], children: [], vars: {} });
    return merged.groups.get(name)!;
  };
  groupNamed('all');
  for (const tree of trees) {
    for (const [name, group] of tree.groups) {
      const target = groupNamed(name);
      for (const host of group.hosts) if (!target.hosts.includes(host)) target.hosts.push(host);
      for (const child of group.children) if (!target.children.includes(child)) target.children.push(child);
      Object.assign(target.vars, group.vars);
    }
    for (const [name, vars] of tree.hosts) merged.hosts.set(name, { ...(merged.hosts.get(name) ?? {}), ...vars });
    for (const [child, parents] of tree.parents) {
      if (!merged.parents.has(child)) merged.parents.set(child, new Set());
      for (const parent of parents) merged.parents.get(child)!.add(parent);
    }
  }
  // Hosts in no group but all are in `ungrouped`, as in Ansible (so `--limit ungrouped` and group_vars/ungrouped.yml work).
  const grouped = new Set([...merged.groups.values()].filter((g) => g.name !== 'all').flatMap((g) => g.hosts));
  const loose = [...merged.hosts.keys()].filter((host) => !grouped.has(host));
  if (loose.length > 0 && !merged.groups.has('ungrouped')) {
    groupNamed('ungrouped').hosts.push(...loose);
    groupNamed('all').children.push('ungrouped');
    merged.parents.set('ungrouped', new Set(['all']));
  }
  return merged;
}

/** `group_vars/` and `host_vars/` beside each inventory source, for the groups and hosts the inventory has; later sources win. */
export async function readVarsFiles(
  sources: readonly InventorySource[],
  tree: InventoryTree,
  env: Record<string, string | undefined>,
): Promise<{ groupVarsFiles: Map<string, Record<string, unknown>>; hostVarsFiles: Map<string, Record<string, unknown>>; diagnostics: Diagnostic[] }> {
  const groupVarsFiles = new Map<string, Record<string, unknown>>();
  const hostVarsFiles = new Map<string, Record<string, unknown>>();
  const diagnostics: Diagnostic[] = [];
  const dirs = [...new Set(sources.map((source) => source.varsDir))];
  for (const varsDir of dirs) {
    for (const [kind, names, target] of [
      ['group_vars', [...tree.groups.keys()], groupVarsFiles],
      ['host_vars', [...tree.hosts.keys()], hostVarsFiles],
    ] as const) {
      for (const name of names) {
        for (const file of varsFilesFor(varsDir, kind, name)) {
          const read = await readVarsFile(file, { baseDir: varsDir, env });
          diagnostics.push(...read.diagnostics);
          target.set(name, { ...(target.get(name) ?? {}), ...read.vars });
        }
      }
      for (const entry of varsEntryNames(varsDir, kind).filter((entry) => !names.includes(entry))) {
        diagnostics.push(
          fileDiagnostic(
            `${varsDir}/${kind}/${entry}`,
            `No ${kind === 'group_vars' ? 'group' : 'host'} of the inventory is named "${entry}", so these variables apply to nothing${didYouMean(entry, names)}`,
            'warning',
          ),
        );
      }
    }
  }
  return { groupVarsFiles, hostVarsFiles, diagnostics };
}

async function readVarsFile(file: string, context: FileContext): Promise<{ vars: Record<string, unknown>; diagnostics: Diagnostic[] }> {
  const input = await readInput(file, 'variables file');
  if ('diagnostic' in input) return { vars: {}, diagnostics: [input.diagnostic] };
  if (input.text.startsWith('$ANSIBLE_VAULT;')) return { vars: {}, diagnostics: [vaultDiagnostic(file)] };
  const parsed = parseYaml(file, input.text, '1.1');
  const diagnostics = [...parsed.diagnostics];
  if (!('data' in parsed) || parsed.data === null || parsed.data === undefined) return { vars: {}, diagnostics };
  const vault = unsupportedYaml(file, input.text, undefined, parsed.source);
  if (vault.length > 0) return { vars: {}, diagnostics: [...diagnostics, ...vault] };
  if (!isRecord(parsed.data))
    return { vars: {}, diagnostics: [...diagnostics, parsed.source.diagnostic([], 'A variables file holds a mapping of names to values')] };
  // Validated as the variables of a group, with positions in this file.
  const inner: Locator = { file, diagnostic: (path, message, options) => parsed.source.diagnostic(path.slice(2), message, options) };
  const { validateInventory } = schemas();
  validateInventory({ all: { vars: parsed.data } });
  diagnostics.push(...schemaDiagnostics(validateInventory.errors, { locator: inner, rootLabel: 'The variables file' }));
  const normalized = normalizeVariables(parsed.data, [], { locator: parsed.source, ...context });
  return { vars: normalized.vars, diagnostics: [...diagnostics, ...normalized.diagnostics] };
}
