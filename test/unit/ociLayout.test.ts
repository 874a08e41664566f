import { createHash } from 'node:crypto';
import { existsSync } from 'node:fs';
import { mkdtemp, readFile, readdir, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Readable } from 'node:stream';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { DigestMismatchError, VerifyingStream } from '../../src/adapters/digestStream.js';
import { OciLayout } from '../../src/adapters/ociLayout.js';
import {
  REF_NAME_ANNOTATION,
  emptyLayoutIndex,
  layoutRefs,
  mergeLayoutIndex,
  parseRefName,
  type LayoutIndex,
  type LayoutRef,
} from '../../src/adapters/ociLayoutIndex.js';

const digestOf = (bytes: Buffer | string): string => `sha256:${createHash('sha256').update(bytes).digest('hex')}`;
const OCI_MANIFEST = 'application/vnd.oci.image.manifest.v1+json';
const DOCKER_MANIFEST = 'application/vnd.docker.distribution.manifest.v2+json';
const ref = (repository: string, tag: string, digest: string, size = 100): LayoutRef => ({ repository, tag, digest, mediaType: DOCKER_MANIFEST, size });

describe('ref names', () => {
  it.each([
    ['team/api:prod', { repository: 'team/api', tag: 'prod' }],
    ['os:20260101-0300', { repository: 'os', tag: '20260101-0300' }],
    ['prod', undefined],
    ['Team/api:prod', undefined],
    ['team/api:', undefined],
    [undefined, undefined],
  ])('%s → %o', (name, expected) => {
    expect(parseRefName(name)).toEqual(expected);
  });
});

describe('index.json', () => {
  const a = `sha256:${'a'.repeat(64)}`;
  const b = `sha256:${'b'.repeat(64)}`;
  const c = `sha256:${'c'.repeat(64)}`;

  it('reads the repository:tag entries and skips the others', () => {
    const index = {
      schemaVersion: 2,
      manifests: [
        { mediaType: DOCKER_MANIFEST, digest: a, size: 10, annotations: { [REF_NAME_ANNOTATION]: 'x/y:prod' } },
        { mediaType: OCI_MANIFEST, digest: b, size: 11, annotations: { [REF_NAME_ANNOTATION]: 'latest' } },
        { digest: c, size: 12 },
      ],
    };
    expect(layoutRefs(index)).toEqual([{ repository: 'x/y', tag: 'prod', digest: a, mediaType: DOCKER_MANIFEST, size: 10 }]);
  });

  it('replaces an entry of the same name in place, appends new ones, keeps foreign entries and fields', () => {
    const index: LayoutIndex = {
      schemaVersion: 2,
      mediaType: 'application/vnd.oci.image.index.v1+json',
      annotations: { note: 'kept' },
      manifests: [
        { mediaType: DOCKER_MANIFEST, digest: a, size: 10, annotations: { [REF_NAME_ANNOTATION]: 'x/y:prod', other: 'kept' } },
        { mediaType: OCI_MANIFEST, digest: b, size: 11, annotations: { [REF_NAME_ANNOTATION]: 'latest' } },
      ],
    };
    expect(mergeLayoutIndex(index, [ref('x/z', 'prod', c, 7), ref('x/y', 'prod', b, 11)])).toEqual({
      schemaVersion: 2,
      mediaType: 'application/vnd.oci.image.index.v1+json',
      annotations: { note: 'kept' },
      manifests: [
        { mediaType: DOCKER_MANIFEST, digest: b, size: 11, annotations: { [REF_NAME_ANNOTATION]: 'x/y:prod', other: 'kept' } },
        { mediaType: OCI_MANIFEST, digest: b, size: 11, annotations: { [REF_NAME_ANNOTATION]: 'latest' } },
        { mediaType: DOCKER_MANIFEST, digest: c, size: 7, annotations: { [REF_NAME_ANNOTATION]: 'x/z:prod' } },
      ],
    });
  });

  it('builds a fresh index from nothing', () => {
    expect(mergeLayoutIndex(emptyLayoutIndex(), [ref('r', 't', a, 5)])).toEqual({
      schemaVersion: 2,
      mediaType: 'application/vnd.oci.image.index.v1+json',
      manifests: [{ mediaType: DOCKER_MANIFEST, digest: a, size: 5, annotations: { [REF_NAME_ANNOTATION]: 'r:t' } }],
    });
  });
});

describe('VerifyingStream', () => {
  const collect = async (stream: Readable): Promise<Buffer> => {
    const chunks: Buffer[] = [];
    for await (const chunk of stream) chunks.push(chunk as Buffer);
    return Buffer.concat(chunks);
  };

  it('passes the right bytes through', async () => {
    const bytes = Buffer.from('hello blob');
    expect(await collect(Readable.from([bytes.subarray(0, 3), bytes.subarray(3)]).pipe(new VerifyingStream(digestOf(bytes), bytes.length, 'b')))).toEqual(
      bytes,
    );
  });

  it.each([
    ['other content', Buffer.from('hello blub'), 10, 'b has digest'],
    ['too short', Buffer.from('hello'), 10, 'b has 5 bytes, not the 10'],
    ['too long', Buffer.from('hello blob!'), 10, 'b is longer than the 10 bytes'],
  ])('fails on %s', async (_name, bytes, size, message) => {
    const stream = Readable.from([bytes]).pipe(new VerifyingStream(digestOf('hello blob'), size, 'b'));
    const error = await collect(stream).then(
      () => undefined,
      (e: unknown) => e,
    );
    expect(error).toBeInstanceOf(DigestMismatchError);
    expect((error as Error).message).toContain(message);
  });

  it('refuses digests that are not sha256', () => {
    expect(() => new VerifyingStream('sha512:abc', 1, 'b')).toThrow('unsupported digest "sha512:abc"');
  });
});

describe('OciLayout on disk', () => {
  let dir: string;
  beforeEach(async () => {
    dir = join(await mkdtemp(join(tmpdir(), 't-backup-layout-')), 'layout');
  });
  afterEach(async () => {
    await rm(join(dir, '..'), { recursive: true, force: true });
  });

  it('is empty and absent before anything is written', async () => {
    const layout = new OciLayout(dir);
    expect(await layout.exists()).toBe(false);
    expect(await layout.readIndex()).toEqual(emptyLayoutIndex());
    expect(await layout.blobSize(digestOf('x'))).toBeUndefined();
  });

  it('writes a verified blob under blobs/sha256 and reads it back', async () => {
    const layout = new OciLayout(dir);
    const bytes = Buffer.from('layer bytes');
    await layout.writeBlob(digestOf(bytes), bytes.length, Readable.from([bytes]));
    expect(await readFile(join(dir, 'blobs/sha256', digestOf(bytes).slice(7)))).toEqual(bytes);
    expect(await layout.blobSize(digestOf(bytes))).toBe(bytes.length);
    expect(await layout.readBlob(digestOf(bytes))).toEqual(bytes);
  });

  it('leaves nothing behind when the content is not the digest', async () => {
    const layout = new OciLayout(dir);
    const wanted = digestOf('the real layer');
    await expect(layout.writeBlob(wanted, 14, Readable.from([Buffer.from('a forged layr')]))).rejects.toBeInstanceOf(DigestMismatchError);
    expect(await readdir(join(dir, 'blobs/sha256'))).toEqual([]);
  });

  it('writes oci-layout and index.json, merging with what is there', async () => {
    const layout = new OciLayout(dir);
    const a = digestOf('a');
    const b = digestOf('b');
    await layout.writeRefs([ref('r1', 'prod', a, 1)]);
    await new OciLayout(dir).writeRefs([ref('r2', 'prod', b, 1)]);
    expect(JSON.parse(await readFile(join(dir, 'oci-layout'), 'utf8'))).toEqual({ imageLayoutVersion: '1.0.0' });
    expect(layoutRefs(await layout.readIndex()).map((r) => `${r.repository}:${r.tag}@${r.digest}`)).toEqual([`r1:prod@${a}`, `r2:prod@${b}`]);
    expect(await layout.exists()).toBe(true);
    expect(existsSync(join(dir, 'index.json'))).toBe(true);
  });
});
