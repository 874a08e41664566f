import type { Readable } from 'node:stream';
import type { LayoutIndex, LayoutRef } from '../adapters/ociLayoutIndex.js';
import type { BlobStream } from '../adapters/types.js';
import type { ContextEntry } from './contextDigest.js';
import type { GitRepo } from '../pins/gitPort.js';

// The files port: what steps read of the control node's files (the infra repo's image tree, Dockerfiles and build contexts,
// a secret named by its path). Declared here, beside the images domain that reads most of them; src/adapters/localFiles.ts
// implements it on the file system, and tests can hand in their own.

/** A build context as it would be sent: its entries (in walk order) and their digest. */
export interface BuildContext {
  dir: string;
  entries: ContextEntry[];
  digest: string;
  /** Entries sent with other bytes than the file on disk holds (the Dockerfile, when pinned bases are followed). */
  replaced?: ReadonlyMap<string, Buffer>;
}

/** How a context is read: `followPinnedBases` sends (and hashes) the Dockerfile as `followPinnedBases` rewrites it. */
export interface BuildContextOptions {
  followPinnedBases?: boolean;
}

/** One entry of a directory. */
export interface DirectoryEntry {
  name: string;
  directory: boolean;
  file: boolean;
}

export interface Files {
  isDirectory(path: string): Promise<boolean>;
  readText(path: string): Promise<string>;
  /** For option parsers, which run at load time too and are synchronous: small files only (a password file). */
  readTextSync(path: string): string;
  list(dir: string): Promise<DirectoryEntry[]>;
  /** Walks a context directory honouring its `.dockerignore`, hashing every file that would be sent. */
  buildContext(dir: string, options?: BuildContextOptions): Promise<BuildContext>;
  /** A tar stream of exactly the context's entries, as the Docker CLI sends them. */
  pack(context: BuildContext): NodeJS.ReadableStream;
  /** An OCI image layout in a directory (backup's other end): read and written through these methods only. */
  ociLayout(dir: string): OciLayoutFiles;
  /** The git repository `dir` lies in (pin's), read and written through git only. */
  gitRepository(dir: string): GitRepo;
}

/** What backup does with an OCI image layout on disk (src/adapters/ociLayout.ts writes it as the OCI image spec says). */
export interface OciLayoutFiles {
  readonly dir: string;
  /** Whether the directory holds a layout (its `oci-layout` file). */
  exists(): Promise<boolean>;
  readIndex(): Promise<LayoutIndex>;
  blobSize(digest: string): Promise<number | undefined>;
  openBlob(digest: string): Promise<BlobStream>;
  readBlob(digest: string): Promise<Buffer>;
  /** Writes a blob from a stream, checked against its digest (and size, when known) before it is kept. */
  writeBlob(digest: string, size: number | undefined, content: Readable): Promise<void>;
  writeBlobBytes(digest: string, bytes: Buffer): Promise<void>;
  /** Adds (or moves) tags in `index.json`. */
  writeRefs(refs: LayoutRef[]): Promise<void>;
}
