// The OCI twin of a manifest in Docker's media types: the same image, described with OCI's media types. Docker's schema 2
// manifests and OCI's differ only in these names; the config and layer blobs behind them are the same bytes, so image IDs and
// layer digests stay, and only the manifest's own digest (and an index's, whose children change) is new. Tools that read OCI
// layouts (skopeo, umoci, so Podman and Buildah) accept only OCI media types there.
import { MEDIA_TYPES, sha256Digest } from './registryFormats.js';

/** Docker's media type → OCI's, for the manifests and the blobs they name. */
const OCI_OF: Readonly<Record<string, string>> = {
  [MEDIA_TYPES.dockerManifest]: MEDIA_TYPES.ociManifest,
  [MEDIA_TYPES.dockerManifestList]: MEDIA_TYPES.ociIndex,
  'application/vnd.docker.container.image.v1+json': 'application/vnd.oci.image.config.v1+json',
  'application/vnd.docker.image.rootfs.diff.tar.gzip': 'application/vnd.oci.image.layer.v1.tar+gzip',
  'application/vnd.docker.image.rootfs.foreign.diff.tar.gzip': 'application/vnd.oci.image.layer.nondistributable.v1.tar+gzip',
};

/** True for Docker's manifest and manifest list: what gets a twin. */
export const isDockerManifestType = (mediaType: string): boolean => mediaType === MEDIA_TYPES.dockerManifest || mediaType === MEDIA_TYPES.dockerManifestList;

/** A manifest as a layout's `index.json` (or an index) points at it. */
export interface TwinDescriptor {
  digest: string;
  mediaType: string;
  size: number;
}

type Json = Record<string, unknown>;

const renamed = (descriptor: unknown): unknown => {
  if (typeof descriptor !== 'object' || descriptor === null) return descriptor;
  const mediaType = (descriptor as Json).mediaType;
  return typeof mediaType === 'string' && OCI_OF[mediaType] !== undefined ? { ...descriptor, mediaType: OCI_OF[mediaType] } : descriptor;
};

/**
 * The twin's bytes of a manifest or index; undefined when it needs none (already OCI throughout). `twinOf` gives the twin of
 * an index's child (converted first, by the caller), undefined for a child that needs none. Every field but the media types
 * (and an index's child descriptors) is kept as it was.
 */
export function ociTwin(
  body: Json,
  mediaType: string,
  twinOf: (digest: string) => TwinDescriptor | undefined,
): { raw: Buffer; descriptor: TwinDescriptor } | undefined {
  let twin: Json;
  if (Array.isArray(body.manifests)) {
    let changed = isDockerManifestType(mediaType);
    const manifests = (body.manifests as unknown[]).map((child) => {
      const digest = (child as Json | null)?.digest;
      const converted = typeof digest === 'string' ? twinOf(digest) : undefined;
      if (converted === undefined) return child;
      changed = true;
      return { ...(child as Json), ...converted };
    });
    if (!changed) return undefined;
    twin = { ...body, mediaType: MEDIA_TYPES.ociIndex, manifests };
  } else {
    if (!isDockerManifestType(mediaType)) return undefined;
    twin = {
      ...body,
      mediaType: MEDIA_TYPES.ociManifest,
      config: renamed(body.config),
      layers: Array.isArray(body.layers) ? body.layers.map(renamed) : body.layers,
    };
  }
  const raw = Buffer.from(JSON.stringify(twin));
  return { raw, descriptor: { digest: sha256Digest(raw), mediaType: twin.mediaType as string, size: raw.length } };
}
