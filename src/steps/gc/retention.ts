/** One tag of a repository and the manifest digest it points at. */
export interface TaggedDigest {
  tag: string;
  digest: string;
}

/** What retention looks at for one repository. */
export interface RetentionInput {
  repository: string;
  tags: TaggedDigest[];
  rolloutTag: string;
  /** Datestamp tags kept besides the rollout tag (the newest ones). */
  keep: number;
  /** Manifest digest → why an inventory host still needs it (`web2: container api`). */
  inUse?: ReadonlyMap<string, string>;
}

/** A manifest to delete, with every tag that points at it (all of them expiring). */
export interface ManifestDeletion {
  repository: string;
  digest: string;
  tags: string[];
}

/** A manifest with expiring tags that is kept anyway, and why. */
export interface KeptManifest {
  repository: string;
  digest: string;
  /** Its expiring tags. */
  tags: string[];
  reason: string;
}

/** The retention verdict for one repository. */
export interface RepositoryRetention {
  repository: string;
  /** Carries the rollout tag; unmanaged repositories are never touched. */
  managed: boolean;
  deletions: ManifestDeletion[];
  kept: KeptManifest[];
}

const DATESTAMP = /^(\d{8}-\d{4,6})(?:-(\d+))?$/;

/** True for the immutable tags `rebuild` writes: `20261128-0301`, `20261128-030115`, `20261128-0301-2`. */
export const isDatestampTag = (tag: string): boolean => DATESTAMP.test(tag);

/** Oldest first. Lexical order is age order, except that the same-minute suffix compares as a number (`-10` after `-9`). */
export function compareDatestampTags(a: string, b: string): number {
  const [, baseA = a, suffixA = '1'] = DATESTAMP.exec(a) ?? [];
  const [, baseB = b, suffixB = '1'] = DATESTAMP.exec(b) ?? [];
  if (baseA !== baseB) return baseA < baseB ? -1 : 1;
  return Number(suffixA) - Number(suffixB);
}

/**
 * Which manifests of a repository to delete. A DELETE removes every tag pointing at the digest, so a digest that any kept tag
 * (the rollout tag, the newest `keep` datestamps, any other tag) shares is kept, and so is one an inventory host still uses.
 * Deletions come oldest first.
 */
export function planRetention(input: RetentionInput): RepositoryRetention {
  const { repository, tags, rolloutTag, keep, inUse } = input;
  const managed = tags.some((t) => t.tag === rolloutTag);
  if (!managed) return { repository, managed, deletions: [], kept: [] };

  const datestamps = tags.filter((t) => isDatestampTag(t.tag)).sort((a, b) => compareDatestampTags(b.tag, a.tag));
  const expiring = datestamps.slice(keep).reverse();
  const expiringTags = new Set(expiring.map((t) => t.tag));

  const keptTagsByDigest = new Map<string, string[]>();
  for (const t of tags) {
    if (expiringTags.has(t.tag)) continue;
    keptTagsByDigest.set(t.digest, [...(keptTagsByDigest.get(t.digest) ?? []), t.tag]);
  }

  const expiringByDigest = new Map<string, string[]>();
  for (const t of expiring) expiringByDigest.set(t.digest, [...(expiringByDigest.get(t.digest) ?? []), t.tag]);

  const deletions: ManifestDeletion[] = [];
  const kept: KeptManifest[] = [];
  for (const [digest, digestTags] of expiringByDigest) {
    const sharedWith = keptTagsByDigest.get(digest);
    const use = inUse?.get(digest);
    if (sharedWith) kept.push({ repository, digest, tags: digestTags, reason: `also tagged ${[...sharedWith].sort().join(', ')}` });
    else if (use !== undefined) kept.push({ repository, digest, tags: digestTags, reason: `in use: ${use}` });
    else deletions.push({ repository, digest, tags: digestTags });
  }
  return { repository, managed, deletions, kept };
}
