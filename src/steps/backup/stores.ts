import type { Readable } from 'node:stream';
import type { OciLayoutFiles } from '../../images/files.js';
import { layoutRefs, type LayoutRef } from '../../adapters/ociLayoutIndex.js';
import { manifestMediaType, MEDIA_TYPES, sha256Digest } from '../../adapters/registryFormats.js';
import { isDockerManifestType, ociTwin, type TwinDescriptor } from '../../adapters/ociTwin.js';
import type { BlobStream, RegistryClient } from '../../adapters/types.js';
import { manifestReferences, type ManifestNode } from './planCopy.js';

/**
 * One side of a backup: a registry, or an OCI image-layout directory. Both answer the same questions, so the step copies
 * registry → layout, layout → registry and registry → registry with one plan and one apply.
 */
export interface ImageStore {
  /** `127.0.0.1:5055`, `oci-layout:/srv/backup`: how sentences name it. */
  readonly label: string;
  /** One blob store for every repository (a layout), rather than blobs linked per repository (a registry). */
  readonly sharedBlobs: boolean;
  repositories(): Promise<string[]>;
  tags(repository: string): Promise<string[]>;
  tagDigest(repository: string, tag: string): Promise<string | undefined>;
  /** A manifest by tag or digest, its bytes checked against its digest; `mediaType` is the descriptor's, when known. */
  manifest(repository: string, reference: string, mediaType?: string): Promise<ManifestNode | undefined>;
  hasManifest(repository: string, digest: string): Promise<boolean>;
  blobSize(repository: string, digest: string): Promise<number | undefined>;
  openBlob(repository: string, digest: string): Promise<BlobStream>;
  writeBlob(repository: string, digest: string, size: number, content: Readable): Promise<void>;
  /** False when the store cannot mount (a layout) or the registry declined. */
  mountBlob(repository: string, digest: string, from: string): Promise<boolean>;
  /** Writes a manifest's bytes under its digest. */
  putManifest(repository: string, manifest: ManifestNode): Promise<void>;
  /** Points a tag at a manifest (a registry: PUT by tag; a layout: noted, and written by `commit`). */
  putTag(repository: string, tag: string, manifest: ManifestNode): Promise<void>;
  /** Makes the tags put so far visible (a layout writes `index.json`). */
  commit(): Promise<void>;
  /** The digest of the bytes the store now serves for a reference, read back and hashed; undefined when absent. */
  servedDigest(repository: string, reference: string): Promise<string | undefined>;
}

function nodeOf(digest: string, mediaType: string, raw: Buffer, what: string): ManifestNode {
  const actual = sha256Digest(raw);
  // A copy by digest is only possible when the bytes are the digest's.
  if (actual !== digest) throw new Error(`${what} is served as ${digest} but its bytes are ${actual}`);
  let body: Record<string, unknown>;
  try {
    body = JSON.parse(raw.toString('utf8')) as Record<string, unknown>;
  } catch {
    throw new Error(`${what} is not JSON`);
  }
  return { digest, mediaType: manifestMediaType(mediaType, body), raw, ...manifestReferences(body) };
}

/** A registry through its HTTP API. */
export function registryStore(registry: RegistryClient, options: { chunkSize?: number } = {}): ImageStore {
  return {
    label: registry.name,
    sharedBlobs: false,
    repositories: () => registry.catalog(),
    tags: async (repository) => (await registry.tags(repository)) ?? [],
    tagDigest: (repository, tag) => registry.manifestDigest(repository, tag),
    async manifest(repository, reference) {
      const found = await registry.manifest(repository, reference);
      return found && nodeOf(found.digest, found.mediaType, found.raw, `${registry.name}/${repository}:${reference}`);
    },
    hasManifest: async (repository, digest) => (await registry.manifestDigest(repository, digest)) !== undefined,
    blobSize: (repository, digest) => registry.blobSize(repository, digest),
    openBlob: (repository, digest) => registry.openBlob(repository, digest),
    writeBlob: (repository, digest, size, content) => registry.uploadBlob(repository, digest, size, content, { chunkSize: options.chunkSize }),
    mountBlob: (repository, digest, from) => registry.mountBlob(repository, digest, from),
    async putManifest(repository, manifest) {
      await registry.putManifest(repository, manifest.digest, manifest);
    },
    async putTag(repository, tag, manifest) {
      await registry.putManifest(repository, tag, manifest);
    },
    commit: async () => undefined,
    async servedDigest(repository, reference) {
      const served = await registry.manifest(repository, reference);
      return served && sha256Digest(served.raw);
    },
  };
}

/** An OCI image-layout directory; tags are `repository:tag` names in `index.json`. */
export function layoutStore(layout: OciLayoutFiles): ImageStore {
  let refs: Promise<LayoutRef[]> | undefined;
  const pending: LayoutRef[] = [];
  const currentRefs = (): Promise<LayoutRef[]> => (refs ??= layout.readIndex().then(layoutRefs));
  const refOf = async (repository: string, tag: string) => (await currentRefs()).filter((r) => r.repository === repository && r.tag === tag).pop();
  // OCI twins of Docker-typed manifests (children first), written beside the originals; `index.json` names the twins.
  const twins = new Map<string, TwinDescriptor | undefined>();
  const twinOf = async (digest: string, mediaType: string): Promise<TwinDescriptor | undefined> => {
    if (twins.has(digest)) return twins.get(digest);
    if ((await layout.blobSize(digest)) === undefined) return undefined;
    const body = JSON.parse((await layout.readBlob(digest)).toString('utf8')) as Record<string, unknown>;
    for (const child of manifestReferences(body).children) await twinOf(child.digest, child.mediaType ?? MEDIA_TYPES.ociManifest);
    const twin = ociTwin(body, mediaType, (child) => twins.get(child));
    if (twin !== undefined) await layout.writeBlobBytes(twin.descriptor.digest, twin.raw);
    twins.set(digest, twin?.descriptor);
    return twin?.descriptor;
  };
  const digestOf = async (repository: string, reference: string) =>
    reference.startsWith('sha256:') ? { digest: reference, mediaType: undefined } : await refOf(repository, reference);
  return {
    label: `oci-layout:${layout.dir}`,
    sharedBlobs: true,
    repositories: async () => [...new Set((await currentRefs()).map((r) => r.repository))].sort(),
    tags: async (repository) => (await currentRefs()).filter((r) => r.repository === repository).map((r) => r.tag),
    async tagDigest(repository, tag) {
      const ref = await refOf(repository, tag);
      // Stored in Docker's media types without a twin (by an earlier freshen): not up to date, so a backup adds the twin.
      return ref === undefined || (ref.twin === undefined && isDockerManifestType(ref.mediaType)) ? undefined : ref.digest;
    },
    async manifest(repository, reference, mediaType) {
      const found = await digestOf(repository, reference);
      if (found === undefined || (await layout.blobSize(found.digest)) === undefined) return undefined;
      const raw = await layout.readBlob(found.digest);
      return nodeOf(found.digest, mediaType ?? found.mediaType ?? '', raw, `${repository}:${reference} in the OCI layout ${layout.dir}`);
    },
    hasManifest: async (_repository, digest) => (await layout.blobSize(digest)) !== undefined,
    blobSize: (_repository, digest) => layout.blobSize(digest),
    openBlob: (_repository, digest) => layout.openBlob(digest),
    writeBlob: (_repository, digest, size, content) => layout.writeBlob(digest, size, content),
    mountBlob: async () => false,
    putManifest: (_repository, manifest) => layout.writeBlobBytes(manifest.digest, manifest.raw),
    async putTag(repository, tag, manifest) {
      await layout.writeBlobBytes(manifest.digest, manifest.raw);
      const twin = await twinOf(manifest.digest, manifest.mediaType);
      pending.push({ repository, tag, digest: manifest.digest, mediaType: manifest.mediaType, size: manifest.raw.length, ...(twin ? { twin } : {}) });
    },
    async commit() {
      if (pending.length === 0) return;
      await layout.writeRefs(pending.splice(0));
      refs = undefined;
    },
    async servedDigest(repository, reference) {
      refs = undefined;
      const found = await digestOf(repository, reference);
      if (found === undefined || (await layout.blobSize(found.digest)) === undefined) return undefined;
      // readBlob hashes the file and throws when it is not the digest it is stored under.
      return sha256Digest(await layout.readBlob(found.digest));
    },
  };
}
