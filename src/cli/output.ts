import type { Diagnostic } from '../load/diagnostics.js';
import { formatDiagnostic } from '../load/diagnostics.js';
import { runSecrets } from '../shared/secretText.js';
import { visibleControls } from '../shared/terminalText.js';

/** Where the CLI writes; tests hand in buffers. */
export interface Output {
  out(text: string): void;
  err(text: string): void;
  isTTY: boolean;
  /** The wall clock a run judges windows, stage records and soak times by: Date.now unless a test hands in its own. */
  now?: () => number;
}

/** `output` with every secret the run knows scrubbed from what it prints, and control characters made visible. */
export const redactingOutput = (output: Output): Output => ({
  out: (text) => output.out(visibleControls(runSecrets.redact(text))),
  err: (text) => output.err(visibleControls(runSecrets.redact(text))),
  isTTY: output.isTTY,
  ...(output.now === undefined ? {} : { now: output.now }),
});

/** Narrower than this, a live view wraps every line into a column of letters: plain lines read better. */
const MIN_LIVE_COLUMNS = 40;

/** Whether `stream` is a terminal wide enough for the live view (some CI pseudo-terminals report 0 columns). */
export const isLiveTerminal = (stream: { isTTY?: boolean; columns?: number }): boolean => Boolean(stream.isTTY) && (stream.columns ?? 0) >= MIN_LIVE_COLUMNS;

export const processOutput: Output = {
  out: (text) => process.stdout.write(text.endsWith('\n') ? text : `${text}\n`),
  err: (text) => process.stderr.write(text.endsWith('\n') ? text : `${text}\n`),
  isTTY: isLiveTerminal(process.stdout),
};

/** Prints diagnostics to stderr; returns true when any is an error. */
export function reportDiagnostics(output: Output, diagnostics: Diagnostic[]): boolean {
  for (const d of diagnostics) output.err(formatDiagnostic(d));
  const errors = diagnostics.filter((d) => d.severity === 'error').length;
  if (errors > 0) output.err(`${errors} error${errors === 1 ? '' : 's'}; nothing was run.`);
  return errors > 0;
}
