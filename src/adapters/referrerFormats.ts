import { MEDIA_TYPES, sha256Digest } from './registryFormats.js';

// OCI 1.1 artifacts that refer to an image (its SBOM), and the referrers tag fallback of the distribution spec for registries
// without the referrers API: the tag `sha256-<hex>` of the subject names an index of the manifests that refer to it.

/** An OCI content descriptor. */
export interface Descriptor {
  mediaType: string;
  digest: string;
  size: number;
  artifactType?: string;
  annotations?: Record<string, string>;
}

/** The OCI empty config (`{}`), which an artifact manifest without a config of its own points at. */
export const EMPTY_CONFIG_BYTES = Buffer.from('{}');
export const EMPTY_CONFIG: Descriptor = { mediaType: 'application/vnd.oci.empty.v1+json', digest: sha256Digest(EMPTY_CONFIG_BYTES), size: 2 };

/** The annotation that dates an artifact (OCI's own). */
export const CREATED_ANNOTATION = 'org.opencontainers.image.created';
/** The file name a blob is saved as (`oras pull` and `oras push` use it). */
export const TITLE_ANNOTATION = 'org.opencontainers.image.title';

/** The referrers fallback tag of a subject digest: `sha256:abc…` → `sha256-abc…`. */
export const referrersTag = (digest: string): string => digest.replace(':', '-');

/**
 * The subject digest of a tag that belongs to a subject: the fallback tag `sha256-<hex>`, or an artifact's own tag
 * `sha256-<hex>.sbom` (distribution 2.8's `garbage-collect --delete-untagged` deletes an untagged manifest even when a tagged
 * index lists it, so the artifact keeps a tag of its own). gc deletes them with their subject. Undefined for any other tag.
 */
export function referrerTagSubject(tag: string): string | undefined {
  const hex = /^sha256-([0-9a-f]{64})(?:\.[a-z0-9]+)?$/.exec(tag)?.[1];
  return hex === undefined ? undefined : `sha256:${hex}`;
}

/** An artifact manifest: one blob of `artifactType`, the empty config, and the image it describes as its `subject`. */
export function artifactManifest(artifactType: string, blob: Descriptor, subject: Descriptor, annotations: Record<string, string>): Buffer {
  return Buffer.from(
    JSON.stringify({
      schemaVersion: 2,
      mediaType: MEDIA_TYPES.ociManifest,
      artifactType,
      config: EMPTY_CONFIG,
      layers: [blob],
      subject: { mediaType: subject.mediaType, digest: subject.digest, size: subject.size },
      annotations,
    }),
  );
}

/** The descriptors an index lists (untrusted: only well-formed entries). */
export function indexDescriptors(body: Record<string, unknown> | undefined): Descriptor[] {
  const manifests = Array.isArray(body?.manifests) ? (body.manifests as unknown[]) : [];
  return manifests.flatMap((m): Descriptor[] => {
    const d = m as Partial<Descriptor> | null;
    if (!d || typeof d.digest !== 'string' || typeof d.mediaType !== 'string' || typeof d.size !== 'number') return [];
    return [
      {
        mediaType: d.mediaType,
        digest: d.digest,
        size: d.size,
        ...(typeof d.artifactType === 'string' ? { artifactType: d.artifactType } : {}),
        ...(d.annotations && typeof d.annotations === 'object' ? { annotations: d.annotations } : {}),
      },
    ];
  });
}

/** The fallback tag's index with `referrer` added (or kept once); `others` are the referrers it already lists. */
export function referrersIndex(others: readonly Descriptor[], referrer: Descriptor): Buffer {
  const manifests = [...others.filter((d) => d.digest !== referrer.digest), referrer];
  return Buffer.from(JSON.stringify({ schemaVersion: 2, mediaType: MEDIA_TYPES.ociIndex, manifests }));
}
