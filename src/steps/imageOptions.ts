import { DEFAULT_DATE_FORMAT, dateFormatProblem } from '../images/datestamp.js';
import { rolloutTag } from '../model/inventory.js';
import { durationOption, OptionError } from './optionError.js';

/** `discover`'s options with defaults applied. */
export interface DiscoverOptions {
  /** The tree root, as written (resolved against the playbook directory by the step). */
  root: string;
  tag: string;
  /** true: every image; a list: those repositories. */
  force: boolean | string[];
  includeUnpublished: boolean;
  /** `pinned_bases`: `hold` builds a `FROM NAME:TAG@DIGEST` on that digest (Docker's reading); `follow` on what the tag names. */
  pinnedBases: 'hold' | 'follow';
  buildArgs: Record<string, string>;
  /** `max_age`: an image built longer ago than this is stale. */
  maxAgeMs?: number;
  /** `cooldown`: a base whose current image was created less than this ago is not yet a reason to rebuild. */
  cooldownMs?: number;
  /** `probe`: probe the prod images for pending package updates; undefined when off. */
  probe?: ProbeOptions;
}

/** discover's `probe` option with defaults applied. */
export interface ProbeOptions {
  network: 'host' | 'none';
  timeoutMs: number;
  /** Refresh the package index first; default: only when the probe has the network. */
  refresh: boolean;
  /** Custom probe commands: `*` for every image, else per repository (over the image's `org.freshen.probe` label). */
  commands: Record<string, string>;
  /** Probes an image's `org.freshen.probe` label may pick by name; the label's own text is never run. */
  byLabel: Record<string, string>;
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
  /** Discard a build whose bases, context and packages equal prod's (not pushed, not rolled out). Default true. */
  skipIdentical: boolean;
}

/** Networks a classic-builder build can run `RUN` lines in. */
export const BUILD_NETWORKS = ['default', 'host', 'none'] as const;
export type BuildNetwork = (typeof BUILD_NETWORKS)[number];

export { OptionError };

export function discoverOptions(options: Record<string, unknown>, vars: Record<string, unknown>): DiscoverOptions {
  const root = options.root;
  if (typeof root !== 'string' || root === '') throw new OptionError('discover needs a "root" directory', ['root']);
  const force = options.force;
  if (force !== undefined && typeof force !== 'boolean' && !isStringList(force)) {
    throw new OptionError('discover "force" must be true, false or a list of repositories', ['force']);
  }
  return {
    root,
    tag: typeof options.tag === 'string' && options.tag !== '' ? options.tag : rolloutTag(vars),
    force: force ?? false,
    includeUnpublished: options.include_unpublished === true,
    pinnedBases: pinnedBasesOption(options.pinned_bases),
    buildArgs: stringMap(options.build_args, 'discover'),
    ...maxAge(options),
    ...cooldown(options),
    ...probeOption(options.probe),
  };
}

/** `cooldown` (discover, patch): how long a new base or upstream digest waits before it is a reason to rebuild or patch. */
export function cooldown(options: Record<string, unknown>): { cooldownMs?: number } {
  const cooldownMs = durationOption(options, ['cooldown'], { age: true });
  return cooldownMs === undefined ? {} : { cooldownMs };
}

/** `max_age` (discover, patch): how old prod may get before it is rebuilt. */
export function maxAge(options: Record<string, unknown>): { maxAgeMs?: number } {
  const maxAgeMs = durationOption(options, ['max_age'], { positive: true, age: true });
  return maxAgeMs === undefined ? {} : { maxAgeMs };
}

/** `probe: true` or `{ network, timeout, update, command }`; `command` is one script for every image or a map by repository. */
export function probeOption(value: unknown, step = 'discover'): { probe?: ProbeOptions } {
  if (value === undefined || value === false || value === null) return {};
  const given = value === true ? {} : (value as Record<string, unknown>);
  if (typeof given !== 'object' || Array.isArray(given)) throw new OptionError(`${step} "probe" must be true, false or a map`, ['probe']);
  const network = given.network ?? 'host';
  if (network !== 'host' && network !== 'none') throw new OptionError(`${step} "probe.network" must be "host" or "none"`, ['probe', 'network']);
  const command = given.command;
  if (command !== undefined && typeof command !== 'string' && (typeof command !== 'object' || command === null || Array.isArray(command))) {
    throw new OptionError(`${step} "probe.command" must be a script or a map of repository to script`, ['probe', 'command']);
  }
  const commands = typeof command === 'string' ? { '*': command } : Object.fromEntries(Object.entries(command ?? {}).map(([k, v]) => [k, String(v)]));
  const byLabel = given.by_label ?? {};
  if (typeof byLabel !== 'object' || byLabel === null || Array.isArray(byLabel)) {
    throw new OptionError(`${step} "probe.by_label" must be a map of probe name to script`, ['probe', 'by_label']);
  }
  return {
    probe: {
      network,
      timeoutMs: durationOption({ probe: given }, ['probe', 'timeout'], { fallback: '2m', positive: true }),
      refresh: typeof given.update === 'boolean' ? given.update : network === 'host',
      commands,
      byLabel: Object.fromEntries(Object.entries(byLabel).map(([k, v]) => [k, String(v)])),
    },
  };
}

/** `variableDateFormat`: the host's `date_format` variable, which the option (deprecated) must equal. */
export function rebuildOptions(options: Record<string, unknown>, variableDateFormat: string = DEFAULT_DATE_FORMAT): RebuildOptions {
  const dateFormat = typeof options.date_format === 'string' ? options.date_format : variableDateFormat;
  const problem = dateFormatProblem(dateFormat);
  if (problem) throw new OptionError(problem, ['date_format']);
  const timeoutMs = durationOption(options, ['timeout'], { fallback: '30m', positive: true });
  const network = options.network;
  if (network !== undefined && !BUILD_NETWORKS.includes(network as BuildNetwork)) {
    throw new OptionError(`rebuild "network" must be one of ${BUILD_NETWORKS.join(', ')}, not ${String(network)}`, ['network']);
  }
  return {
    noCache: options.no_cache !== false,
    pull: options.pull !== false,
    dateFormat,
    buildArgs: stringMap(options.build_args, 'rebuild'),
    timeoutMs,
    ...(network !== undefined ? { network: network as BuildNetwork } : {}),
    skipIdentical: options.skip_identical !== false,
  };
}

const isStringList = (value: unknown): value is string[] => Array.isArray(value) && value.every((v) => typeof v === 'string');

/** `build_args`: values may be written as numbers or booleans in YAML; the builder receives strings. */
function stringMap(value: unknown, step: string): Record<string, string> {
  if (value === undefined || value === null) return {};
  if (typeof value !== 'object' || Array.isArray(value)) throw new OptionError(`${step} "build_args" must be a map`, ['build_args']);
  return Object.fromEntries(Object.entries(value).map(([k, v]) => [k, String(v)]));
}

/** discover's `pinned_bases`: how a `FROM` that names a tag and a digest is read. */
function pinnedBasesOption(value: unknown): 'hold' | 'follow' {
  if (value === undefined || value === 'hold' || value === 'follow') return value ?? 'hold';
  throw new OptionError(`discover "pinned_bases" must be hold or follow, not ${JSON.stringify(value)}`, ['pinned_bases']);
}
