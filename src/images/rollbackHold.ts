import type { RegistryClient } from '../adapters/types.js';
import { mapLimit } from '../shared/mapLimit.js';
import type { DatestampFormat } from './datestamp.js';

/** A repository whose rollout tag was rolled back: it points at an older datestamp than the newest one pushed. */
export interface RollbackHold {
  repository: string;
  /** The datestamp the rollout tag points at. */
  heldAt: string;
  /** The newest datestamp in the registry, which the rollout tag no longer points at. */
  newest: string;
}

/**
 * The hold, if any: the rollout tag's digest equals an older datestamp's while the newest datestamp has another digest.
 * `datestamps` maps tag → digest for the tags looked at (newest first is enough; others may be missing).
 */
export function rollbackHold(
  repository: string,
  rolloutDigest: string,
  datestamps: ReadonlyMap<string, string>,
  format: DatestampFormat,
): RollbackHold | undefined {
  const newestFirst = [...datestamps.keys()].filter(format.isDatestamp).sort((a, b) => format.compare(b, a));
  const newest = newestFirst[0];
  if (newest === undefined || datestamps.get(newest) === rolloutDigest) return undefined;
  const heldAt = newestFirst.find((tag) => datestamps.get(tag) === rolloutDigest);
  return heldAt === undefined ? undefined : { repository, heldAt, newest };
}

/** One line for discover's notes. */
export const holdNote = (hold: RollbackHold): string =>
  `${hold.repository}: rolled back to ${hold.heldAt} (newest build ${hold.newest}); not rebuilding until a newer build is pushed, the rollout tag is moved forward, or discover is forced`;

/**
 * Reads whether a repository is held: the rollout tag's digest (from `known`, what the caller already fetched, else a HEAD),
 * the tag list, then HEAD on datestamp tags from the newest down until one matches (usually just the newest).
 */
export async function readRollbackHold(
  registry: RegistryClient,
  repository: string,
  rolloutTag: string,
  format: DatestampFormat,
  known?: string,
): Promise<RollbackHold | undefined> {
  const rolloutDigest = known ?? (await registry.manifestDigest(repository, rolloutTag));
  if (rolloutDigest === undefined) return undefined;
  const newestFirst = (await registry.tags(repository)).filter(format.isDatestamp).sort((a, b) => format.compare(b, a));
  const seen = new Map<string, string>();
  for (const tag of newestFirst) {
    const digest = await registry.manifestDigest(repository, tag);
    if (digest === undefined) continue;
    seen.set(tag, digest);
    if (digest === rolloutDigest) break;
  }
  return rollbackHold(repository, rolloutDigest, seen, format);
}

/**
 * The holds among published repositories, skipping those discover is forced to rebuild (`force: true` or naming them):
 * forcing is the documented way past a hold.
 */
export async function readRollbackHolds(
  registry: RegistryClient,
  repositories: readonly string[],
  rolloutTag: string,
  force: boolean | readonly string[],
  format: DatestampFormat,
  rolloutDigests: ReadonlyMap<string, string> = new Map(),
): Promise<Map<string, RollbackHold>> {
  const holds = new Map<string, RollbackHold>();
  if (force === true) return holds;
  const forced = new Set(force === false ? [] : force);
  const found = await mapLimit(
    repositories.filter((r) => !forced.has(r)),
    4,
    (repository) => readRollbackHold(registry, repository, rolloutTag, format, rolloutDigests.get(repository)),
  );
  for (const hold of found) if (hold) holds.set(hold.repository, hold);
  return holds;
}
