import { readdirSync, statSync, type Stats } from 'node:fs';
import path from 'node:path';
import { fileDiagnostic, type Diagnostic } from './diagnostics.js';

/** One `-i`: the files it stands for, in Ansible's order, and the directory whose `group_vars/` and `host_vars/` apply. */
export interface InventorySource {
  given: string;
  files: string[];
  varsDir: string;
}

/** Names Ansible skips in an inventory directory (its INVENTORY_IGNORE_EXTS and the always-ignored names). */
const IGNORED_NAMES = /^\.|^(host_vars|group_vars|vars_plugins)$|(\.pyc|\.pyo|\.swp|\.bak|~|\.rpm|\.md|\.txt|\.rst|\.orig|\.ini|\.cfg|\.retry)$/;

/**
 * Each `-i` as files: a file stands for itself; a directory for every inventory file in it and its subdirectories, sorted by
 * name, skipping what Ansible skips.
 */
export function inventorySources(given: readonly string[]): { sources: InventorySource[]; diagnostics: Diagnostic[] } {
  const diagnostics: Diagnostic[] = [];
  const sources = given.map((name): InventorySource => {
    const stat = statOrUndefined(name);
    if (!stat?.isDirectory()) return { given: name, files: [name], varsDir: path.dirname(path.resolve(name)) };
    const files: string[] = [];
    const walk = (dir: string): void => {
      for (const entry of readdirSync(dir).sort()) {
        if (IGNORED_NAMES.test(entry)) continue;
        const full = path.join(dir, entry);
        const entryStat = statOrUndefined(full);
        if (entryStat?.isDirectory()) walk(full);
        else if (entryStat?.isFile()) files.push(full);
      }
    };
    walk(name);
    if (files.length === 0)
      diagnostics.push(fileDiagnostic(name, 'The inventory directory holds no inventory file (Ansible skips .ini, .cfg, .txt, .md and hidden files in one)'));
    return { given: name, files, varsDir: path.resolve(name) };
  });
  return { sources, diagnostics };
}

/** How to read an inventory file: by its extension, as Ansible's yaml and ini plugins claim them; no extension tries YAML first. */
export function inventoryFormat(file: string): 'yaml' | 'ini' | 'either' {
  const ext = path.extname(file).toLowerCase();
  if (ext === '.yml' || ext === '.yaml' || ext === '.json') return 'yaml';
  return ext === '' ? 'either' : 'ini';
}

/** The files of `group_vars/NAME` or `host_vars/NAME`: NAME, NAME.yml, NAME.yaml, NAME.json, or every such file under a NAME directory. */
export function varsFilesFor(varsDir: string, kind: 'group_vars' | 'host_vars', name: string): string[] {
  const base = path.join(varsDir, kind);
  const found: string[] = [];
  for (const candidate of [name, `${name}.yml`, `${name}.yaml`, `${name}.json`]) {
    const full = path.join(base, candidate);
    const stat = statOrUndefined(full);
    if (stat?.isFile()) found.push(full);
    else if (stat?.isDirectory() && candidate === name) found.push(...varsFilesUnder(full));
  }
  return found;
}

/** The names `group_vars/` or `host_vars/` has entries for, to warn about one that matches nothing (a typo Ansible ignores). */
export function varsEntryNames(varsDir: string, kind: 'group_vars' | 'host_vars'): string[] {
  const base = path.join(varsDir, kind);
  if (!statOrUndefined(base)?.isDirectory()) return [];
  const names = readdirSync(base)
    .filter((entry) => !entry.startsWith('.'))
    .map((entry) => entry.replace(/\.(ya?ml|json)$/i, ''));
  return [...new Set(names)];
}

function varsFilesUnder(dir: string): string[] {
  const found: string[] = [];
  for (const entry of readdirSync(dir).sort()) {
    if (entry.startsWith('.')) continue;
    const full = path.join(dir, entry);
    const stat = statOrUndefined(full);
    if (stat?.isDirectory()) found.push(...varsFilesUnder(full));
    else if (stat?.isFile() && (path.extname(entry) === '' || /\.(ya?ml|json)$/i.test(entry))) found.push(full);
  }
  return found;
}

/** An executable file that starts with `#!` is a dynamic inventory script, which Ansible runs; freshen does not. */
export const isInventoryScript = (file: string, text: string): boolean => text.startsWith('#!') && ((statOrUndefined(file)?.mode ?? 0) & 0o111) !== 0;

export const scriptDiagnostic = (file: string): Diagnostic =>
  fileDiagnostic(
    file,
    'The inventory is an executable file, which Ansible runs as a dynamic inventory script; freshen does not run inventory scripts: save its output (ansible-inventory -i FILE --list --yaml) as a YAML inventory, or clear the executable bit if it is a plain file',
  );

function statOrUndefined(file: string): Stats | undefined {
  try {
    return statSync(file);
  } catch {
    return undefined;
  }
}
