/** The default datestamp format: lexical order is age order. */
export const DEFAULT_DATE_FORMAT = 'YYYYMMDD-HHmm';

const TOKENS = /YYYY|MM|DD|HH|mm|ss/g;
const TAG = /^[A-Za-z0-9_][A-Za-z0-9_.-]{0,127}$/;
type Token = 'YYYY' | 'MM' | 'DD' | 'HH' | 'mm' | 'ss';

/** What a datestamp tag says: when it was made (ms since the epoch, UTC) and its same-minute suffix (1 when it has none). */
export interface ParsedDatestamp {
  time: number;
  suffix: number;
}

/**
 * A datestamp format owns both directions: the tags `rebuild` makes from it and the parser that recognises exactly those tags
 * (`FORMAT` or `FORMAT-N`, N >= 2), so gc's retention, discover's rollback hold and `freshen rollback` agree with rebuild for any
 * `date_format`.
 */
export interface DatestampFormat {
  readonly pattern: string;
  /** `date` in UTC with the tokens YYYY MM DD HH mm ss replaced; other characters are kept as written. */
  format(date: Date): string;
  parse(tag: string): ParsedDatestamp | undefined;
  isDatestamp(tag: string): boolean;
  /** Oldest first: by the time the tag says, then by suffix as a number (`-10` after `-9`). */
  compare(a: string, b: string): number;
}

const pad = (n: number, width = 2): string => String(n).padStart(width, '0');

export function formatDatestamp(date: Date, format: string = DEFAULT_DATE_FORMAT): string {
  const parts: Record<Token, string> = {
    YYYY: pad(date.getUTCFullYear(), 4),
    MM: pad(date.getUTCMonth() + 1),
    DD: pad(date.getUTCDate()),
    HH: pad(date.getUTCHours()),
    mm: pad(date.getUTCMinutes()),
    ss: pad(date.getUTCSeconds()),
  };
  return format.replace(TOKENS, (token) => parts[token as Token]);
}

const RANGES: Record<Token, [number, number]> = { YYYY: [0, 9999], MM: [1, 12], DD: [1, 31], HH: [0, 23], mm: [0, 59], ss: [0, 59] };

/** The parser for one format: a regular expression with one group per token, then the optional suffix. */
function parserOf(format: string): (tag: string) => ParsedDatestamp | undefined {
  const tokens: Token[] = [];
  const source = format
    .split(/(YYYY|MM|DD|HH|mm|ss)/)
    .map((piece, i) => {
      if (i % 2 === 0) return piece.replace(/[.*+?^${}()|[\]\\-]/g, '\\$&');
      tokens.push(piece as Token);
      return piece === 'YYYY' ? '(\\d{4})' : '(\\d{2})';
    })
    .join('');
  const regex = new RegExp(`^${source}(?:-([1-9]\\d*))?$`);
  return (tag) => {
    const match = regex.exec(tag);
    if (!match) return undefined;
    const value: Record<Token, number> = { YYYY: 1970, MM: 1, DD: 1, HH: 0, mm: 0, ss: 0 };
    for (const [i, token] of tokens.entries()) {
      const n = Number(match[i + 1]);
      const [min, max] = RANGES[token];
      if (n < min || n > max) return undefined;
      value[token] = n;
    }
    const suffix = match[tokens.length + 1] === undefined ? 1 : Number(match[tokens.length + 1]);
    // `-1` is never written: the first tag of a minute has no suffix.
    if (suffix === 1 && match[tokens.length + 1] !== undefined) return undefined;
    return { time: Date.UTC(value.YYYY, value.MM - 1, value.DD, value.HH, value.mm, value.ss), suffix };
  };
}

export function datestampFormat(pattern: string = DEFAULT_DATE_FORMAT): DatestampFormat {
  const parse = parserOf(pattern);
  return {
    pattern,
    format: (date) => formatDatestamp(date, pattern),
    parse,
    isDatestamp: (tag) => parse(tag) !== undefined,
    compare(a, b) {
      const [pa, pb] = [parse(a), parse(b)];
      if (!pa || !pb) return a < b ? -1 : a > b ? 1 : 0;
      return pa.time - pb.time || pa.suffix - pb.suffix || (a < b ? -1 : a > b ? 1 : 0);
    },
  };
}

/** The datestamp format a host's resolved variables name (`date_format`, default `YYYYMMDD-HHmm`). */
export const datestampFormatOf = (vars: Record<string, unknown>): DatestampFormat =>
  datestampFormat(typeof vars.date_format === 'string' ? vars.date_format : DEFAULT_DATE_FORMAT);

/** Why a date format cannot produce image tags, or undefined when it can (checked with a sample date, suffix included). */
export function dateFormatProblem(format: string): string | undefined {
  const sample = `${formatDatestamp(new Date(Date.UTC(2026, 0, 2, 3, 4, 5)), format)}-99`;
  if (!TAG.test(sample)) return `date_format "${format}" does not give a valid image tag (letters, digits, "_", "." and "-", up to 128)`;
  if (format.match(TOKENS) === null) return `date_format "${format}" has no date token (YYYY MM DD HH mm ss)`;
  return undefined;
}

/**
 * The datestamp tag to use: `base`, else `base-2`, `base-3`… A candidate is free when no image has it, or when it already
 * names this very image (so a retry re-uses it); a tag naming another image is never moved.
 * `existing` maps taken tags to the image ID they name (undefined: taken, image unknown).
 */
export function freeDatestampTag(base: string, existing: ReadonlyMap<string, string | undefined>, imageId?: string): string {
  for (let n = 1; ; n++) {
    const candidate = n === 1 ? base : `${base}-${n}`;
    if (!existing.has(candidate)) return candidate;
    const holder = existing.get(candidate);
    if (imageId !== undefined && holder === imageId) return candidate;
  }
}
