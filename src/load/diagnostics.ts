/** A problem found while loading an input file, pointing at the offending spot. */
export interface Diagnostic {
  /** The file as the user named it, or a pseudo-source such as `-e rollout_tag=x` for command-line input. */
  file: string;
  /** 1-based; 0 when the problem has no position (an unreadable file, a command-line argument). */
  line: number;
  /** 1-based column of the first offending character. */
  col: number;
  message: string;
  severity: 'error' | 'warning';
  /** The text of `line`, shown under the message with an underline. */
  sourceLine?: string;
  /** How many characters to underline, from `col`; 1 when unknown. */
  length?: number;
}

/** What a loader returns: the value only when no diagnostic is an error, and every diagnostic found either way. */
export interface LoadResult<T> {
  value?: T;
  diagnostics: Diagnostic[];
}

export const hasErrors = (diagnostics: readonly Diagnostic[]): boolean => diagnostics.some((d) => d.severity === 'error');

/**
 * Renders a diagnostic the way compilers do: `file:line:col: error: message`, then the source line and a `^^^` underline.
 *
 *     playbooks/site.yml:4:11: error: Unknown step "pul"; did you mean "pull"?
 *       4 |   steps: [pul, stop]
 *         |           ^^^
 */
export function formatDiagnostic(d: Diagnostic): string {
  const where = d.line > 0 ? `${d.file}:${d.line}:${d.col}` : d.file;
  const header = `${where}: ${d.severity}: ${d.message}`;
  if (d.line <= 0 || d.sourceLine === undefined) return header;
  const gutter = String(d.line);
  const blank = ' '.repeat(gutter.length);
  // Keep tabs as tabs so the underline lines up with the source however the terminal expands them.
  const indent = d.sourceLine.slice(0, Math.max(0, d.col - 1)).replace(/[^\t]/g, ' ');
  const underline = '^'.repeat(Math.max(1, d.length ?? 1));
  return [header, `  ${gutter} | ${d.sourceLine}`, `  ${blank} | ${indent}${underline}`].join('\n');
}

/** Orders diagnostics by position within each file; files keep the order they first appear in, ties their original order. */
export function sortDiagnostics(diagnostics: readonly Diagnostic[]): Diagnostic[] {
  const fileRank = new Map<string, number>();
  for (const d of diagnostics) if (!fileRank.has(d.file)) fileRank.set(d.file, fileRank.size);
  return diagnostics
    .map((d, i) => ({ d, i }))
    .sort((a, b) => fileRank.get(a.d.file)! - fileRank.get(b.d.file)! || a.d.line - b.d.line || a.d.col - b.d.col || a.i - b.i)
    .map(({ d }) => d);
}

/** Drops repeats: the same message at the same spot (a schema error and a rule can both notice an unknown step). */
export function uniqueDiagnostics(diagnostics: readonly Diagnostic[]): Diagnostic[] {
  const seen = new Set<string>();
  return diagnostics.filter((d) => {
    const key = `${d.file}\0${d.line}\0${d.col}\0${d.message}`;
    if (seen.has(key)) return false;
    seen.add(key);
    return true;
  });
}

/** A diagnostic with no position: an unreadable file or a bad command-line argument. */
export const fileDiagnostic = (file: string, message: string, severity: Diagnostic['severity'] = 'error'): Diagnostic => ({
  file,
  line: 0,
  col: 0,
  message,
  severity,
});
