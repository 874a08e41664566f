import { checkDuration, type DurationLimits } from '../model/duration.js';

/**
 * A step option the schema let through that still makes no sense (a duration that does not parse, a date format without a
 * token). `path` names the option below the step's options (`['probe', 'network']`), so the loader can point at it.
 */
export class OptionError extends Error {
  override name = 'OptionError';
  readonly code = 'bad-option';

  constructor(
    message: string,
    readonly path: ReadonlyArray<string | number> = [],
  ) {
    super(message);
  }
}

/**
 * The duration option at `path` of a step's options (`['probe', 'timeout']`), or `fallback` when it is not given (undefined
 * when neither is): checked by the one duration check (src/model/duration.ts), so every option is refused alike, at its place.
 */
export function durationOption(options: Record<string, unknown>, path: readonly string[], limits: DurationLimits & { fallback: string | number }): number;
export function durationOption(
  options: Record<string, unknown>,
  path: readonly string[],
  limits?: DurationLimits & { fallback?: undefined },
): number | undefined;
export function durationOption(
  options: Record<string, unknown>,
  path: readonly string[],
  limits: DurationLimits & { fallback?: string | number } = {},
): number | undefined {
  let value: unknown = options;
  for (const key of path) value = typeof value === 'object' && value !== null ? Reflect.get(value, key) : undefined;
  value ??= limits.fallback;
  if (value === undefined) return undefined;
  const checked = checkDuration(value, limits);
  if ('problem' in checked) throw new OptionError(`"${path.join('.')}" ${checked.problem}`, path);
  return checked.ms;
}

/**
 * The list of repository names or globs at `key` of a step's options (pin's, promote's and rebase's `images`, prune's
 * `repositories`), or undefined when it is not given; anything else is refused at its place.
 */
export function repositoryGlobsOption(options: Record<string, unknown>, key: string): string[] | undefined {
  const value = options[key];
  if (value === undefined) return undefined;
  if (!Array.isArray(value) || value.some((g) => typeof g !== 'string' || g === '')) {
    throw new OptionError(`${key} must be a list of repository names or globs, not ${JSON.stringify(value)}`, [key]);
  }
  return value as string[];
}
