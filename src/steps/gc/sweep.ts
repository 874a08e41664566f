import type { ExecResult, RegistryClient, SshSession } from '../../adapters/types.js';
import { errorMessage } from '../../adapters/errors.js';
import {
  blobSizesCommand,
  dryRunCommand,
  duCommand,
  parseCollectorOutput,
  parseDuBytes,
  parseDuTotal,
  type CollectorReport,
  type GcSettings,
} from './commands.js';
import { GcRefusal } from './refusal.js';

const STEP_TIMEOUT_MS = 5 * 60_000;
const COLLECT_TIMEOUT_MS = 60 * 60_000;
const BLOBS_PER_DU = 500;
const AFTER_RETRY_DELAY_MS = 2000;

/** What the collector's dry run found, and how big it is. */
export interface DryRunFindings {
  report?: CollectorReport;
  /** Size of the eligible blobs; undefined without `data_dir` or when `du` could not tell. */
  eligibleBytes?: number;
  notes: string[];
}

/** Runs the collector's dry run (reads only) and measures the blobs it would remove. */
export async function dryRunSweep(ssh: SshSession, settings: GcSettings, signal?: AbortSignal): Promise<DryRunFindings> {
  const command = dryRunCommand(settings);
  if (!command) return { notes: ['No dry run: registry_gc.command does not name garbage-collect and no dry_run_command is set'] };
  const result = await ssh.exec(command, { signal, timeoutMs: COLLECT_TIMEOUT_MS });
  if (result.code !== 0)
    throw new GcRefusal(`The collector's dry run failed (exit ${result.code}): ${tail(result.stderr || result.stdout)}`, 'gc-dry-run-failed');
  const report = parseCollectorOutput(result.stdout);
  // A dry run whose summary cannot be read says nothing safe about what a sweep would do: a failure, not `ok`.
  if (!report) throw new GcRefusal(`Could not read the collector's dry run output (${tail(result.stdout)})`, 'gc-dry-run-failed');
  if (report.blobs.length === 0) return { report, eligibleBytes: 0, notes: [] };
  if (!settings.data_dir) return { report, notes: ['No registry_gc.data_dir: blob sizes not measured'] };
  let eligibleBytes = 0;
  for (let i = 0; i < report.blobs.length; i += BLOBS_PER_DU) {
    const sizes = await ssh.exec(blobSizesCommand(settings.data_dir, report.blobs.slice(i, i + BLOBS_PER_DU)), { signal, timeoutMs: STEP_TIMEOUT_MS });
    const total = parseDuTotal(sizes.stdout);
    if (total === undefined) return { report, notes: [`Could not measure the eligible blobs (${tail(sizes.stderr)})`] };
    eligibleBytes += total;
  }
  return { report, eligibleBytes, notes: [] };
}

/** What one sweep did. */
export interface SweepOutcome {
  /** Bytes under `data_dir` before and after; undefined when not measured. */
  bytesBefore?: number;
  bytesAfter?: number;
  report?: CollectorReport;
  /** The first `after` failed and a second attempt was made; its output, for a note. */
  afterRetried?: string;
}

/** How a sweep reports progress and can be interrupted. */
export interface SweepOptions {
  progress?: (message: string) => void;
  /** Interrupts `before` and the collector; `after` always runs to the end. */
  signal?: AbortSignal;
  /** Pause before trying a failed `after` again. */
  afterRetryDelayMs?: number;
}

/**
 * `before` (stop or read-only), the collector, then `after` (restart) whatever happened, so the registry is never left
 * stopped and its blob cache never stale. Throws `GcRefusal` naming the command that failed.
 */
export async function runSweep(ssh: SshSession, settings: GcSettings, options: SweepOptions = {}): Promise<SweepOutcome> {
  const { progress = () => {}, signal, afterRetryDelayMs = AFTER_RETRY_DELAY_MS } = options;
  const outcome: SweepOutcome = {};
  if (settings.data_dir) outcome.bytesBefore = parseDuBytes((await ssh.exec(duCommand(settings.data_dir), { signal, timeoutMs: STEP_TIMEOUT_MS })).stdout);
  let failure: GcRefusal | undefined;
  try {
    if (settings.before) {
      progress(`before: ${settings.before}`);
      const before = await ssh.exec(settings.before, { signal, timeoutMs: STEP_TIMEOUT_MS });
      if (before.code !== 0)
        failure = new GcRefusal(`registry_gc.before failed (exit ${before.code}): ${tail(before.stderr || before.stdout)}`, 'gc-before-failed');
    }
    if (!failure) {
      progress(`collect: ${settings.command}`);
      const collect = await ssh.exec(settings.command, { signal, timeoutMs: COLLECT_TIMEOUT_MS });
      outcome.report = parseCollectorOutput(collect.stdout);
      if (collect.code !== 0)
        failure = new GcRefusal(`registry_gc.command failed (exit ${collect.code}): ${tail(collect.stderr || collect.stdout)}`, 'gc-command-failed');
    }
  } catch (error) {
    failure = new GcRefusal(`Sweep interrupted: ${errorMessage(error)}`, 'gc-command-failed');
  } finally {
    if (settings.after) {
      const after = await runAfter(ssh, settings.after, progress, afterRetryDelayMs);
      outcome.afterRetried = after.retried;
      if (after.result.code !== 0) {
        const afterFailure = `registry_gc.after failed twice (exit ${after.result.code}): ${tail(after.result.stderr || after.result.stdout)}; the registry may be down`;
        failure = new GcRefusal(failure ? `${failure.message}; ${afterFailure}` : afterFailure, 'gc-after-failed');
      }
    }
  }
  if (failure) throw failure;
  if (settings.data_dir) outcome.bytesAfter = parseDuBytes((await ssh.exec(duCommand(settings.data_dir), { signal, timeoutMs: STEP_TIMEOUT_MS })).stdout);
  return outcome;
}

/**
 * Runs `after` (a start or restart, so safe to repeat) and, if it fails, once more: a registry left stopped is the worst
 * way for gc to end. Not tied to the run's signal, for the same reason.
 */
async function runAfter(
  ssh: SshSession,
  command: string,
  progress: (message: string) => void,
  retryDelayMs: number,
): Promise<{ result: ExecResult; retried?: string }> {
  const attempt = (): Promise<ExecResult> =>
    ssh.exec(command, { timeoutMs: STEP_TIMEOUT_MS }).catch((error: unknown) => ({ code: -1, stdout: '', stderr: errorMessage(error) }));
  progress(`after: ${command}`);
  const first = await attempt();
  if (first.code === 0) return { result: first };
  progress(`after failed (exit ${first.code}); trying once more`);
  await new Promise((resolve) => setTimeout(resolve, retryDelayMs));
  return { result: await attempt(), retried: `exit ${first.code}: ${tail(first.stderr || first.stdout)}` };
}

/** Polls the registry until it answers again after a restart. */
export async function waitForRegistry(registry: RegistryClient, timeoutMs: number): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    try {
      await registry.ping();
      return;
    } catch (error) {
      if (Date.now() >= deadline)
        throw new GcRefusal(`The registry did not answer within ${Math.round(timeoutMs / 1000)}s after the sweep: ${errorMessage(error)}`, 'registry-down');
      await new Promise((resolve) => setTimeout(resolve, 250));
    }
  }
}

/** The last few hundred characters of command output, on one line. */
const tail = (text: string): string => {
  const flat = text.trim().replace(/\s+/g, ' ');
  return flat.length > 300 ? `…${flat.slice(-300)}` : flat || '(no output)';
};
