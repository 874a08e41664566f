import { writeFile } from 'node:fs/promises';
import { REPORT_SCHEMA_VERSION, type RunFacts, type RunReport } from '../runner/report.js';
import { runSecrets } from '../shared/secretText.js';
import { FRESHEN_VERSION } from '../shared/version.js';
import type { Output } from './output.js';

/** What the report says of the command itself, whatever became of it: which freshen, with which inputs, when, how it ended. */
export function runFacts(inputs: { playbook: string; inventory: string; limit?: string | undefined }, startedAt: Date, code: number): RunFacts {
  return {
    schema_version: REPORT_SCHEMA_VERSION,
    freshen_version: FRESHEN_VERSION,
    playbook: inputs.playbook,
    inventory: inputs.inventory,
    ...(inputs.limit !== undefined ? { limit: inputs.limit } : {}),
    started_at: startedAt.toISOString(),
    ended_at: new Date().toISOString(),
    exit_code: code,
  };
}

/** Writes the report, scrubbed, to `file` or (`-`) to stdout; a report that cannot be written is said, and changes no exit code. */
export async function writeRunReport(output: Output, file: string, report: RunReport): Promise<void> {
  const text = `${JSON.stringify(runSecrets.redactDeep(report), null, 2)}\n`;
  if (file === '-') return output.out(text);
  await writeFile(file, text).catch((error: unknown) =>
    output.err(`freshen: could not write the report ${file}: ${(error as NodeJS.ErrnoException).code ?? String(error)}`),
  );
}
