// The registry client's blob calls against a real (throwaway) CNCF registry: streamed uploads, monolithic and chunked, verified
// by sha256; cross-repository mounts; streamed reads.
import { createHash } from 'node:crypto';
import { Readable } from 'node:stream';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { DigestMismatchError } from '../../src/adapters/digestStream.js';
import { createRegistryClient, type ClosableRegistryClient } from '../../src/adapters/registry.js';
import { startOwnRegistry, type OwnRegistry } from './backup.helpers.js';

const digestOf = (bytes: Buffer): string => `sha256:${createHash('sha256').update(bytes).digest('hex')}`;
const read = async (stream: Readable): Promise<Buffer> => {
  const chunks: Buffer[] = [];
  for await (const chunk of stream) chunks.push(chunk as Buffer);
  return Buffer.concat(chunks);
};

let registry: OwnRegistry;
let client: ClosableRegistryClient;

beforeAll(async () => {
  registry = await startOwnRegistry('blobs');
  client = createRegistryClient({ name: registry.name, url: registry.url }, { timeoutMs: 10_000 });
});

afterAll(async () => {
  client?.close();
  await registry?.stop();
});

describe('blob uploads', () => {
  const bytes = Buffer.from(Array.from({ length: 300_000 }, (_, i) => (i * 7) % 251));
  const digest = digestOf(bytes);

  it.each([
    ['monolithic', undefined, 't-backup/mono'],
    ['chunked in 64 KiB PATCHes', 65_536, 't-backup/chunked'],
  ])('%s: uploads, then HEAD and GET give the same bytes', async (_name, chunkSize, repository) => {
    expect(await client.blobSize(repository, digest)).toBeUndefined();
    // Several small pieces, as a network stream would deliver them.
    const pieces = Array.from({ length: 30 }, (_, i) => bytes.subarray(i * 10_000, (i + 1) * 10_000));
    await client.uploadBlob(repository, digest, bytes.length, Readable.from(pieces), { chunkSize });
    expect(await client.blobSize(repository, digest)).toBe(bytes.length);
    const blob = await client.openBlob(repository, digest);
    expect(blob.size).toBe(bytes.length);
    expect((await read(blob.stream)).equals(bytes)).toBe(true);
  });

  it.each([
    ['monolithic, small', 1_000, undefined],
    ['monolithic, big', 300_000, undefined],
    ['chunked', 300_000, 65_536],
  ])('refuses content that is not the digest (%s) and leaves no blob', async (_name, size, chunkSize) => {
    const forged = Buffer.alloc(size, 1);
    const claimed = digestOf(Buffer.alloc(size, 2));
    const error = await client.uploadBlob('t-backup/forged', claimed, size, Readable.from([forged]), { chunkSize }).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(DigestMismatchError);
    expect(await client.blobSize('t-backup/forged', claimed)).toBeUndefined();
  });

  it('mounts a blob from another repository instead of uploading it', async () => {
    expect(await client.blobSize('t-backup/mounted', digest)).toBeUndefined();
    expect(await client.mountBlob('t-backup/mounted', digest, 't-backup/mono')).toBe(true);
    expect(await client.blobSize('t-backup/mounted', digest)).toBe(bytes.length);
  });

  it('declines to mount what the other repository does not have', async () => {
    const absent = digestOf(Buffer.from('not uploaded anywhere'));
    expect(await client.mountBlob('t-backup/mounted', absent, 't-backup/mono')).toBe(false);
    expect(await client.blobSize('t-backup/mounted', absent)).toBeUndefined();
  });
});
