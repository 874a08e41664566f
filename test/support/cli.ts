// Runs the CLI in-process with captured output, as the tests that drive freshen end to end need it.
import { main } from '../../src/cli/main.js';
import type { Output } from '../../src/cli/output.js';

export interface CliResult {
  code: number;
  stdout: string;
  stderr: string;
}

/** `freshen ARGS…` with stdout and stderr captured (not a terminal, so plain lines). */
export async function runCli(...args: string[]): Promise<CliResult> {
  return runCliAt(undefined, ...args);
}

/** `freshen ARGS…` as runCli, with the run's wall clock at `now` (ms since the epoch) when given. */
export async function runCliAt(now: number | undefined, ...args: string[]): Promise<CliResult> {
  const o = {
    stdout: '',
    stderr: '',
    isTTY: false,
    out: (t: string) => void (o.stdout += `${t}\n`),
    err: (t: string) => void (o.stderr += `${t}\n`),
    ...(now === undefined ? {} : { now: () => now }),
  };
  const code = await main(['node', 'freshen', ...args], o as Output);
  return { code, stdout: o.stdout, stderr: o.stderr };
}
