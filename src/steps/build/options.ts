import { parseDuration } from '../../model/duration.js';
import { rolloutTag } from '../../model/inventory.js';
import { DEFAULT_DATE_FORMAT, dateFormatProblem } from './datestamp.js';

/** `discover`'s options with defaults applied. */
export interface DiscoverOptions {
  /** The tree root, as written (resolved against the playbook directory by the step). */
  root: string;
  tag: string;
  /** true: every image; a list: those repositories. */
  force: boolean | string[];
  includeUnpublished: boolean;
  buildArgs: Record<string, string>;
}

/** `rebuild`'s options with defaults applied. */
export interface RebuildOptions {
  noCache: boolean;
  pull: boolean;
  dateFormat: string;
  /** Merged over discover's per image. */
  buildArgs: Record<string, string>;
  timeoutMs: number;
  /** The builder's network for `RUN` lines (`host` so apt/dnf reach their mirrors); unset: the engine's default. */
  network?: BuildNetwork;
}

/** Networks a classic-builder build can run `RUN` lines in. */
export const BUILD_NETWORKS = ['default', 'host', 'none'] as const;
export type BuildNetwork = (typeof BUILD_NETWORKS)[number];

/** Options that survived the schema but still make no sense (the schema cannot check a date format). */
export class OptionError extends Error {
  override name = 'OptionError';
}

export function discoverOptions(options: Record<string, unknown>, vars: Record<string, unknown>): DiscoverOptions {
  const root = options.root;
  if (typeof root !== 'string' || root === '') throw new OptionError('discover needs a "root" directory');
  const force = options.force;
  if (force !== undefined && typeof force !== 'boolean' && !isStringList(force)) {
    throw new OptionError('discover "force" must be true, false or a list of repositories');
  }
  return {
    root,
    tag: typeof options.tag === 'string' && options.tag !== '' ? options.tag : rolloutTag(vars),
    force: force ?? false,
    includeUnpublished: options.include_unpublished === true,
    buildArgs: stringMap(options.build_args, 'discover'),
  };
}

export function rebuildOptions(options: Record<string, unknown>): RebuildOptions {
  const dateFormat = typeof options.date_format === 'string' ? options.date_format : DEFAULT_DATE_FORMAT;
  const problem = dateFormatProblem(dateFormat);
  if (problem) throw new OptionError(problem);
  const timeout = options.timeout as string | number | undefined;
  const timeoutMs = timeout === undefined ? 30 * 60_000 : parseDuration(timeout);
  if (timeoutMs === undefined || timeoutMs <= 0) throw new OptionError(`rebuild "timeout" is not a duration: ${String(timeout)}`);
  const network = options.network;
  if (network !== undefined && !BUILD_NETWORKS.includes(network as BuildNetwork)) {
    throw new OptionError(`rebuild "network" must be one of ${BUILD_NETWORKS.join(', ')}, not ${String(network)}`);
  }
  return {
    noCache: options.no_cache !== false,
    pull: options.pull !== false,
    dateFormat,
    buildArgs: stringMap(options.build_args, 'rebuild'),
    timeoutMs,
    ...(network !== undefined ? { network: network as BuildNetwork } : {}),
  };
}

const isStringList = (value: unknown): value is string[] => Array.isArray(value) && value.every((v) => typeof v === 'string');

/** `build_args`: values may be written as numbers or booleans in YAML; the builder receives strings. */
function stringMap(value: unknown, step: string): Record<string, string> {
  if (value === undefined || value === null) return {};
  if (typeof value !== 'object' || Array.isArray(value)) throw new OptionError(`${step} "build_args" must be a map`);
  return Object.fromEntries(Object.entries(value).map(([k, v]) => [k, String(v)]));
}
