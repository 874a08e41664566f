import type { ContainerInspect, HealthConfig } from './types.js';

/** Why a replacement did not become healthy; also the `code` of the failed result. */
export type HealthFailure = 'unhealthy' | 'health-timeout' | 'exited';

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
}

/** True when the container has a HEALTHCHECK that Docker runs (`NONE` disables an inherited one). */
export const hasHealthcheck = (health: HealthConfig | null | undefined): boolean =>
  !!health?.Test && health.Test.length > 0 && health.Test[0] !== 'NONE';

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
      return { state: 'failed', code: 'health-timeout', detail: `not healthy after ${gate.healthyTimeoutMs}ms (${status ?? 'no status'})${lastProbeOutput(inspect)}` };
    }
    return { state: 'waiting' };
  }
  return elapsedMs >= gate.settleMs ? { state: 'healthy' } : { state: 'waiting' };
}
