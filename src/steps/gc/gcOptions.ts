import { durationOption, OptionError } from '../optionError.js';

/** The gc step's options with defaults applied. */
export interface GcOptions {
  /** Datestamp tags kept per repository besides the rollout tag. */
  keep: number;
  /** Run the registry's garbage collection over SSH after deleting. */
  sweep: boolean;
  /** How long to wait for this run's pushes to finish before sweeping. */
  pushWaitMs: number;
}

export const GC_DEFAULTS: GcOptions = { keep: 5, sweep: true, pushWaitMs: 10 * 60_000 };

/** Applies defaults; throws on values the schema should have rejected, naming the option. */
export function parseGcOptions(options: Record<string, unknown>): GcOptions {
  const { keep = GC_DEFAULTS.keep, sweep = GC_DEFAULTS.sweep } = options;
  if (typeof keep !== 'number' || !Number.isInteger(keep) || keep < 0)
    throw new OptionError(`gc: keep must be an integer ≥ 0, not ${JSON.stringify(keep)}`, ['keep']);
  if (typeof sweep !== 'boolean') throw new OptionError(`gc: sweep must be true or false, not ${JSON.stringify(sweep)}`, ['sweep']);
  const pushWaitMs = durationOption(options, ['push_wait'], { fallback: GC_DEFAULTS.pushWaitMs / 1000 });
  return { keep, sweep, pushWaitMs };
}
