import { accessSync, constants, statSync } from 'node:fs';
import { LOCAL_PORTS } from './localPorts.js';
import { dirname, resolve } from 'node:path';
import { ConnectionPool } from '../adapters/connections.js';
import type { Inventory } from '../model/inventory.js';
import type { Playbook } from '../model/playbook.js';
import { describeHolder, lockDirectoryProblem, lockHosts, type HeldLocks } from '../runner/runLock.js';
import { exitCodeOf, type RunReport } from '../runner/report.js';
import { limitProblem } from './limitProblem.js';
import { runFacts, writeRunReport } from './runReport.js';
import { playHosts, runPlaybook } from '../runner/runner.js';
import type { RunEvent } from '../runner/events.js';
import { loadStepHandlers } from '../steps/kinds.js';
import { ListrView } from '../ui/listrView.js';
import { plainLines } from '../ui/plain.js';
import { stepDiffLines } from '../ui/diff.js';
import { formatReasons, formatRecap } from '../ui/recap.js';
import { runSecrets } from '../shared/secretText.js';
import { visibleControlsDeep } from '../shared/terminalText.js';
import { EXIT } from './exitCodes.js';
import { loadInputs } from './loadInputs.js';
import { notifyAfterRun } from './notifyAfterRun.js';
import { unreadableFiles } from '../load/variables.js';
import type { Output } from './output.js';

export interface RunFlags {
  /** The `-i` sources, in order. */
  inventory: readonly string[];
  check: boolean;
  /** `--diff`: print each container's image before and after, and keep it in the JSON report. */
  diff: boolean;
  limit?: string;
  /** `--ignore-window`: run plays outside their maintenance windows. */
  ignoreWindow?: boolean;
  extraVars: string[];
  forks: number;
  json?: string;
  verbose: boolean;
  /** How long to wait for another run's host locks, in milliseconds. */
  lockWaitMs: number;
}

/** `freshen run`: load, run every play, print the recap, write the JSON report (on every exit); returns the exit code. */
export async function runCommand(output: Output, playbookFile: string, flags: RunFlags): Promise<number> {
  const startedAt = new Date();
  const toStdout = flags.json === '-';
  // With `--json -` stdout carries the report alone, so what freshen tells people goes to stderr, as plain lines.
  const human: Output = toStdout ? { out: (text) => output.err(text), err: (text) => output.err(text), isTTY: false } : output;
  // What was said on stderr, for the report of a run that stopped before it started (invalid input, a held lock).
  const said: string[] = [];
  const recording: Output = { ...human, err: (text) => (said.push(text), human.err(text)) };
  let outcome: { code: number; report?: RunReport; crash?: unknown };
  try {
    outcome = await execute(recording, playbookFile, flags);
  } catch (crash) {
    // A bug: the report still says what ran and how it ended, and main prints the error as it does for every command.
    said.push(`unexpected error: ${crash instanceof Error ? crash.message : String(crash)}`);
    outcome = { code: EXIT.unexpected, crash };
  }
  const { code, report, crash } = outcome;
  // No report where none was asked for, or where its path was refused before the run (that refusal is the message).
  if (flags.json === '-' || (flags.json !== undefined && reportPathProblem(flags.json) === undefined)) {
    const facts = runFacts({ playbook: playbookFile, inventory: flags.inventory.join(', '), limit: flags.limit }, startedAt, code);
    await writeRunReport(output, flags.json, { ...(report ?? { check: flags.check, plays: [], recap: {}, interrupted: false, diagnostics: said }), ...facts });
  }
  if (crash !== undefined) throw crash;
  return code;
}

/** Everything `run` does but write the report: the exit code, and the run's report when the run started. */
async function execute(output: Output, playbookFile: string, flags: RunFlags): Promise<{ code: number; report?: RunReport }> {
  const inputs = await loadInputs(output, playbookFile, flags.inventory, flags.extraVars);
  if (!inputs) return { code: EXIT.invalidInput };
  const { inventory, playbook, extraVars } = inputs;
  const badLimit = limitProblem(flags.limit, inventory, inventory.file);
  if (badLimit) {
    output.err(badLimit);
    return { code: EXIT.invalidInput };
  }

  const plainText = hostsOfRun(playbook, inventory, flags.limit).filter((name) => {
    const docker = inventory.hosts.get(name)?.vars.docker as { host?: unknown; tls?: unknown } | undefined;
    return typeof docker?.host === 'string' && docker.host.startsWith('tcp://') && docker.tls === false;
  });
  if (plainText.length > 0) {
    output.err(
      `freshen: warning: the Docker engines of ${plainText.join(', ')} are reached over tcp:// without TLS (tls: false): plain text, registry credentials included.`,
    );
  }

  // Keys, certificates and CAs of the run's hosts must be readable before anything runs, not found missing halfway through.
  const unreadable = hostsOfRun(playbook, inventory, flags.limit).flatMap((name) =>
    unreadableFiles(inventory.hosts.get(name)?.vars ?? {}).map((problem) => `host ${name}: ${problem.message}`),
  );
  if (unreadable.length > 0) {
    for (const line of unreadable) output.err(`freshen: ${line}`);
    output.err('freshen: nothing was run.');
    return { code: EXIT.invalidInput };
  }

  // Checked before anything runs: a report that cannot be written must not surface only after the run changed hosts.
  const reportProblem = flags.json !== undefined && flags.json !== '-' ? reportPathProblem(flags.json) : undefined;
  if (reportProblem) {
    output.err(`freshen: --json ${flags.json}: ${reportProblem}; nothing was run.`);
    return { code: EXIT.invalidInput };
  }
  const interrupt = new AbortController();
  let locks: HeldLocks | undefined;
  if (!flags.check) {
    const lockProblem = lockDirectoryProblem();
    if (lockProblem) {
      output.err(`freshen: ${lockProblem}; nothing was run.`);
      return { code: EXIT.invalidInput };
    }
    const hosts = hostsOfRun(playbook, inventory, flags.limit).map((name) => inventory.hosts.get(name)!);
    const attempt = await lockHosts(hosts, `freshen run ${playbookFile}`, flags.lockWaitMs, interrupt.signal);
    if (!attempt.ok) {
      output.err(`freshen: host ${attempt.host} is locked by another run (${describeHolder(attempt.holder)}); try again later or pass --lock-wait.`);
      return { code: EXIT.locked };
    }
    locks = attempt.locks;
  }

  const pool = new ConnectionPool(inventory, { signal: interrupt.signal, check: flags.check === true });
  const onSignal = (signal: NodeJS.Signals): void => {
    if (interrupt.signal.aborted) {
      // A second signal means "now": leftovers (a parked container, an unfinished replacement) are settled by the next run.
      output.err(`\n${signal} again: exiting now; the next run settles any container left parked.`);
      locks?.release();
      process.exit(EXIT.interrupted);
    }
    output.err(`\n${signal}: starting nothing new; containers in flight are finished or rolled back (${signal} again to exit now)…`);
    interrupt.abort();
  };
  process.on('SIGINT', onSignal);
  process.on('SIGTERM', onSignal);

  const live = output.isTTY ? new ListrView() : undefined;
  // The live view keeps a line per action; what --diff shows is printed below it once the run ends, through `output`.
  const diffs: string[] = [];
  const emit = (event: RunEvent): void => {
    // The live view draws straight to the terminal, so its events are scrubbed here; plain lines go through `output`.
    if (live) {
      live.handle(visibleControlsDeep(runSecrets.redactDeep(event)));
      if (flags.diff && event.type === 'step-end') {
        const shown = stepDiffLines(event.result);
        if (shown.length > 0) diffs.push('', `DIFF [${event.host}] ${event.step.kind}`, ...shown.map((line) => `    ${line}`));
      }
    } else for (const line of plainLines(event, { verbose: flags.verbose, diff: flags.diff })) output.out(line);
  };
  if (flags.check) output.out('CHECK MODE: nothing will be changed; results say what would change.');
  try {
    const report = await runPlaybook(
      playbook,
      inventory,
      {
        check: flags.check,
        diff: flags.diff,
        limit: flags.limit,
        ignoreWindow: flags.ignoreWindow === true,
        extraVars,
        forks: flags.forks,
        signal: interrupt.signal,
      },
      {
        handlers: await loadStepHandlers(playbook.plays.flatMap((play) => play.steps.map((step) => step.kind))),
        connectionsOf: (name, vars) => pool.of(name, vars),
        ...LOCAL_PORTS,
        emit,
        ...(output.now === undefined ? {} : { now: output.now }),
      },
    );
    await live?.finish();
    for (const line of diffs) output.out(line);
    output.out(`\n${formatRecap(report.recap)}`);
    const reasons = formatReasons(report);
    if (reasons.length > 0) output.out(`\n${reasons.join('\n')}`);
    const notified = await notifyAfterRun(playbook, inventory, extraVars, report);
    for (const n of notified) output.out(`notify ${n.target}: ${n.status}${n.reason ? ` (${n.reason})` : ''}`);
    if (notified.length > 0) report.notifications = notified;
    return { code: exitCodeOf(report), report };
  } finally {
    process.off('SIGINT', onSignal);
    process.off('SIGTERM', onSignal);
    await pool.closeAll();
    locks?.release();
  }
}

/** Every host some play of the run may touch, so the run can lock them all before it starts. */
function hostsOfRun(playbook: Playbook, inventory: Inventory, limit: string | undefined): string[] {
  return [...new Set(playbook.plays.flatMap((play) => playHosts(play, inventory, limit)))];
}

/** Why `--json FILE` could not be written, or undefined: its directory must exist and be writable, and FILE not be a directory. */
export function reportPathProblem(file: string): string | undefined {
  const dir = dirname(resolve(file));
  try {
    if (!statSync(dir).isDirectory()) return `${dir} is not a directory`;
    accessSync(dir, constants.W_OK);
  } catch (error) {
    const code = (error as NodeJS.ErrnoException).code;
    return code === 'ENOENT' ? `the directory ${dir} does not exist` : `the directory ${dir} is not writable (${code ?? 'error'})`;
  }
  const existing = statSync(file, { throwIfNoEntry: false });
  if (existing?.isDirectory()) return 'it is a directory';
  return undefined;
}
