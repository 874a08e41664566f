/** The default datestamp format: lexical order is age order. */
export const DEFAULT_DATE_FORMAT = 'YYYYMMDD-HHmm';

const TOKENS = /YYYY|MM|DD|HH|mm|ss/g;
const TAG = /^[A-Za-z0-9_][A-Za-z0-9_.-]{0,127}$/;

/** Formats `date` in UTC with the tokens YYYY MM DD HH mm ss; other characters are kept as written. */
export function formatDatestamp(date: Date, format: string = DEFAULT_DATE_FORMAT): string {
  const pad = (n: number, width = 2) => String(n).padStart(width, '0');
  const parts: Record<string, string> = {
    YYYY: pad(date.getUTCFullYear(), 4),
    MM: pad(date.getUTCMonth() + 1),
    DD: pad(date.getUTCDate()),
    HH: pad(date.getUTCHours()),
    mm: pad(date.getUTCMinutes()),
    ss: pad(date.getUTCSeconds()),
  };
  return format.replace(TOKENS, (token) => parts[token]!);
}

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
