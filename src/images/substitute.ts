/** Variables visible to a Dockerfile word: a name maps to its value, or to undefined when declared but unset. */
export type ArgValues = ReadonlyMap<string, string | undefined>;

/** A word could not be expanded (unclosed `${`, unsupported modifier). */
export class SubstitutionError extends Error {
  override name = 'SubstitutionError';
}

const NAME = /^[A-Za-z_][A-Za-z0-9_]*/;

/**
 * Expands one Dockerfile word the way the builder does for `FROM` and `ARG`: `$VAR`, `${VAR}`, `${VAR:-default}`,
 * `${VAR-default}`, `${VAR:+alt}`, `${VAR+alt}`; quotes are removed (single quotes keep `$` literal); the escape character
 * makes the next character literal. Unknown variables expand to the empty string.
 */
export function substituteWord(word: string, values: ArgValues, escape = '\\'): string {
  let out = '';
  let i = 0;
  let quote: '"' | "'" | undefined;
  while (i < word.length) {
    const c = word[i]!;
    if (quote === "'") {
      if (c === "'") quote = undefined;
      else out += c;
      i += 1;
    } else if (c === escape && i + 1 < word.length) {
      out += word[i + 1];
      i += 2;
    } else if (c === "'" && quote === undefined) {
      quote = "'";
      i += 1;
    } else if (c === '"') {
      quote = quote === '"' ? undefined : '"';
      i += 1;
    } else if (c === '$') {
      const [text, next] = expandVariable(word, i, values, escape);
      out += text;
      i = next;
    } else {
      out += c;
      i += 1;
    }
  }
  if (quote) throw new SubstitutionError(`unclosed ${quote} quote in "${word}"`);
  return out;
}

/** Expands the variable starting at `word[start] === '$'`; returns the text and the index after it. */
function expandVariable(word: string, start: number, values: ArgValues, escape: string): [string, number] {
  const rest = word.slice(start + 1);
  if (!rest.startsWith('{')) {
    const name = NAME.exec(rest)?.[0];
    if (!name) return ['$', start + 1];
    return [values.get(name) ?? '', start + 1 + name.length];
  }
  const close = matchingBrace(word, start + 1, escape);
  if (close < 0) throw new SubstitutionError(`unclosed \${ in "${word}"`);
  const inner = word.slice(start + 2, close);
  const name = NAME.exec(inner)?.[0];
  if (!name) throw new SubstitutionError(`bad variable name in "\${${inner}}"`);
  const modifier = inner.slice(name.length);
  const value = values.get(name);
  const isSet = value !== undefined;
  const isNonEmpty = isSet && value !== '';
  const next = close + 1;
  if (modifier === '') return [value ?? '', next];
  const operator = /^(:-|-|:\+|\+)/.exec(modifier)?.[0];
  if (!operator) throw new SubstitutionError(`unsupported modifier in "\${${inner}}"`);
  const alternative = () => substituteWord(modifier.slice(operator.length), values, escape);
  switch (operator) {
    case ':-':
      return [isNonEmpty ? value : alternative(), next];
    case '-':
      return [isSet ? value : alternative(), next];
    case ':+':
      return [isNonEmpty ? alternative() : '', next];
    default:
      return [isSet ? alternative() : '', next];
  }
}

/** Index of the `}` closing the `{` at `open`, honouring nesting and the escape character; -1 when unclosed. */
function matchingBrace(word: string, open: number, escape: string): number {
  let depth = 0;
  for (let i = open; i < word.length; i++) {
    const c = word[i];
    if (c === escape) i += 1;
    else if (c === '{') depth += 1;
    else if (c === '}' && --depth === 0) return i;
  }
  return -1;
}

/** Splits an instruction's arguments into words on unquoted, unescaped whitespace (quotes are kept for substituteWord). */
export function splitWords(text: string, escape = '\\'): string[] {
  const words: string[] = [];
  let current = '';
  let quote: string | undefined;
  for (let i = 0; i < text.length; i++) {
    const c = text[i]!;
    if (c === escape && quote !== "'" && i + 1 < text.length) {
      current += c + text[i + 1];
      i += 1;
    } else if (quote) {
      if (c === quote) quote = undefined;
      current += c;
    } else if (c === '"' || c === "'") {
      quote = c;
      current += c;
    } else if (/\s/.test(c)) {
      if (current) words.push(current);
      current = '';
    } else {
      current += c;
    }
  }
  if (current) words.push(current);
  return words;
}
