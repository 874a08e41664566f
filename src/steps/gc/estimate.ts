/** A blob a manifest references, with its size as the manifest declares it. */
export interface BlobRef {
  digest: string;
  size: number;
}

interface Descriptor {
  digest?: unknown;
  size?: unknown;
}

const asBlob = (d: Descriptor | undefined): BlobRef[] =>
  d && typeof d.digest === 'string' && typeof d.size === 'number' ? [{ digest: d.digest, size: d.size }] : [];

/**
 * The blobs one manifest holds on to: the manifest itself, its config and layers (image manifests) or its child manifests
 * (indexes; their own layers are not followed, so an index's estimate is low).
 */
export function manifestBlobs(manifest: { digest: string; raw: Buffer; body: Record<string, unknown> }): BlobRef[] {
  const body = manifest.body as { config?: Descriptor; layers?: Descriptor[]; manifests?: Descriptor[] };
  return [
    { digest: manifest.digest, size: manifest.raw.length },
    ...asBlob(body.config),
    ...(body.layers ?? []).flatMap(asBlob),
    ...(body.manifests ?? []).flatMap(asBlob),
  ];
}

/** Bytes of the blobs that only the deleted manifests reference (each blob counted once): what a sweep may free at most. */
export function bytesFreedByDeleting(deleted: BlobRef[][], kept: BlobRef[][]): number {
  const keptDigests = new Set(kept.flat().map((b) => b.digest));
  const freed = new Map<string, number>();
  for (const blob of deleted.flat()) if (!keptDigests.has(blob.digest)) freed.set(blob.digest, blob.size);
  return [...freed.values()].reduce((sum, size) => sum + size, 0);
}
