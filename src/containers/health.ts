import type { ContainerInspect, HealthConfig } from './types.js';

/** Why a replacement did not become healthy; also the `code` of the failed result. */
export type HealthFailure = 'unhealthy' | 'health-timeout' | 'exited' | 'probe-failed';

/** One look at a starting container: keep waiting, it passed, or it failed. */
export type HealthVerdict = { state: 'waiting' } | { state: 'healthy' } | { state: 'failed'; code: HealthFailure; detail: string };

/** How long to wait, and what the container looked like when it was started. */
export interface HealthGate {
  /** Deadline for a container with a HEALTHCHECK to report `healthy`. */
  healthyTimeoutMs: number;
  /** How long a container without HEALTHCHECK must stay up. */
  settleMs: number;
  /** `RestartCount` right after start: a restart policy may bring a crashed container back before we look. */
  restartCount: number;
  /** The `probe` command (argv), run in the container once Docker's part of the gate passed, until it exits 0. */
  probe?: string[];
}

/** True when the container has a HEALTHCHECK that Docker runs (`NONE` disables an inherited one). */
export const hasHealthcheck = (health: HealthConfig | null | undefined): boolean => !!health?.Test && health.Test.length > 0 && health.Test[0] !== 'NONE';

const lastProbeOutput = (inspect: ContainerInspect): string => {
  const log = inspect.State.Health?.Log ?? [];
  const last = log[log.length - 1];
  if (!last) return '';
  const output = last.Output.trim();
  return `; last probe exited ${last.ExitCode}${output === '' ? '' : `: ${output}`}`;
};

/** Judges a replacement from one inspect, `elapsedMs` after it was started. */
export function judgeHealth(inspect: ContainerInspect, gate: HealthGate, elapsedMs: number): HealthVerdict {
  const state = inspect.State;
  if (!state.Running || state.Restarting === true || (inspect.RestartCount ?? 0) !== gate.restartCount) {
    const restarted = state.Running || state.Restarting === true ? ' and was restarted by its restart policy' : '';
    return { state: 'failed', code: 'exited', detail: `exited with code ${state.ExitCode ?? '?'}${restarted} after ${Math.round(elapsedMs)}ms` };
  }
  if (hasHealthcheck(inspect.Config.Healthcheck)) {
    const status = state.Health?.Status;
    if (status === 'healthy') return { state: 'healthy' };
    if (status === 'unhealthy') return { state: 'failed', code: 'unhealthy', detail: `reported unhealthy${lastProbeOutput(inspect)}` };
    if (elapsedMs >= gate.healthyTimeoutMs) {
      return {
        state: 'failed',
        code: 'health-timeout',
        detail: `not healthy after ${gate.healthyTimeoutMs}ms (${status ?? 'no status'})${lastProbeOutput(inspect)}`,
      };
    }
    return { state: 'waiting' };
  }
  return elapsedMs >= gate.settleMs ? { state: 'healthy' } : { state: 'waiting' };
}

/** One run of the probe: its exit code, or why it has none (it could not start, or did not finish in time), and its output. */
export interface ProbeAttempt {
  exitCode?: number;
  output: string;
  error?: string;
}

/** `["sh", "-c", "wget -q -O- localhost"]` → `sh -c 'wget -q -O- localhost'`, for messages. */
export const showCommand = (argv: string[]): string => argv.map((arg) => (/^[\w@%+=:,./-]+$/.test(arg) ? arg : `'${arg.replaceAll("'", `'\\''`)}'`)).join(' ');

const describeAttempt = (attempt: ProbeAttempt): string => {
  if (attempt.exitCode === undefined) return attempt.error ?? 'it did not finish';
  const output = attempt.output
    .trim()
    .split(/\r?\n/)
    .filter((line) => line.trim() !== '')
    .slice(-3)
    .join(' / ');
  return `exited ${attempt.exitCode}${output === '' ? '' : `: ${output}`}`;
};

/**
 * Judges the probe after Docker's part of the gate passed: exit 0 passes; otherwise it is retried until `healthyTimeoutMs` after
 * start, and then the gate fails with the last attempt.
 */
export function judgeProbe(
  probe: string[],
  attempt: ProbeAttempt,
  attempts: number,
  gate: Pick<HealthGate, 'healthyTimeoutMs'>,
  elapsedMs: number,
): HealthVerdict {
  if (attempt.exitCode === 0) return { state: 'healthy' };
  if (elapsedMs < gate.healthyTimeoutMs) return { state: 'waiting' };
  const tries = attempts === 1 ? '1 attempt' : `${attempts} attempts`;
  return {
    state: 'failed',
    code: 'probe-failed',
    detail: `did not pass the probe \`${showCommand(probe)}\` within ${gate.healthyTimeoutMs}ms (${tries}; last: ${describeAttempt(attempt)})`,
  };
}
