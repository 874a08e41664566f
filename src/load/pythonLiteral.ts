/**
 * The value of an INI inventory's `key=value`, as Ansible reads it: a Python literal when it is one (`1`, `1.5`, `True`,
 * `None`, `'text'`, `[1, 2]`, `{'a': 1}`), the text as written otherwise (`true`, `FALSE`, `x y`, `07`).
 */
export function iniValue(text: string): unknown {
  const parser = new LiteralParser(text);
  try {
    const value = parser.value();
    parser.skipSpace();
    return parser.done() ? value : text;
  } catch {
    return text;
  }
}

class NotALiteral extends Error {}

class LiteralParser {
  private at = 0;

  constructor(private readonly text: string) {}

  done = (): boolean => this.at >= this.text.length;

  skipSpace(): void {
    while (/[ \t]/.test(this.text[this.at] ?? '')) this.at++;
  }

  value(): unknown {
    this.skipSpace();
    const c = this.text[this.at];
    if (c === '[') return this.sequence('[', ']');
    if (c === '(') return this.sequence('(', ')');
    if (c === '{') return this.mapping();
    if (c === "'" || c === '"') return this.strings();
    if (c === '-' || c === '+') {
      this.at++;
      const n = this.value();
      if (typeof n !== 'number') throw new NotALiteral();
      return c === '-' ? -n : n;
    }
    const word = /^[A-Za-z_][A-Za-z0-9_]*/.exec(this.text.slice(this.at))?.[0];
    if (word !== undefined) {
      this.at += word.length;
      if (word === 'True') return true;
      if (word === 'False') return false;
      if (word === 'None') return null;
      throw new NotALiteral();
    }
    return this.number();
  }

  private number(): number {
    const rest = this.text.slice(this.at);
    const based = /^0([xX][0-9a-fA-F](?:_?[0-9a-fA-F])*|[oO][0-7](?:_?[0-7])*|[bB][01](?:_?[01])*)/.exec(rest);
    if (based) {
      this.at += based[0].length;
      return Number(based[0].replace(/_/g, '').toLowerCase());
    }
    const digits = '\\d(?:_?\\d)*';
    const float = new RegExp(`^(?:${digits}\\.(?:${digits})?|\\.${digits}|${digits})(?:[eE][+-]?${digits})?`).exec(rest);
    if (!float) throw new NotALiteral();
    const written = float[0];
    // Python 3 has no octal-looking decimals: 07 is a syntax error (so the text stays a string), 0 and 00 are zero.
    if (/^0+\d/.test(written) && !/^0+$/.test(written) && !/[.eE]/.test(written)) throw new NotALiteral();
    this.at += written.length;
    return Number(written.replace(/_/g, ''));
  }

  /** Adjacent literals concatenate, as in Python: `'a' "b"` is "ab". */
  private strings(): string {
    let result = this.string();
    for (;;) {
      const mark = this.at;
      this.skipSpace();
      if (this.text[this.at] !== "'" && this.text[this.at] !== '"') {
        this.at = mark;
        return result;
      }
      result += this.string();
    }
  }

  private string(): string {
    const quote = this.text[this.at++]!;
    let result = '';
    for (;;) {
      const c = this.text[this.at++];
      if (c === undefined) throw new NotALiteral();
      if (c === quote) return result;
      if (c !== '\\') {
        result += c;
        continue;
      }
      const e = this.text[this.at++];
      const simple: Record<string, string> = { n: '\n', t: '\t', r: '\r', '\\': '\\', "'": "'", '"': '"', '0': '\0', a: '\x07', b: '\b', f: '\f', v: '\v' };
      if (e !== undefined && simple[e] !== undefined) result += simple[e];
      else if (e === 'x' || e === 'u' || e === 'U') {
        const width = e === 'x' ? 2 : e === 'u' ? 4 : 8;
        const hex = this.text.slice(this.at, this.at + width);
        if (!new RegExp(`^[0-9a-fA-F]{${width}}$`).test(hex)) throw new NotALiteral();
        result += String.fromCodePoint(parseInt(hex, 16));
        this.at += width;
      } else result += `\\${e ?? ''}`; // Python keeps an unknown escape as written
    }
  }

  private sequence(open: string, close: string): unknown {
    this.at++; // the opening bracket
    const items: unknown[] = [];
    for (;;) {
      this.skipSpace();
      if (this.text[this.at] === close) {
        this.at++;
        // (1) is the number 1, not a tuple; (1,) is a tuple.
        if (open === '(' && items.length === 1 && !this.trailingComma) return items[0];
        return items;
      }
      items.push(this.value());
      this.skipSpace();
      this.trailingComma = false;
      if (this.text[this.at] === ',') {
        this.at++;
        this.trailingComma = true;
      } else if (this.text[this.at] !== close) throw new NotALiteral();
    }
  }

  private trailingComma = false;

  private mapping(): Record<string, unknown> {
    this.at++;
    const result: Record<string, unknown> = {};
    for (;;) {
      this.skipSpace();
      if (this.text[this.at] === '}') {
        this.at++;
        return result;
      }
      const key = this.value();
      if (typeof key !== 'string' && typeof key !== 'number' && typeof key !== 'boolean' && key !== null) throw new NotALiteral();
      this.skipSpace();
      if (this.text[this.at++] !== ':') throw new NotALiteral();
      result[String(key)] = this.value();
      this.skipSpace();
      if (this.text[this.at] === ',') this.at++;
      else if (this.text[this.at] !== '}') throw new NotALiteral();
    }
  }
}
