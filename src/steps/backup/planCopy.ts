// The pure part of a backup: which tags, manifests and blobs are missing at the destination, and in which order to copy them.

/** A blob a manifest references, with the size its descriptor declares. */
export interface BlobRef {
  digest: string;
  size: number;
}

/** A manifest as read from the source, kept whole so it is written back byte for byte. */
export interface ManifestNode {
  digest: string;
  mediaType: string;
  raw: Buffer;
  /** Child manifests (an index's entries). */
  children: Array<BlobRef & { mediaType?: string }>;
  /** Config and layers (an image manifest's blobs). */
  blobs: BlobRef[];
}

/** A tag at the source and the manifest it names. */
export interface SourceTag {
  repository: string;
  tag: string;
  digest: string;
}

export interface TagCopy extends SourceTag {
  /** What the destination's tag named before, when it named something else. */
  previous?: string;
}

export interface ManifestCopy {
  repository: string;
  digest: string;
}

export interface BlobCopy extends BlobRef {
  repository: string;
  /** A repository of the destination registry that holds (or will, earlier in this plan) the blob: mount instead of upload. */
  mountFrom?: string;
}

/** What one backup would copy. */
export interface CopyPlan {
  tags: TagCopy[];
  /** Selected tags the destination already has at the source's digest. */
  upToDate: number;
  /** Manifests the destination lacks, children before the indexes that list them. */
  manifests: ManifestCopy[];
  /** Blobs to upload (no `mountFrom`) or mount. */
  blobs: BlobCopy[];
  /** Bytes that would travel: uploaded blobs and manifests (mounts are free). */
  bytes: number;
}

interface Descriptor {
  mediaType?: unknown;
  digest?: unknown;
  size?: unknown;
}

const isDescriptor = (d: Descriptor | undefined): d is { mediaType?: string; digest: string; size: number } =>
  d !== undefined && typeof d.digest === 'string' && typeof d.size === 'number';

// Foreign (Windows base) and non-distributable layers live elsewhere by design; registries do not serve them.
const isForeign = (d: Descriptor): boolean => typeof d.mediaType === 'string' && /foreign|nondistributable/.test(d.mediaType);

/** What a manifest references: an index's child manifests, an image manifest's config and layers. */
export function manifestReferences(body: Record<string, unknown>): Pick<ManifestNode, 'children' | 'blobs'> {
  const { config, layers, manifests } = body as { config?: Descriptor; layers?: Descriptor[]; manifests?: Descriptor[] };
  const children = (Array.isArray(manifests) ? manifests : []).filter(isDescriptor).map((d) => ({
    digest: d.digest,
    size: d.size,
    ...(typeof d.mediaType === 'string' ? { mediaType: d.mediaType } : {}),
  }));
  const blobs = [config, ...(Array.isArray(layers) ? layers : [])]
    .filter(isDescriptor)
    .filter((d) => !isForeign(d))
    .map((d) => ({ digest: d.digest, size: d.size }));
  return { children, blobs };
}

export const tagKey = (t: { repository: string; tag: string }): string => `${t.repository}:${t.tag}`;
export const blobKey = (repository: string, digest: string, shared: boolean): string => (shared ? digest : `${repository}@${digest}`);

/** The tags whose destination digest differs from the source's (absent counts as different). */
export function changedTags(tags: SourceTag[], destTags: Map<string, string | undefined>): TagCopy[] {
  return tags.flatMap((t) => {
    const previous = destTags.get(tagKey(t));
    if (previous === t.digest) return [];
    return [previous === undefined ? { ...t } : { ...t, previous }];
  });
}

/** The manifests under `digest` (itself included), children first, each once. */
export function manifestTree(digest: string, manifests: Map<string, ManifestNode>, seen = new Set<string>()): string[] {
  if (seen.has(digest)) return [];
  seen.add(digest);
  const node = manifests.get(digest);
  if (node === undefined) throw new Error(`manifest ${digest} was not read from the source`);
  return [...node.children.flatMap((child) => manifestTree(child.digest, manifests, seen)), digest];
}

/** Every (repository, manifest) the changed tags need at the destination, in copy order. */
export function neededManifests(tags: TagCopy[], manifests: Map<string, ManifestNode>): ManifestCopy[] {
  const seen = new Set<string>();
  const out: ManifestCopy[] = [];
  for (const t of tags) {
    for (const digest of manifestTree(t.digest, manifests)) {
      if (seen.has(`${t.repository}@${digest}`)) continue;
      seen.add(`${t.repository}@${digest}`);
      out.push({ repository: t.repository, digest });
    }
  }
  return out;
}

/** The blobs of the missing manifests, each (repository, digest) once; a shared blob store (a layout) needs each digest once. */
export function neededBlobs(missing: ManifestCopy[], manifests: Map<string, ManifestNode>, shared: boolean): Array<BlobRef & { repository: string }> {
  const seen = new Set<string>();
  return missing.flatMap(({ repository, digest }) =>
    manifests.get(digest)!.blobs.flatMap((blob) => {
      const key = blobKey(repository, blob.digest, shared);
      if (seen.has(key)) return [];
      seen.add(key);
      return [{ repository, ...blob }];
    }),
  );
}

export interface CopyPlanInput {
  tags: SourceTag[];
  /** `repository:tag` → the digest the destination's tag names now. */
  destTags: Map<string, string | undefined>;
  manifests: Map<string, ManifestNode>;
  /** `repository@digest` of the manifests the destination has. */
  presentManifests: Set<string>;
  /** `blobKey`s of the blobs the destination has. */
  presentBlobs: Set<string>;
  /** The destination keeps one blob store for every repository (an OCI layout). */
  sharedBlobs: boolean;
}

/**
 * The copy plan. A manifest the destination has is complete (registries refuse a manifest whose blobs are missing; a layout
 * gets its manifests after their blobs), so only missing manifests' blobs are looked at. A blob a registry holds in another
 * repository, or will after an earlier upload of this plan, is mounted rather than uploaded.
 */
export function planCopy(input: CopyPlanInput): CopyPlan {
  const tags = changedTags(input.tags, input.destTags);
  const manifests = neededManifests(tags, input.manifests).filter((m) => !input.presentManifests.has(`${m.repository}@${m.digest}`));
  const holders = new Map<string, string>();
  if (!input.sharedBlobs) {
    for (const key of [...input.presentBlobs].sort()) {
      const [repository, digest] = key.split('@') as [string, string];
      if (!holders.has(digest)) holders.set(digest, repository);
    }
  }
  const blobs: BlobCopy[] = [];
  for (const blob of neededBlobs(manifests, input.manifests, input.sharedBlobs)) {
    if (input.presentBlobs.has(blobKey(blob.repository, blob.digest, input.sharedBlobs))) continue;
    const holder = holders.get(blob.digest);
    if (input.sharedBlobs || holder === undefined) {
      blobs.push(blob);
      if (!input.sharedBlobs) holders.set(blob.digest, blob.repository);
    } else {
      blobs.push({ ...blob, mountFrom: holder });
    }
  }
  const manifestBytes = manifests.reduce((sum, m) => sum + input.manifests.get(m.digest)!.raw.length, 0);
  const blobBytes = blobs.filter((b) => b.mountFrom === undefined).reduce((sum, b) => sum + b.size, 0);
  return { tags, upToDate: input.tags.length - tags.length, manifests, blobs, bytes: manifestBytes + blobBytes };
}
