import { Readable } from 'node:stream';
import {
  CREATED_ANNOTATION,
  TITLE_ANNOTATION,
  EMPTY_CONFIG,
  EMPTY_CONFIG_BYTES,
  artifactManifest,
  indexDescriptors,
  referrersIndex,
  referrersTag,
  type Descriptor,
} from './referrerFormats.js';
import { MEDIA_TYPES, sha256Digest } from './registryFormats.js';
import type { RegistryClient } from './types.js';

/** How an attached artifact can be found again. */
export type ReferrersVia = 'referrers API' | 'referrers tag' | 'artifact tag';

async function uploadIfMissing(registry: RegistryClient, repository: string, digest: string, bytes: Buffer): Promise<void> {
  if ((await registry.blobSize(repository, digest)) !== undefined) return;
  await registry.uploadBlob(repository, digest, bytes.length, Readable.from([bytes]));
}

/**
 * Pushes `content` as an artifact whose subject is the manifest `subjectDigest` of `repository`. Where the registry has the
 * referrers API it indexes the artifact itself; elsewhere the fallback tag's index gets it (read, extended, put back).
 */
export async function attachArtifact(
  registry: RegistryClient,
  repository: string,
  subjectDigest: string,
  artifact: {
    artifactType: string;
    content: Buffer;
    created: Date;
    /** Tags the artifact `sha256-<subject hex>.<suffix>` too. */
    tagSuffix: string;
    /** The blob's file name (`org.opencontainers.image.title`): `oras pull` saves a layer only when it has one. */
    title: string;
    /**
     * Whether the fallback tag's index lists it too (default true). Records several hosts write at once set false: a
     * read-extend-put of one index would lose all but one of them, and they are found by their own tags anyway.
     */
    fallbackIndex?: boolean;
  },
): Promise<{ digest: string; via: ReferrersVia }> {
  const subject = await registry.manifest(repository, subjectDigest);
  if (subject === undefined) throw new Error(`${registry.name}/${repository}@${subjectDigest} is not in the registry`);
  const blob: Descriptor = {
    mediaType: artifact.artifactType,
    digest: sha256Digest(artifact.content),
    size: artifact.content.length,
    annotations: { [TITLE_ANNOTATION]: artifact.title },
  };
  await uploadIfMissing(registry, repository, EMPTY_CONFIG.digest, EMPTY_CONFIG_BYTES);
  await uploadIfMissing(registry, repository, blob.digest, artifact.content);
  const annotations = { [CREATED_ANNOTATION]: artifact.created.toISOString() };
  const raw = artifactManifest(artifact.artifactType, blob, { mediaType: subject.mediaType, digest: subject.digest, size: subject.raw.length }, annotations);
  const digest = sha256Digest(raw);
  // A tag of its own, so no collector takes it for an untagged manifest (and `docker`-era tools find it by name).
  await registry.putManifest(repository, `${referrersTag(subject.digest)}.${artifact.tagSuffix}`, { mediaType: MEDIA_TYPES.ociManifest, raw });
  if ((await registry.referrers(repository, subject.digest)) !== undefined) return { digest, via: 'referrers API' };
  if (artifact.fallbackIndex === false) return { digest, via: 'artifact tag' };
  const tag = referrersTag(subject.digest);
  const existing = await registry.manifest(repository, tag);
  const descriptor: Descriptor = { mediaType: MEDIA_TYPES.ociManifest, digest, size: raw.length, artifactType: artifact.artifactType, annotations };
  await registry.putManifest(repository, tag, { mediaType: MEDIA_TYPES.ociIndex, raw: referrersIndex(indexDescriptors(existing?.body), descriptor) });
  return { digest, via: 'referrers tag' };
}

/** The manifests that refer to `subjectDigest` (of `artifactType` when given): from the referrers API, else the fallback tag. */
export async function findReferrers(
  registry: RegistryClient,
  repository: string,
  subjectDigest: string,
  artifactType?: string,
): Promise<{ referrers: Descriptor[]; via: ReferrersVia }> {
  const listed = await registry.referrers(repository, subjectDigest);
  const found = listed !== undefined ? { referrers: indexDescriptors({ manifests: listed }), via: 'referrers API' as const } : undefined;
  const fallback = found ?? {
    referrers: indexDescriptors((await registry.manifest(repository, referrersTag(subjectDigest)))?.body),
    via: 'referrers tag' as const,
  };
  return { ...fallback, referrers: fallback.referrers.filter((d) => artifactType === undefined || d.artifactType === artifactType) };
}

/** The newest referrer of `artifactType` and its one blob's content, or undefined when the image has none. */
export async function readNewestArtifact(
  registry: RegistryClient,
  repository: string,
  subjectDigest: string,
  artifactType: string,
  maxBytes: number,
): Promise<{ digest: string; via: ReferrersVia; content: Buffer } | undefined> {
  const { referrers, via } = await findReferrers(registry, repository, subjectDigest, artifactType);
  const created = (d: Descriptor): string => d.annotations?.[CREATED_ANNOTATION] ?? '';
  const newest = [...referrers].sort((a, b) => (created(a) < created(b) ? 1 : created(a) > created(b) ? -1 : 0))[0];
  if (newest === undefined) return undefined;
  const manifest = await registry.manifest(repository, newest.digest);
  const layer = indexDescriptors({ manifests: (manifest?.body.layers as unknown[]) ?? [] })[0];
  if (layer === undefined) throw new Error(`${registry.name}/${repository}@${newest.digest} lists no blob`);
  if (layer.size > maxBytes) throw new Error(`${registry.name}/${repository}@${newest.digest}: its blob is ${layer.size} bytes, more than ${maxBytes}`);
  const content = await readBlob(registry, repository, layer.digest, maxBytes);
  return { digest: newest.digest, via, content };
}

/** A whole blob, at most `maxBytes`, checked against its digest as a peer's bytes must be. */
export async function readBlob(registry: RegistryClient, repository: string, digest: string, maxBytes: number): Promise<Buffer> {
  const blob = await registry.openBlob(repository, digest);
  const chunks: Buffer[] = [];
  let size = 0;
  for await (const chunk of blob.stream as AsyncIterable<Buffer>) {
    size += chunk.length;
    if (size > maxBytes) {
      blob.stream.destroy();
      throw new Error(`${registry.name}/${repository}@${digest} is bigger than ${maxBytes} bytes`);
    }
    chunks.push(chunk);
  }
  const content = Buffer.concat(chunks);
  if (sha256Digest(content) !== digest) throw new Error(`registry ${registry.name} served ${digest} with other content`);
  return content;
}
