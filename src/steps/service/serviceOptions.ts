import { durationOption, OptionError } from '../optionError.js';

/** Options of `service`: Swarm's update policy for each managed service, and how long freshen waits for one update. */
export interface ServiceOptions {
  parallelism: number;
  delayMs: number;
  monitorMs: number;
  maxFailureRatio: number;
  order: 'stop-first' | 'start-first';
  failureAction: 'rollback' | 'pause' | 'continue';
  timeoutMs: number;
  /** A build the tag names that was created less than this ago is not rolled out yet. */
  cooldownMs?: number;
}

function oneOf<T extends string>(options: Record<string, unknown>, key: string, allowed: readonly T[], fallback: T): T {
  const raw = options[key] ?? fallback;
  if (typeof raw !== 'string' || !(allowed as readonly string[]).includes(raw)) {
    throw new OptionError(`${key}: one of ${allowed.join(', ')}, not ${JSON.stringify(raw)}`, [key]);
  }
  return raw as T;
}

/** The defaults are Swarm's own, except `failure_action`, which is `rollback`: a bad image must not stay half rolled out. */
export function serviceOptions(options: Record<string, unknown> | null | undefined): ServiceOptions {
  const raw = options ?? {};
  const parallelism = raw.parallelism ?? 1;
  if (typeof parallelism !== 'number' || !Number.isInteger(parallelism) || parallelism < 0) {
    throw new OptionError(`parallelism: a whole number of tasks (0: all at once), not ${JSON.stringify(parallelism)}`, ['parallelism']);
  }
  const ratio = raw.max_failure_ratio ?? 0;
  if (typeof ratio !== 'number' || ratio < 0 || ratio > 1) {
    throw new OptionError(`max_failure_ratio: a number from 0 to 1, not ${JSON.stringify(ratio)}`, ['max_failure_ratio']);
  }
  return {
    parallelism,
    delayMs: durationOption(raw, ['delay'], { fallback: '0s' }),
    monitorMs: durationOption(raw, ['monitor'], { fallback: '5s' }),
    maxFailureRatio: ratio,
    order: oneOf(raw, 'order', ['stop-first', 'start-first'] as const, 'stop-first'),
    failureAction: oneOf(raw, 'failure_action', ['rollback', 'pause', 'continue'] as const, 'rollback'),
    timeoutMs: durationOption(raw, ['timeout'], { fallback: '10m', positive: true }),
    ...cooldown(raw),
  };
}

function cooldown(raw: Record<string, unknown>): { cooldownMs?: number } {
  const cooldownMs = durationOption(raw, ['cooldown'], { age: true });
  return cooldownMs === undefined ? {} : { cooldownMs };
}
