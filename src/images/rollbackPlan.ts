import { shortDigest } from '../model/imageRef.js';
import { datestampFormat, type DatestampFormat } from './datestamp.js';

/** What the registry says about the repository before a rollback: its tags, and the digests of the two tags involved. */
export interface RollbackFacts {
  /** The registry's name (`host:port`), the image prefix. */
  registry: string;
  repository: string;
  /** The tag to roll back to (an earlier datestamp). */
  tag: string;
  rolloutTag: string;
  /** Every tag of the repository; empty when the repository does not exist. */
  tags: readonly string[];
  /** Digest of `tag`'s manifest, undefined when absent. */
  targetDigest?: string;
  /** Digest `rolloutTag` points at now, undefined when absent. */
  currentDigest?: string;
  /** The format rebuild writes datestamp tags in (`date_format`). */
  datestamps?: DatestampFormat;
}

/** The decision: refuse (bad input), nothing to do, or move the rollout tag. */
export type RollbackPlan =
  { action: 'refuse'; message: string } | { action: 'none'; sentence: string } | { action: 'move'; sentence: string; done: string; digest: string };

/** The tags that point at `digest` besides the rollout tag, for sentences (`20261105-0300`). */
export const tagsOf = (tags: ReadonlyMap<string, string>, digest: string | undefined, rolloutTag: string): string[] =>
  [...tags]
    .filter(([tag, d]) => d === digest && tag !== rolloutTag)
    .map(([tag]) => tag)
    .sort();

/**
 * Decides a rollback from what the registry holds. Only a tag other than the rollout tag, present in an existing repository,
 * can be rolled back to; a tag that is not a datestamp is allowed (a hand-made `v1.2`) but said so.
 */
export function planRollback(facts: RollbackFacts, currentTags: readonly string[] = []): RollbackPlan {
  const { registry, repository, tag, rolloutTag } = facts;
  const format = facts.datestamps ?? datestampFormat();
  const image = `${registry}/${repository}`;
  if (facts.tags.length === 0) return { action: 'refuse', message: `${image}: no such repository in ${registry} (it has no tags)` };
  if (tag === rolloutTag) return { action: 'refuse', message: `${image}: ${tag} is the rollout tag itself; name the earlier tag to roll back to` };
  if (!facts.tags.includes(tag) || facts.targetDigest === undefined) {
    const datestamps = facts.tags
      .filter(format.isDatestamp)
      .sort((a, b) => format.compare(b, a))
      .slice(0, 5);
    const known = datestamps.length > 0 ? `; newest datestamps: ${datestamps.join(', ')}` : '';
    return { action: 'refuse', message: `${image}: no tag ${tag}${known}` };
  }
  const target = `${image}:${rolloutTag}`;
  const digest = facts.targetDigest;
  if (facts.currentDigest === digest) return { action: 'none', sentence: `${target} already points at ${tag} (${shortDigest(digest)})` };
  const was =
    facts.currentDigest === undefined
      ? 'had no such tag'
      : `was ${shortDigest(facts.currentDigest)}${currentTags.length > 0 ? ` = ${currentTags.join(', ')}` : ''}`;
  const plain = format.isDatestamp(tag) ? '' : ` (${tag} is not a datestamp tag)`;
  return {
    action: 'move',
    digest,
    sentence: `Point ${target} at ${tag} (${shortDigest(digest)}; ${was})${plain}`,
    done: `Pointed ${target} at ${tag} (${shortDigest(digest)}; ${was})${plain}`,
  };
}
