import type { DatestampFormat } from '../../images/datestamp.js';
import { referrerTagSubject } from '../../adapters/referrerFormats.js';

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
  /** Which tags are datestamps, and their age order: the format rebuild writes them in. */
  datestamps: DatestampFormat;
  /** Manifest digest → why an inventory host still needs it (`web2: container api`). */
  inUse?: ReadonlyMap<string, string>;
}

/** A manifest to delete, with every tag that points at it (all of them expiring). */
export interface ManifestDeletion {
  repository: string;
  digest: string;
  tags: string[];
  /** An SBOM or referrers index that goes with its deleted image (not an image: no host runs it). */
  referrer?: true;
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

/**
 * The SBOMs and referrers indexes (tags `sha256-<hex>`, `sha256-<hex>.sbom`) whose subject is deleted now or is no longer
 * tagged at all: they go with their image, and stay while it stays.
 */
function referrerDeletions(repository: string, tags: readonly TaggedDigest[], deletions: readonly ManifestDeletion[]): ManifestDeletion[] {
  const deleted = new Set(deletions.map((d) => d.digest));
  const images = new Set(tags.filter((t) => referrerTagSubject(t.tag) === undefined && !deleted.has(t.digest)).map((t) => t.digest));
  const byDigest = new Map<string, string[]>();
  for (const t of tags) {
    const subject = referrerTagSubject(t.tag);
    if (subject === undefined || images.has(subject)) continue;
    byDigest.set(t.digest, [...(byDigest.get(t.digest) ?? []), t.tag]);
  }
  return [...byDigest].map(([digest, digestTags]) => ({ repository, digest, tags: digestTags.sort(), referrer: true as const }));
}

/**
 * Which manifests of a repository to delete. A DELETE removes every tag pointing at the digest, so a digest that any kept tag
 * (the rollout tag, the newest `keep` datestamps, any other tag) shares is kept, and so is one an inventory host still uses.
 * Deletions come oldest first.
 */
export function planRetention(input: RetentionInput): RepositoryRetention {
  const { repository, tags, rolloutTag, keep, inUse, datestamps: format } = input;
  const managed = tags.some((t) => t.tag === rolloutTag);
  if (!managed) return { repository, managed, deletions: [], kept: [] };

  const datestamps = tags.filter((t) => format.isDatestamp(t.tag)).sort((a, b) => format.compare(b.tag, a.tag));
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
  return { repository, managed, deletions: [...deletions, ...referrerDeletions(repository, tags, deletions)], kept };
}
