import { runSecrets } from '../shared/secretText.js';
import { readFileSync } from 'node:fs';
import { decodeInput } from './readInput.js';
import { parseDocument } from 'yaml';
import { fileDiagnostic, type Diagnostic } from './diagnostics.js';
import { describeValue, schemaDiagnostics } from './schemaErrors.js';
import { schemas } from './schemas.js';
import { isRecord } from './variables.js';
import { parseYaml, type Locator } from './yamlSource.js';

/** The file name diagnostics about `-e` arguments carry. */
export const EXTRA_VARS_SOURCE = '-e';

const VARIABLE_NAME = /^[A-Za-z_][A-Za-z0-9_]*$/;

/**
 * Parses `-e` arguments, later ones overriding earlier ones: `key=value` (the value read as a YAML scalar, or a flow
 * collection when it starts with `{` or `[`), `{key: value, …}` (a YAML map), or `@file.yml` (a YAML file holding a map).
 * Known variables are checked against the inventory schema.
 */
export function parseExtraVars(pairs: readonly string[]): { vars: Record<string, unknown>; diagnostics: Diagnostic[] } {
  const vars: Record<string, unknown> = {};
  const diagnostics: Diagnostic[] = [];
  for (const arg of pairs) {
    registerArgumentSecrets(arg);
    const parsed = arg.startsWith('@') ? fromFile(arg.slice(1)) : arg.trimStart().startsWith('{') ? fromYaml(arg) : fromPair(arg);
    diagnostics.push(...parsed.diagnostics);
    Object.assign(vars, parsed.vars);
  }
  return { vars, diagnostics };
}

type Parsed = { vars: Record<string, unknown>; diagnostics: Diagnostic[] };

const SECRETISH = /(password|secret|token|passphrase)[\w]*\s*[=:]\s*["']?([^\s,"'}]+)/gi;

/**
 * An argument is echoed under its own diagnostics: the value of a secret-looking key (`password=…`, `{password: …}`, even in an
 * argument too broken to parse) is registered first, so the echo is scrubbed.
 */
function registerArgumentSecrets(arg: string): void {
  for (const match of arg.matchAll(SECRETISH)) runSecrets.add(match[2]);
}

/** Locates problems of a one-line argument on the argument itself; `key` and `value` are its two underlined spans. */
function argumentLocator(arg: string, key: [number, number], value: [number, number]): Locator {
  return {
    file: EXTRA_VARS_SOURCE,
    diagnostic: (path, message, options) => {
      const [start, end] = options?.at === 'key' || path.length === 0 ? key : value;
      return {
        file: EXTRA_VARS_SOURCE,
        line: 1,
        col: start + 1,
        message,
        severity: options?.severity ?? 'error',
        sourceLine: arg,
        length: Math.max(1, end - start),
      };
    },
  };
}

function fromPair(arg: string): Parsed {
  const equals = arg.indexOf('=');
  const whole: [number, number] = [0, arg.length];
  if (equals <= 0) {
    const locator = argumentLocator(arg, whole, whole);
    return { vars: {}, diagnostics: [locator.diagnostic([], 'Expected key=value, a YAML map such as {key: value}, or @file.yml')] };
  }
  const key = arg.slice(0, equals);
  const locator = argumentLocator(arg, [0, equals], [equals + 1, arg.length]);
  if (!VARIABLE_NAME.test(key)) {
    return {
      vars: {},
      diagnostics: [locator.diagnostic([], `"${key}" is not a variable name; use letters, digits and "_", not starting with a digit`)],
    };
  }
  // A variable that must be text stays text: `-e rollout_tag=2024` means the tag "2024", not a number.
  const expectsText = schemas().inventory.$defs?.variables?.properties?.[key]?.type === 'string';
  const text = arg.slice(equals + 1);
  const vars = { [key]: expectsText ? text : scalarValue(text) };
  return { vars, diagnostics: validate(vars, locator) };
}

/** `8080` → 8080, `true` → true, `{a: 1}` → a map; text that is not one YAML value stays text. */
function scalarValue(text: string): unknown {
  if (text === '') return '';
  const doc = parseDocument(text);
  if (doc.errors.length > 0) return text;
  let value: unknown;
  try {
    value = doc.toJS();
  } catch {
    // An alias with no anchor (`*x`) parses but cannot be resolved: as a one-line value it is just text.
    return text;
  }
  if (value === null) return /^(~|null|Null|NULL)$/.test(text.trim()) ? null : text;
  if (typeof value === 'object' && !/^\s*[[{]/.test(text)) return text; // `a: b` is text, not a map
  return value;
}

function fromYaml(arg: string): Parsed {
  const parsed = parseYaml(EXTRA_VARS_SOURCE, arg);
  if (!('data' in parsed)) return { vars: {}, diagnostics: parsed.diagnostics };
  return mapOf(parsed.data, parsed.source, parsed.diagnostics, `-e {…}`);
}

function fromFile(file: string): Parsed {
  let bytes: Buffer;
  try {
    bytes = readFileSync(file);
  } catch (error) {
    const code = (error as NodeJS.ErrnoException).code;
    const why = code === 'ENOENT' ? 'no such file' : String(code ?? error);
    return { vars: {}, diagnostics: [fileDiagnostic(file, `Cannot read the -e variables file: ${why}`)] };
  }
  const decoded = decodeInput(file, '-e variables file', bytes);
  if ('diagnostic' in decoded) return { vars: {}, diagnostics: [decoded.diagnostic] };
  const parsed = parseYaml(file, decoded.text);
  if (!('data' in parsed)) return { vars: {}, diagnostics: parsed.diagnostics };
  return mapOf(parsed.data, parsed.source, parsed.diagnostics, `An -e @file`);
}

function mapOf(data: unknown, locator: Locator, diagnostics: Diagnostic[], what: string): Parsed {
  if (!isRecord(data)) {
    return { vars: {}, diagnostics: [...diagnostics, locator.diagnostic([], `${what} must hold a map of variables, not ${describeValue(data)}`)] };
  }
  return { vars: data, diagnostics: [...diagnostics, ...validate(data, locator)] };
}

function validate(vars: Record<string, unknown>, locator: Locator): Diagnostic[] {
  const { validateVariables } = schemas();
  validateVariables(vars);
  return schemaDiagnostics(validateVariables.errors, { locator, rootLabel: 'The extra variables' });
}
