import { randomBytes } from 'node:crypto';
import { createReadStream } from 'node:fs';
import { mkdir, open, readFile, rename, stat, unlink, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import type { Readable } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import { DigestMismatchError, VerifyingStream, sha256Hex } from './digestStream.js';
import { OCI_LAYOUT_MARKER, asLayoutIndex, emptyLayoutIndex, mergeLayoutIndex, type LayoutIndex, type LayoutRef } from './ociLayoutIndex.js';
import { sha256Digest } from './registryFormats.js';
import type { BlobStream } from './types.js';

const isMissing = (error: unknown): boolean => (error as { code?: unknown }).code === 'ENOENT';

/** Writes a file whole or not at all: a temporary sibling renamed over it. */
async function writeAtomically(file: string, content: string | Buffer): Promise<void> {
  const temporary = `${file}.${randomBytes(6).toString('hex')}.tmp`;
  await writeFile(temporary, content);
  await rename(temporary, file);
}

/**
 * An OCI image-layout directory: `oci-layout`, `index.json` and `blobs/sha256/<hex>`. Blobs are written to a temporary file
 * while their sha256 is checked and renamed into place only when it matches, so a blob file present is a blob complete.
 */
export class OciLayout {
  constructor(readonly dir: string) {}

  private get indexFile(): string {
    return join(this.dir, 'index.json');
  }

  blobFile(digest: string): string {
    return join(this.dir, 'blobs', 'sha256', sha256Hex(digest));
  }

  /** True when the directory has the `oci-layout` marker. */
  async exists(): Promise<boolean> {
    return stat(join(this.dir, 'oci-layout')).then(
      () => true,
      (error: unknown) => (isMissing(error) ? false : Promise.reject(error)),
    );
  }

  /** `index.json`, or an empty index when the layout does not exist yet. */
  async readIndex(): Promise<LayoutIndex> {
    let text: string;
    try {
      text = await readFile(this.indexFile, 'utf8');
    } catch (error) {
      if (isMissing(error)) return emptyLayoutIndex();
      throw error;
    }
    let value: unknown;
    try {
      value = JSON.parse(text);
    } catch {
      throw new Error(`${this.indexFile} is not JSON`);
    }
    return asLayoutIndex(value, this.indexFile);
  }

  /** The blob's size on disk, or undefined when the layout lacks it. */
  async blobSize(digest: string): Promise<number | undefined> {
    return stat(this.blobFile(digest)).then(
      (s) => s.size,
      (error: unknown) => (isMissing(error) ? undefined : Promise.reject(error)),
    );
  }

  async openBlob(digest: string): Promise<BlobStream> {
    const size = await this.blobSize(digest);
    if (size === undefined) throw new Error(`the OCI layout ${this.dir} has no blob ${digest}`);
    return { size, stream: createReadStream(this.blobFile(digest)) };
  }

  /** A small blob (a manifest) read whole and checked against its digest. */
  async readBlob(digest: string): Promise<Buffer> {
    const bytes = await readFile(this.blobFile(digest));
    const actual = sha256Digest(bytes);
    if (actual !== digest) throw new DigestMismatchError(`blob ${digest} in the OCI layout ${this.dir} has digest ${actual}`);
    return bytes;
  }

  /** Streams `content` into the blob file, verified on the way; a mismatch leaves no file behind. */
  async writeBlob(digest: string, size: number | undefined, content: Readable): Promise<void> {
    const file = this.blobFile(digest);
    await mkdir(join(this.dir, 'blobs', 'sha256'), { recursive: true });
    const temporary = `${file}.${randomBytes(6).toString('hex')}.tmp`;
    // Opened before the copy starts: a stream that opened its file lazily could create it after a failed copy's unlink.
    const handle = await open(temporary, 'wx');
    try {
      await pipeline(content, new VerifyingStream(digest, size, `blob ${digest}`), handle.createWriteStream());
      await rename(temporary, file);
    } catch (error) {
      await unlink(temporary).catch(() => undefined);
      throw error;
    }
  }

  /** Writes a small blob (a manifest) from memory, after checking its digest. */
  async writeBlobBytes(digest: string, bytes: Buffer): Promise<void> {
    const actual = sha256Digest(bytes);
    if (actual !== digest) throw new DigestMismatchError(`refusing to write ${actual} as blob ${digest}`);
    await mkdir(join(this.dir, 'blobs', 'sha256'), { recursive: true });
    await writeAtomically(this.blobFile(digest), bytes);
  }

  /** Records `refs` in `index.json` (re-read just before, so entries written meanwhile are kept) and writes the `oci-layout` marker. */
  async writeRefs(refs: LayoutRef[]): Promise<void> {
    await mkdir(this.dir, { recursive: true });
    await writeAtomically(join(this.dir, 'oci-layout'), `${JSON.stringify(OCI_LAYOUT_MARKER)}\n`);
    const index = mergeLayoutIndex(await this.readIndex(), refs);
    await writeAtomically(this.indexFile, `${JSON.stringify(index, null, 2)}\n`);
  }
}
