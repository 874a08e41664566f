import { stringify } from 'yaml';
import { STEP_KINDS } from '../model/playbook.js';
import type { Diagnostic } from './diagnostics.js';
import { schemas, type ErrorObject, type SchemaNode } from './schemas.js';
import { didYouMean } from './suggest.js';
import type { Locator, NodePath } from './yamlSource.js';
import { STEP_KIND_SPECS } from '../steps/kinds.js';
import { optionsPhrases } from '../steps/stepSchema.js';

/** How to word errors for one kind of file. */
export interface SchemaErrorContext {
  locator: Locator;
  /** `The playbook`, `The inventory`: how to call the document as a whole. */
  rootLabel: string;
  /** What the items of a top-level list are (`play`). */
  rootItemNoun?: string;
  /** Prepended to every error path, when the validated value sits inside the file (play `vars`). */
  pathPrefix?: NodePath;
}

/** What a value should be, by `$defs` entry; better words than a list of JSON types. */
export const DEF_PHRASES: Record<string, string> = {
  inventory: 'a map whose only top-level key is all',
  playbook: 'a list of plays, each starting with "- name:"',
  play: 'a play: a map with name, hosts and steps',
  group: 'a group: a map with hosts, children and/or vars',
  host: 'a map of host variables (or empty)',
  variables: 'a map of variables',
  docker: 'a map of Docker connection settings with at least host',
  ssh: 'a map of SSH settings with at least host and user',
  registryAuth: 'a map with username and one of password_env, password_file or password',
  registryGc: 'a map with command (and optionally before, after, data_dir)',
  batchSize: 'a number of hosts or a percentage such as "25%"',
  duration: 'a duration such as 90s, 2m or 1500ms, or a number of seconds',
  buildArgs: 'a map of build argument names to values',
  'step.else': 'a step name such as pull, or a one-key map such as stop: {timeout: 30s}',
  noOptions: 'empty, because this step takes no options',
  // Each kind's options node, in the words its definition gives (src/steps/<kind>/definition.ts).
  ...optionsPhrases(Object.values(STEP_KIND_SPECS)),
};

/** What a value should look like, by `parent.key` or `key`, for values whose schema is written inline. */
const PROPERTY_PHRASES: Record<string, string> = {
  serial: 'a number of hosts, a percentage such as "25%", or a list of them',
  registry: 'a registry name, host or host:port, with no scheme or path',
  registry_url: 'an http:// or https:// URL',
  rollout_tag: 'an image tag: letters, digits, "_", "." and "-", at most 128, not starting with "." or "-"',
  stages: 'a list of at least two rollout tags, first stage first, such as [canary, prod]',
  tag: 'an image tag: letters, digits, "_", "." and "-", at most 128, not starting with "." or "-"',
  'docker.host': 'a Docker address: unix:///path/to/docker.sock, tcp://host:port or ssh://[user@]host',
  password_env: 'an environment variable name: letters, digits and "_", not starting with a digit',
  date_format: 'usable in an image tag, with at least one date token: letters, digits, "_", "." and "-" (YYYY MM DD HH mm ss are replaced by the date)',
};

const TYPE_PHRASES: Record<string, string> = {
  integer: 'a whole number',
  number: 'a number',
  string: 'text',
  boolean: 'true or false',
  object: 'a map',
  array: 'a list',
  null: 'empty',
};

/** Schema keywords whose errors get a sentence of their own (or are dropped as wrappers); others fall back to ajv's words. */
export const WORDED_KEYWORDS = [
  'additionalProperties',
  'required',
  'type',
  'enum',
  'pattern',
  'minimum',
  'exclusiveMinimum',
  'maximum',
  'exclusiveMaximum',
  'minItems',
  'minLength',
  'maxProperties',
  'minProperties',
  'propertyNames',
  'if',
  'anyOf',
  'oneOf',
  'not',
] as const;

const ITEM_NOUNS: Record<string, string> = { steps: 'step', serial: 'serial entry', force: 'force entry' };

/** `Unknown step "pul"; did you mean "pull"?`, shared by the schema messages and the step-kind rule. */
export const unknownStepMessage = (kind: string): string =>
  `Unknown step "${kind}"${didYouMean(kind, STEP_KINDS) || `; the steps are ${STEP_KINDS.join(', ')}`}`;

/** One sentence per schema violation, placed on the offending YAML node; wrapper errors (`if`, `anyOf`, …) are dropped. */
export function schemaDiagnostics(errors: readonly ErrorObject[] | null | undefined, context: SchemaErrorContext): Diagnostic[] {
  const diagnostics: Diagnostic[] = [];
  for (const error of errors ?? []) {
    const described = describeError(error, context);
    if (!described) continue;
    const d = context.locator.diagnostic(described.path, described.message, { at: described.at });
    if (!diagnostics.some((o) => o.line === d.line && o.col === d.col && o.message === d.message)) diagnostics.push(d);
  }
  return diagnostics;
}

interface Described {
  path: NodePath;
  message: string;
  at: 'key' | 'value';
}

function describeError(error: ErrorObject, context: SchemaErrorContext): Described | undefined {
  if (['if', 'anyOf', 'oneOf', 'not', 'propertyNames'].includes(error.keyword)) return undefined; // their inner errors say it better
  const path = [...(context.pathPrefix ?? []), ...pointerSegments(error.instancePath)];
  const parentSchema = (error.parentSchema ?? {}) as SchemaNode;
  const defName = schemas().defName(parentSchema);
  const label = capitalize(labelOf(path, context));
  const data: unknown = error.data;
  const params = error.params as Record<string, unknown>;

  // propertyNames errors carry the offending key; the wrapper error was dropped above.
  const propertyName = (error as ErrorObject & { propertyName?: string }).propertyName;
  if (propertyName !== undefined) {
    const host = path.at(-1) === 'hosts';
    return {
      path: [...path, propertyName],
      at: 'key',
      message: host
        ? `Host name "${propertyName}" cannot contain spaces or any of , & ! * ? ~, because host patterns use them ([a:b] ranges and :port are allowed)`
        : `Group name "${propertyName}" cannot contain spaces or any of : , & ! * ? [ ] ~, because host patterns use them`,
    };
  }

  switch (error.keyword) {
    case 'additionalProperties': {
      const key = String(params.additionalProperty);
      const keyPath = [...path, key];
      if (defName === 'step.else') return { path: keyPath, at: 'key', message: unknownStepMessage(key) };
      if (defName === 'noOptions') {
        const kind = String(path.at(-1));
        return { path: keyPath, at: 'key', message: `The ${kind} step takes no options, but "${key}" was given; write the step as "- ${kind}"` };
      }
      const allowed = Object.keys(parentSchema.properties ?? {});
      const hint =
        didYouMean(key, allowed) ||
        (defName === 'inventory'
          ? `; the inventory starts with all, and groups go under all.children`
          : `; expected ${allowed.map((k) => `"${k}"`).join(', ')}`);
      return { path: keyPath, at: 'key', message: `Unknown key "${key}" in ${objectNoun(path, context)}${hint}` };
    }
    case 'required': {
      const key = String(params.missingProperty);
      const property = parentSchema.properties?.[key];
      const example = exampleOf(key, property);
      const explanation = example ?? (property?.description ? ` (${firstSentence(property.description)})` : '');
      return { path, at: 'key', message: `${capitalize(objectNoun(path, context))} is missing "${key}"${explanation}` };
    }
    case 'type': {
      // YAML reads `tag: 2024` as a number; say so, since the value looks right to the person who wrote it.
      if (params.type === 'string' && (typeof data === 'number' || typeof data === 'boolean') && typeof path.at(-1) === 'string') {
        const key = String(path.at(-1));
        return { path, at: 'value', message: `${label} must be text, but YAML reads ${String(data)} as a ${typeof data}; quote it: ${key}: "${String(data)}"` };
      }
      const expected = (defName && DEF_PHRASES[defName]) ?? propertyPhrase(path) ?? typesPhrase(params.type);
      return { path, at: 'value', message: `${label} must be ${expected}, not ${describeValue(data)}${exampleOf(path.at(-1), parentSchema) ?? ''}` };
    }
    case 'enum': {
      if (defName === 'step.then') return { path, at: 'value', message: unknownStepMessage(String(data)) };
      const allowed = (params.allowedValues as unknown[]).map(String);
      const hint = typeof data === 'string' ? didYouMean(data, allowed) : '';
      return { path, at: 'value', message: `${label} must be one of ${allowed.join(', ')}, not ${describeValue(data)}${hint}` };
    }
    case 'pattern': {
      const expected = propertyPhrase(path) ?? (defName && DEF_PHRASES[defName]) ?? 'in the expected format';
      return { path, at: 'value', message: `${label} must be ${expected}, not ${describeValue(data)}${exampleOf(path.at(-1), parentSchema) ?? ''}` };
    }
    case 'minimum':
    case 'exclusiveMinimum':
      return { path, at: 'value', message: `${label} must be at least ${String(params.limit)}, not ${describeValue(data)}` };
    case 'maximum':
    case 'exclusiveMaximum':
      return { path, at: 'value', message: `${label} must be at most ${String(params.limit)}, not ${describeValue(data)}` };
    case 'minItems':
    case 'minLength':
      return { path, at: 'value', message: `${label} must not be empty${exampleOf(path.at(-1), parentSchema) ?? ''}` };
    case 'maxProperties':
      if (defName === 'step.else') {
        const keys = Object.keys(data as object);
        return {
          path,
          at: 'value',
          message: `${label} must name one step, but it has ${keys.length} keys (${keys.join(', ')}); put each step in its own list item`,
        };
      }
      break;
    case 'minProperties':
      if (defName === 'step.else') {
        return { path, at: 'value', message: `${label} is an empty map; name a step, such as pull or stop: {timeout: 30s}` };
      }
      break;
  }
  return { path, at: 'value', message: `${label} ${error.message ?? 'is invalid'}` };
}

/** `/all/hosts/web~1a/0` → `['all', 'hosts', 'web/a', 0]`; digits are list indexes (map keys that look like numbers still find their node). */
function pointerSegments(pointer: string): Array<string | number> {
  if (pointer === '') return [];
  return pointer
    .slice(1)
    .split('/')
    .map((s) => s.replace(/~1/g, '/').replace(/~0/g, '~'))
    .map((s) => (/^(0|[1-9]\d*)$/.test(s) ? Number(s) : s));
}

/** How to name the value at `path` at the start of a sentence: `"serial"`, `step 3`, `play 2`, `The playbook`. */
function labelOf(path: NodePath, context: SchemaErrorContext): string {
  const last = path.at(-1);
  if (last === undefined) return context.rootLabel;
  if (typeof last === 'number') {
    const parent = path.at(-2);
    const noun = parent === undefined ? (context.rootItemNoun ?? 'item') : (ITEM_NOUNS[String(parent)] ?? `item of "${String(parent)}"`);
    return `${noun} ${last + 1}`;
  }
  return `"${last}"`;
}

/** How to name the map at `path` after "in": `play 2`, `group "web"`, `host "web1"`, `the stop step` (its options). */
function objectNoun(path: NodePath, context: SchemaErrorContext): string {
  const last = path.at(-1);
  const parent = path.at(-2);
  if (last === undefined) return context.rootLabel.replace(/^The /, 'the ');
  if (typeof last === 'number') return labelOf(path, context);
  if (typeof parent === 'number' && path.at(-3) === 'steps') return `the ${last} step`;
  if (parent === 'hosts') return `host "${last}"`;
  if (parent === 'children' || (path.length === 1 && last === 'all')) return `group "${last}"`;
  return `"${last}"`;
}

function propertyPhrase(path: NodePath): string | undefined {
  const key = path.at(-1);
  const parent = path.at(-2);
  if (typeof key !== 'string') return undefined; // list entries are worded by their schema (`batchSize`)
  return (typeof parent === 'string' ? PROPERTY_PHRASES[`${parent}.${key}`] : undefined) ?? PROPERTY_PHRASES[String(key)];
}

function typesPhrase(type: unknown): string {
  const types = (Array.isArray(type) ? type : [type]).map(String);
  const meaningful = types.length > 1 ? types.filter((t) => t !== 'null') : types;
  const words = meaningful.map((t) => TYPE_PHRASES[t] ?? t);
  return words.length <= 1 ? (words[0] ?? 'something else') : `${words.slice(0, -1).join(', ')} or ${words.at(-1)}`;
}

/** `"x"`, `42`, `true`, `empty`, `a list`, `a map`: what the user wrote, briefly. */
export function describeValue(value: unknown): string {
  if (value === null || value === undefined) return 'empty';
  if (Array.isArray(value)) return 'a list';
  if (typeof value === 'object') return 'a map';
  if (typeof value === 'string') return JSON.stringify(value.length > 40 ? `${value.slice(0, 37)}...` : value);
  return String(value);
}

/** `; for example: hosts: web` from the schema's `examples`, for values that have a key to show. */
function exampleOf(key: string | number | undefined, node: SchemaNode | undefined): string | undefined {
  const example = node?.examples?.[0];
  if (typeof key !== 'string' || example === undefined) return undefined;
  const text = stringify(example, { collectionStyle: 'flow', lineWidth: 0, flowCollectionPadding: false, nullStr: '~' }).trim();
  return `; for example: ${key}: ${text}`;
}

const firstSentence = (text: string): string => text.split(/\.(\s|$)/)[0]!.replace(/^./, (c) => c.toLowerCase());
const capitalize = (text: string): string => text.replace(/^./, (c) => c.toUpperCase());
