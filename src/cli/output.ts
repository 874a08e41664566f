import type { Diagnostic } from '../load/diagnostics.js';
import { formatDiagnostic } from '../load/diagnostics.js';
import { runSecrets } from '../shared/secretText.js';
import { visibleControls } from '../shared/terminalText.js';

/** Where the CLI writes; tests hand in buffers. */
export interface Output {
  out(text: string): void;
  err(text: string): void;
  isTTY: boolean;
}

/** `output` with every secret the run knows scrubbed from what it prints, and control characters made visible. */
export const redactingOutput = (output: Output): Output => ({
  out: (text) => output.out(visibleControls(runSecrets.redact(text))),
  err: (text) => output.err(visibleControls(runSecrets.redact(text))),
  isTTY: output.isTTY,
});

export const processOutput: Output = {
  out: (text) => process.stdout.write(text.endsWith('\n') ? text : `${text}\n`),
  err: (text) => process.stderr.write(text.endsWith('\n') ? text : `${text}\n`),
  isTTY: Boolean(process.stdout.isTTY),
};

/** Prints diagnostics to stderr; returns true when any is an error. */
export function reportDiagnostics(output: Output, diagnostics: Diagnostic[]): boolean {
  for (const d of diagnostics) output.err(formatDiagnostic(d));
  const errors = diagnostics.filter((d) => d.severity === 'error').length;
  if (errors > 0) output.err(`${errors} error${errors === 1 ? '' : 's'}; nothing was run.`);
  return errors > 0;
}
