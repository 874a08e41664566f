import { runSecrets } from '../shared/secretText.js';
import {
  isAlias,
  isMap,
  isPair,
  isScalar,
  isSeq,
  LineCounter,
  parseDocument,
  visit,
  type Document,
  type Node,
  type Pair,
  type ScalarTag,
  type Tags,
  type YAMLMap,
} from 'yaml';
import { fileDiagnostic, type Diagnostic } from './diagnostics.js';

/** Where a value sits in a parsed document: map keys and sequence indexes from the root, like a JSON pointer. */
export type NodePath = ReadonlyArray<string | number>;

export interface DiagnosticOptions {
  /** Point at the entry's key (`hsots:`) rather than its value; the default is the value. */
  at?: 'key' | 'value';
  severity?: Diagnostic['severity'];
}

/** Turns a path in some input into a positioned diagnostic. */
export interface Locator {
  readonly file: string;
  diagnostic(path: NodePath, message: string, options?: DiagnosticOptions): Diagnostic;
}

/** Input with no positions (command-line arguments): every diagnostic names the source only. */
export const positionlessLocator = (file: string): Locator => ({
  file,
  diagnostic: (_path, message, options) => fileDiagnostic(file, message, options?.severity),
});

/** A parsed YAML file that remembers where every node came from. */
export class YamlSource implements Locator {
  private readonly lines: string[];

  constructor(
    readonly file: string,
    readonly text: string,
    readonly doc: Document,
    private readonly lineCounter: LineCounter,
  ) {
    this.lines = text.split('\n').map((line) => line.replace(/\r$/, ''));
  }

  diagnostic(path: NodePath, message: string, options: DiagnosticOptions = {}): Diagnostic {
    const [start, end] = this.rangeOf(path, options.at ?? 'value');
    return this.diagnosticAtOffset(start, end, message, options.severity ?? 'error');
  }

  /** A diagnostic underlining `start`..`end` (clipped to the first line). */
  diagnosticAtOffset(start: number, end: number, message: string, severity: Diagnostic['severity'] = 'error'): Diagnostic {
    const { line, col } = this.lineCounter.linePos(start);
    const sourceLine = this.lines[line - 1] ?? '';
    const length = Math.max(1, Math.min(end - start, sourceLine.length - (col - 1)));
    return { file: this.file, line, col, message, severity, sourceLine, length };
  }

  /** The offsets of the node at `path`, or of the deepest existing node on the way there. */
  private rangeOf(path: NodePath, at: 'key' | 'value'): [number, number] {
    const { pair, node } = findNode(this.doc, path);
    const keyRange = pair && isScalar(pair.key) ? pair.key.range : undefined;
    const valueRange = node?.range ?? undefined;
    const hasValue = valueRange !== undefined && valueRange[1] > valueRange[0];
    const range = at === 'key' ? (keyRange ?? (hasValue ? valueRange : undefined)) : hasValue ? valueRange : (keyRange ?? valueRange);
    return range ? [range[0], range[1]] : [0, 1];
  }
}

/** Walks `path` through maps (including `<<` merges) and sequences; stops at the deepest node that exists. */
function findNode(doc: Document, path: NodePath): { pair?: Pair; node?: Node } {
  let node = doc.contents as Node | null;
  let pair: Pair | undefined;
  for (const segment of path) {
    if (isAlias(node)) node = (node.resolve(doc) as Node | undefined) ?? null;
    if (isMap(node)) {
      const found = findPair(doc, node, String(segment));
      if (!found) break;
      pair = found;
      node = (found.value as Node | null) ?? null;
    } else if (isSeq(node) && typeof segment === 'number' && node.items[segment] !== undefined) {
      pair = undefined;
      node = node.items[segment] as Node;
    } else {
      break;
    }
  }
  return { pair, node: node ?? undefined };
}

function findPair(doc: Document, map: YAMLMap, key: string): Pair | undefined {
  // The last of duplicate keys, as that is the one the parsed data holds.
  const direct = [...map.items].reverse().find((p) => isScalar(p.key) && String(p.key.value) === key);
  if (direct) return direct as Pair;
  // Keys brought in by `<<: *anchor` are found in the anchored map.
  for (const p of map.items) {
    if (!isScalar(p.key) || typeof p.key.value !== 'symbol') continue;
    const sources = isSeq(p.value) ? p.value.items : [p.value];
    for (const source of sources) {
      const resolved = isAlias(source) ? source.resolve(doc) : source;
      if (isMap(resolved)) {
        const found = findPair(doc, resolved, key);
        if (found) return found;
      }
    }
  }
  return undefined;
}

/** YAML 1.1 as PyYAML reads it: yes/no/on/off/true/false in their three spellings are booleans, but y and n are text. */
function pyyamlBooleans(tags: Tags): Tags {
  return tags.map((tag) => {
    if (typeof tag !== 'object' || tag.tag !== 'tag:yaml.org,2002:bool' || !('test' in tag) || !(tag.test instanceof RegExp)) return tag;
    return { ...(tag as ScalarTag), test: new RegExp(tag.test.source.replace(/^\^\(\?:[YN]\|[yn]\|/, '^(?:')) };
  });
}

/** Messages for YAML errors that deserve better words than the parser's. */
const YAML_ERROR_MESSAGES: Record<string, string> = {
  TAB_AS_INDENT: 'Tabs cannot indent YAML; indent with spaces',
  MULTIPLE_DOCS: 'The file holds more than one YAML document (a "---" line); freshen reads one, so remove the extra "---"',
};

/** Parses YAML, reporting syntax errors, unknown aliases and duplicate keys as diagnostics. `data` is set when the YAML is usable. */
export function parseYaml(
  file: string,
  text: string,
  /** '1.1' for what Ansible reads (with PyYAML): yes/no/on/off are booleans there. */
  version: '1.1' | '1.2' = '1.2',
): { source: YamlSource; data?: unknown; diagnostics: Diagnostic[] } {
  const lineCounter = new LineCounter();
  const doc = parseDocument(text, {
    lineCounter,
    merge: true,
    prettyErrors: false,
    logLevel: 'error',
    version,
    ...(version === '1.1' ? { customTags: pyyamlBooleans } : {}),
  });
  const source = new YamlSource(file, text, doc, lineCounter);
  // Secrets are known before any diagnostic can quote them (a wrong-type password, the source line under a problem).
  registerSecrets(doc);
  const diagnostics: Diagnostic[] = [];
  for (const error of doc.errors) {
    if (error.code === 'DUPLICATE_KEY') continue; // reported below, with where the first one is
    const message = YAML_ERROR_MESSAGES[error.code] ?? `Invalid YAML: ${error.message.replace(/[.\s]*$/, '')}`;
    const diagnostic = source.diagnosticAtOffset(error.pos[0], error.pos[1], message);
    // One broken line often confuses the parser several times over; the first complaint is the useful one.
    if (!diagnostics.some((d) => d.line === diagnostic.line)) diagnostics.push(diagnostic);
  }
  for (const warning of doc.warnings) {
    diagnostics.push(source.diagnosticAtOffset(warning.pos[0], warning.pos[1], `YAML: ${warning.message}`, 'warning'));
  }
  diagnostics.push(...unknownAliases(source));
  if (!diagnostics.some((d) => d.severity === 'error')) diagnostics.push(...badMergeKeys(source), ...collectionKeys(source), ...aliasExpansion(source));
  // Duplicate keys are errors too, but the document is still readable, so later checks can report more at once.
  const usable = !diagnostics.some((d) => d.severity === 'error');
  diagnostics.push(...duplicateKeys(source));
  if (!usable) return { source, diagnostics };
  try {
    // The expansion was measured above, so yaml's own alias limit (which refuses ordinary inventories) is not needed.
    // Keys that are collections are diagnosed above; yaml's own warning would go to stderr past freshen's output.
    return { source, data: doc.toJS({ maxAliasCount: -1 }), diagnostics };
  } catch (error) {
    return {
      source,
      diagnostics: [...diagnostics, fileDiagnostic(file, `The YAML could not be read: ${error instanceof Error ? error.message : String(error)}`)],
    };
  }
}

function duplicateKeys(source: YamlSource): Diagnostic[] {
  const diagnostics: Diagnostic[] = [];
  visit(source.doc, {
    Map(_key, map) {
      const seen = new Map<string, number>();
      for (const pair of map.items) {
        if (!isScalar(pair.key) || typeof pair.key.value === 'symbol' || !pair.key.range) continue;
        const name = String(pair.key.value);
        const first = seen.get(name);
        if (first === undefined) {
          seen.set(name, pair.key.range[0]);
          continue;
        }
        const firstLine = source.diagnosticAtOffset(first, first + 1, '').line;
        diagnostics.push(
          source.diagnosticAtOffset(
            pair.key.range[0],
            pair.key.range[1],
            `Duplicate key "${name}" (first on line ${firstLine}); YAML would keep only the last one, so merge the two entries`,
          ),
        );
      }
    },
  });
  return diagnostics;
}

/** How many values a document may expand to through its aliases: far beyond any real inventory, far below an alias bomb. */
export const MAX_EXPANDED_VALUES = 1_000_000;

/**
 * Measures what the aliases expand to, without expanding them: each node's size is counted once and reused. An alias inside
 * the very value it names (a cycle) and an expansion past MAX_EXPANDED_VALUES (a "billion laughs") are diagnostics, so neither
 * reaches the validator, which would overflow its stack or run out of memory.
 */
function aliasExpansion(source: YamlSource): Diagnostic[] {
  const sizes = new Map<unknown, number>();
  const open = new Set<unknown>();
  let problem: Diagnostic | undefined;
  const at = (node: { range?: [number, number, number] | null }, message: string): Diagnostic =>
    node.range ? source.diagnosticAtOffset(node.range[0], node.range[1], message) : fileDiagnostic(source.file, message);
  const size = (node: unknown): number => {
    if (problem || node === null || typeof node !== 'object') return 1;
    const known = sizes.get(node);
    if (known !== undefined) return known;
    if (open.has(node)) return 1;
    let total = 1;
    if (isAlias(node)) {
      const target = node.resolve(source.doc);
      if (target && open.has(target)) {
        problem = at(node, `The alias "*${node.source}" is inside the value it names, so it never ends; copy the values instead`);
        return 1;
      }
      total = size(target);
    } else if (isMap(node) || isSeq(node)) {
      open.add(node);
      for (const item of node.items as unknown[]) {
        total += isPair(item) ? size(item.key) + size(item.value) : size(item);
        if (total > MAX_EXPANDED_VALUES) break;
      }
      open.delete(node);
    }
    if (total > MAX_EXPANDED_VALUES && !problem) {
      problem = at(
        node as { range?: [number, number, number] | null },
        `The aliases here expand to more than ${MAX_EXPANDED_VALUES.toLocaleString('en')} values; an inventory this large is a mistake or an attack`,
      );
    }
    sizes.set(node, total);
    return total;
  };
  size(source.doc.contents);
  return problem ? [problem] : [];
}

/** `<<:` merges maps only: `<<: 5` or `<<: [a, b]` would make the parser throw with no position. */
function badMergeKeys(source: YamlSource): Diagnostic[] {
  const diagnostics: Diagnostic[] = [];
  const isMapLike = (node: unknown): boolean => isMap(node) || (isAlias(node) && isMap(node.resolve(source.doc)));
  visit(source.doc, {
    Pair(_key, pair) {
      if (!isScalar(pair.key) || (pair.key.value !== '<<' && typeof pair.key.value !== 'symbol')) return;
      const value = pair.value;
      const ok = isMapLike(value) || (isSeq(value) && value.items.every(isMapLike));
      const range = (value as { range?: [number, number, number] } | null)?.range ?? pair.key.range;
      if (!ok && range) {
        diagnostics.push(
          source.diagnosticAtOffset(range[0], range[1], 'A merge key (<<) takes a map, an alias of a map, or a list of them, such as <<: *defaults'),
        );
      }
    },
  });
  return diagnostics;
}

/** `? [a, b]: x` or `{a: 1}: x`: a key that is a list or a map, which no variable or option name can be. */
function collectionKeys(source: YamlSource): Diagnostic[] {
  const diagnostics: Diagnostic[] = [];
  visit(source.doc, {
    Pair(_key, pair) {
      const key = pair.key as Node | null;
      const range = (key as { range?: [number, number, number] } | null)?.range;
      const resolved = isAlias(key) ? key.resolve(source.doc) : key;
      if ((isMap(resolved) || isSeq(resolved)) && range) {
        diagnostics.push(source.diagnosticAtOffset(range[0], range[1], 'A key must be a name, not a list or a map'));
      }
    },
  });
  return diagnostics;
}

function unknownAliases(source: YamlSource): Diagnostic[] {
  const diagnostics: Diagnostic[] = [];
  visit(source.doc, {
    Alias(_key, alias) {
      if (alias.resolve(source.doc) !== undefined || !alias.range) return;
      diagnostics.push(
        source.diagnosticAtOffset(alias.range[0], alias.range[1], `Unknown alias "*${alias.source}"; define the anchor "&${alias.source}" earlier in the file`),
      );
    },
  });
  return diagnostics;
}

/**
 * Registers the document's secrets from its nodes, without resolving aliases (an anchored value is visited once, where it is
 * written, so an alias bomb costs nothing here): values under secret-looking keys, URL passwords, username/password pairs.
 */
function registerSecrets(doc: Document): void {
  visit(doc, {
    Map(_key, map) {
      const plain: Record<string, unknown> = {};
      for (const pair of map.items) {
        if (isScalar(pair.key) && isScalar(pair.value)) plain[String(pair.key.value)] = pair.value.value;
      }
      runSecrets.addFrom(plain);
    },
    Scalar(_key, scalar) {
      if (typeof scalar.value === 'string') runSecrets.addFrom(scalar.value);
    },
  });
}
