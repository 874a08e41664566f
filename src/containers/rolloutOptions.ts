import { durationOption, OptionError } from '../steps/optionError.js';
import { ORDER_OPTIONS, type OrderOption } from './startOrder.js';

/** Options of `stop`: the stop timeout, when the playbook overrides each container's own, and the host guard's deadline. */
export interface StopOptions {
  timeoutMs?: number;
  /** How long the host's guard waits without news from freshen before it puts parked containers back. */
  guardDeadlineMs: number;
}

/** Options of `start`. */
export interface StartOptions {
  healthyTimeoutMs: number;
  settleMs: number;
  /** A command run in each replacement (`docker exec`) that must exit 0 before it counts as healthy. */
  probe?: string[];
  /** How many containers of one host are replaced at once (their health gates are waited for together). */
  parallel: number;
  /** Which instance goes first: the old one stops first, or the new one starts and passes its gate first (`auto`: where safe). */
  order: OrderOption;
  /** start-first: how long the old and the new container both answer the network aliases before the old one leaves. */
  drainMs: number;
}

export const DEFAULT_STOP_TIMEOUT_S = 10;
/** Long enough that a busy control node or a slow SSH round trip never lets it act during a live run (renewed every quarter). */
export const DEFAULT_GUARD_DEADLINE = '2m';
export const DEFAULT_HEALTHY_TIMEOUT = '60s';
export const DEFAULT_SETTLE = '5s';
/** Measured on the lab: a freshly joined endpoint can drop a client's first packets; both answer meanwhile (docs/rollouts.md). */
export const DEFAULT_DRAIN = '2s';
/** Replacing a host's containers one after another would keep the last one down through every earlier one's health wait. */
export const DEFAULT_PARALLEL = 4;

export function stopOptions(options: Record<string, unknown>): StopOptions {
  const guardDeadlineMs = durationOption(options, ['guard_deadline'], { fallback: DEFAULT_GUARD_DEADLINE, minMs: 2000 });
  const timeoutMs = durationOption(options, ['timeout']);
  return { ...(timeoutMs !== undefined ? { timeoutMs } : {}), guardDeadlineMs };
}

function orderOption(raw: unknown): OrderOption {
  if (raw === undefined || raw === null) return 'stop-first';
  if (typeof raw === 'string' && (ORDER_OPTIONS as readonly string[]).includes(raw)) return raw as OrderOption;
  throw new OptionError(`order: one of ${ORDER_OPTIONS.join(', ')}, not ${JSON.stringify(raw)}`, ['order']);
}

export const startOptions = (options: Record<string, unknown>): StartOptions => {
  const probe = probeCommand(options.probe);
  return {
    healthyTimeoutMs: durationOption(options, ['healthy_timeout'], { fallback: DEFAULT_HEALTHY_TIMEOUT }),
    settleMs: durationOption(options, ['settle'], { fallback: DEFAULT_SETTLE }),
    parallel: typeof options.parallel === 'number' && Number.isInteger(options.parallel) && options.parallel >= 1 ? options.parallel : DEFAULT_PARALLEL,
    order: orderOption(options.order),
    drainMs: durationOption(options, ['drain'], { fallback: DEFAULT_DRAIN }),
    ...(probe === undefined ? {} : { probe }),
  };
};

/** `probe`: a string is a shell command line (`sh -c`), a list is the argv itself, exec'd without a shell. */
export function probeCommand(raw: unknown): string[] | undefined {
  if (raw === undefined || raw === null) return undefined;
  if (typeof raw === 'string' && raw.trim() !== '') return ['sh', '-c', raw];
  if (Array.isArray(raw) && raw.length > 0 && raw.every((arg) => typeof arg === 'string') && raw[0] !== '') return raw as string[];
  throw new OptionError(`probe: not a command (a non-empty string, or a list of strings): ${JSON.stringify(raw)}`, ['probe']);
}

/**
 * Seconds Docker waits for a container to exit before killing it: the option, else the container's own `StopTimeout`, else 10.
 * Rounded up, since the API takes whole seconds.
 */
export function stopTimeoutSeconds(options: Pick<StopOptions, 'timeoutMs'>, containerStopTimeout: number | null | undefined): number {
  if (options.timeoutMs !== undefined) return Math.ceil(options.timeoutMs / 1000);
  return typeof containerStopTimeout === 'number' && containerStopTimeout >= 0 ? containerStopTimeout : DEFAULT_STOP_TIMEOUT_S;
}
