import { createHash } from 'node:crypto';

/** Manifest media types freshen reads and writes. */
export const MEDIA_TYPES = {
  dockerManifest: 'application/vnd.docker.distribution.manifest.v2+json',
  dockerManifestList: 'application/vnd.docker.distribution.manifest.list.v2+json',
  ociManifest: 'application/vnd.oci.image.manifest.v1+json',
  ociIndex: 'application/vnd.oci.image.index.v1+json',
} as const;

/** Accept header for manifest requests: without it a registry may answer with a schema 1 manifest or the wrong digest. */
export const MANIFEST_ACCEPT = [MEDIA_TYPES.dockerManifest, MEDIA_TYPES.dockerManifestList, MEDIA_TYPES.ociManifest, MEDIA_TYPES.ociIndex].join(', ');

/** `sha256:<hex>` of some bytes, as registries name manifests and blobs. */
export const sha256Digest = (bytes: Buffer): string => `sha256:${createHash('sha256').update(bytes).digest('hex')}`;

/** Media type from a Content-Type header (parameters dropped), else the manifest's own `mediaType` field. */
export function manifestMediaType(contentType: string | undefined, body: Record<string, unknown>): string {
  const fromHeader = contentType?.split(';')[0]?.trim();
  if (fromHeader !== undefined && fromHeader !== '' && fromHeader !== 'application/json') return fromHeader;
  if (typeof body.mediaType === 'string') return body.mediaType;
  // An OCI index may omit mediaType; `manifests` is what tells it apart.
  return Array.isArray(body.manifests) ? MEDIA_TYPES.ociIndex : MEDIA_TYPES.ociManifest;
}

export const isIndex = (mediaType: string): boolean => mediaType === MEDIA_TYPES.dockerManifestList || mediaType === MEDIA_TYPES.ociIndex;

interface IndexEntry {
  digest?: unknown;
  platform?: { os?: unknown; architecture?: unknown; variant?: unknown };
}

const LINUX_AMD64 = { os: 'linux', architecture: 'amd64' };

/**
 * The manifest of an index that freshen's hosts run: linux/amd64, else the only real platform (attestation entries, whose
 * platform is unknown/unknown, do not count). Undefined when no entry fits.
 */
export function platformManifestDigest(index: Record<string, unknown>, platform: { os: string; architecture: string } = LINUX_AMD64): string | undefined {
  const entries = (Array.isArray(index.manifests) ? (index.manifests as IndexEntry[]) : []).filter(
    (entry) => typeof entry.digest === 'string' && entry.platform?.os !== 'unknown' && entry.platform?.architecture !== 'unknown',
  );
  const own = entries.find((entry) => entry.platform?.os === platform.os && entry.platform?.architecture === platform.architecture);
  const chosen = own ?? (entries.length === 1 ? entries[0] : undefined);
  return chosen?.digest as string | undefined;
}

/** The config blob digest of an image manifest; undefined for anything else (schema 1, an index). */
export function configDigestOf(manifest: Record<string, unknown>): string | undefined {
  const config = manifest.config as { digest?: unknown } | undefined;
  return typeof config?.digest === 'string' ? config.digest : undefined;
}

/** The `rel="next"` target of a Link header (`</v2/_catalog?last=b&n=100>; rel="next"`), as registries paginate. */
export function nextLink(link: string | undefined): string | undefined {
  if (link === undefined) return undefined;
  for (const part of link.split(/,(?=\s*<)/)) {
    const match = /^\s*<([^>]*)>\s*;(.*)$/.exec(part);
    if (match !== null && /\brel="?next"?/.test(match[2]!)) return match[1];
  }
  return undefined;
}
