import type { Diagnostic } from './diagnostics.js';
import { iniValue } from './pythonLiteral.js';
import type { DiagnosticOptions, Locator, NodePath } from './yamlSource.js';

/**
 * An Ansible INI inventory, read into the shape of a YAML one (`all: {hosts, children: {GROUP: {hosts, vars, children}}}`) so
 * that one walker resolves both. Hosts before the first section are in no group (Ansible's `ungrouped`); `[g:vars]` and
 * `[g:children]` sections; values are Python literals where they are one (see `iniValue`).
 */
export function parseIniInventory(file: string, text: string): { data: Record<string, unknown>; locator: IniSource; diagnostics: Diagnostic[] } {
  const locator = new IniSource(file, text);
  const diagnostics: Diagnostic[] = [];
  const groups = new Map<string, { hosts: Record<string, Record<string, unknown> | null>; vars: Record<string, unknown>; children: string[] }>();
  const declared = new Set<string>(['all', 'ungrouped']); // Ansible's own groups need no section
  const childRefs: Array<{ parent: string; child: string; line: number }> = [];
  const varsRefs: Array<{ group: string; line: number }> = [];
  const ungrouped: Record<string, Record<string, unknown> | null> = {};
  const groupOf = (name: string) => {
    if (!groups.has(name)) groups.set(name, { hosts: {}, vars: {}, children: [] });
    return groups.get(name)!;
  };
  const pathOf = (group: string | undefined): NodePath => (group === undefined || group === 'all' ? ['all'] : ['all', 'children', group]);

  let group: string | undefined;
  let state: 'hosts' | 'vars' | 'children' = 'hosts';
  text.split('\n').forEach((raw, index) => {
    const lineNo = index + 1;
    const line = raw.replace(/\r$/, '').trim();
    if (line === '' || line.startsWith('#') || line.startsWith(';')) return;
    const fail = (message: string) => diagnostics.push(locator.at(lineNo, message));
    if (line.startsWith('[')) {
      const section = /^\[([^:\]\s]+)(?::(\w+))?\]\s*(?:#.*)?$/.exec(line);
      if (!section) return fail(`"${line}" is not a section header; write [group], [group:vars] or [group:children]`);
      const kind = section[2] ?? 'hosts';
      if (kind !== 'hosts' && kind !== 'vars' && kind !== 'children') {
        return fail(`[${section[1]}:${kind}] is not a kind of section; Ansible knows [group], [group:vars] and [group:children]`);
      }
      group = section[1]!;
      state = kind;
      groupOf(group);
      if (state === 'vars') varsRefs.push({ group, line: lineNo });
      else declared.add(group);
      locator.mark(pathOf(group), lineNo);
      return;
    }
    if (state === 'vars') {
      const eq = line.indexOf('=');
      if (eq < 0) return fail(`Expected key=value in [${group}:vars], got "${line}"`);
      const key = line.slice(0, eq).trim();
      groupOf(group!).vars[key] = iniValue(line.slice(eq + 1).trim());
      locator.mark([...pathOf(group), 'vars', key], lineNo);
      return;
    }
    if (state === 'children') {
      const child = /^([^:\]\s]+)\s*(?:#.*)?$/.exec(line)?.[1];
      if (child === undefined) return fail(`Expected a group name in [${group}:children], got "${line}"`);
      const children = groupOf(group!).children;
      if (!children.includes(child)) children.push(child);
      childRefs.push({ parent: group!, child, line: lineNo });
      locator.mark([...pathOf(group), 'children', child], lineNo);
      return;
    }
    const tokens = shellWords(line);
    if ('error' in tokens) return fail(tokens.error);
    const [pattern, ...assignments] = tokens.words;
    if (pattern === undefined) return;
    const vars: Record<string, unknown> = {};
    for (const assignment of assignments) {
      const eq = assignment.indexOf('=');
      if (eq < 0) return fail(`Expected key=value after the host "${pattern}", got "${assignment}"`);
      vars[assignment.slice(0, eq)] = iniValue(assignment.slice(eq + 1));
    }
    const hosts = group === undefined ? ungrouped : groupOf(group).hosts;
    hosts[pattern] = { ...(hosts[pattern] ?? {}), ...vars };
    const hostPath = [...pathOf(group), 'hosts', pattern];
    locator.mark(hostPath, lineNo);
    for (const key of Object.keys(vars)) locator.mark([...hostPath, key], lineNo);
  });

  for (const { parent, child, line } of childRefs) {
    if (!declared.has(child))
      diagnostics.push(locator.at(line, `[${parent}:children] lists "${child}", which no [${child}] or [${child}:children] section declares`));
  }
  for (const { group: name, line } of varsRefs) {
    if (!declared.has(name))
      diagnostics.push(locator.at(line, `[${name}:vars] sets variables of "${name}", which no [${name}] or [${name}:children] section declares`));
  }

  const nested = new Set(childRefs.map((ref) => ref.child));
  const groupData = (name: string): Record<string, unknown> => {
    const g = groups.get(name)!;
    return {
      ...(Object.keys(g.hosts).length > 0 ? { hosts: g.hosts } : {}),
      ...(Object.keys(g.vars).length > 0 ? { vars: g.vars } : {}),
      ...(g.children.length > 0 ? { children: Object.fromEntries(g.children.map((child) => [child, null])) } : {}),
    };
  };
  // Every group is listed at the top (its hosts, variables and children defined there), and also by name under its parents.
  const all: Record<string, unknown> = {};
  const allHosts = { ...ungrouped, ...(groups.get('all')?.hosts ?? {}) }; // an [all] section's hosts are in no other group either
  if (Object.keys(allHosts).length > 0) all.hosts = allHosts;
  const allVars = groups.get('all')?.vars;
  if (allVars && Object.keys(allVars).length > 0) all.vars = allVars;
  const children = [...groups.keys()].filter((name) => name !== 'all');
  if (children.length > 0) all.children = Object.fromEntries(children.map((name) => [name, groupData(name)]));
  if (groups.get('all')?.children.length) {
    for (const child of groups.get('all')!.children) if (!(child in (all.children as object))) (all.children as Record<string, unknown>)[child] = null;
  }
  locator.topLevel = children.filter((name) => !nested.has(name));
  return { data: { all }, locator, diagnostics };
}

/** Positions for paths in an INI inventory: each path's line, or its nearest ancestor's. */
export class IniSource implements Locator {
  private readonly lines: string[];
  private readonly lineOf = new Map<string, number>();
  /** Groups no `[x:children]` lists: the ones Ansible makes children of `all`. */
  topLevel: string[] = [];

  constructor(
    readonly file: string,
    text: string,
  ) {
    this.lines = text.split('\n').map((line) => line.replace(/\r$/, ''));
  }

  mark(path: NodePath, line: number): void {
    const key = JSON.stringify(path);
    if (!this.lineOf.has(key)) this.lineOf.set(key, line);
  }

  at(line: number, message: string, severity: Diagnostic['severity'] = 'error'): Diagnostic {
    const sourceLine = this.lines[line - 1] ?? '';
    const col = sourceLine.length - sourceLine.trimStart().length + 1;
    return { file: this.file, line, col, message, severity, sourceLine, length: Math.max(1, sourceLine.trim().length) };
  }

  diagnostic(path: NodePath, message: string, options: DiagnosticOptions = {}): Diagnostic {
    for (let n = path.length; n > 0; n--) {
      const line = this.lineOf.get(JSON.stringify(path.slice(0, n)));
      if (line !== undefined) return this.at(line, message, options.severity);
    }
    return { file: this.file, line: 0, col: 0, message, severity: options.severity ?? 'error' };
  }
}

/** A host line split as a POSIX shell would (quotes, backslashes), ending at an unquoted `#`, as Ansible splits it. */
export function shellWords(line: string): { words: string[] } | { error: string } {
  const words: string[] = [];
  let word: string | undefined;
  for (let i = 0; i < line.length; i++) {
    const c = line[i]!;
    if (c === ' ' || c === '\t') {
      if (word !== undefined) words.push(word);
      word = undefined;
    } else if (c === '#') {
      break;
    } else if (c === "'") {
      const end = line.indexOf("'", i + 1);
      if (end < 0) return { error: `Unclosed quote in "${line}"` };
      word = (word ?? '') + line.slice(i + 1, end);
      i = end;
    } else if (c === '"') {
      let text = '';
      let j = i + 1;
      for (; j < line.length && line[j] !== '"'; j++) {
        if (line[j] === '\\' && j + 1 < line.length && '\\"$`'.includes(line[j + 1]!)) j++;
        text += line[j];
      }
      if (j >= line.length) return { error: `Unclosed quote in "${line}"` };
      word = (word ?? '') + text;
      i = j;
    } else if (c === '\\' && i + 1 < line.length) {
      word = (word ?? '') + line[++i];
    } else {
      word = (word ?? '') + c;
    }
  }
  if (word !== undefined) words.push(word);
  return { words };
}
