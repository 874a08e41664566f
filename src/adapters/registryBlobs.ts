import { pipeline, type Readable } from 'node:stream';
import { VerifyingStream } from './digestStream.js';
import type { HttpResponse } from './httpTransport.js';

/** The authenticated requests an upload needs; the registry client provides them. Error statuses throw. */
export interface UploadIo {
  /** The API's base URL, against which relative `Location` headers resolve. */
  baseUrl: string;
  request(method: string, url: string, options?: { headers?: Record<string, string>; body?: Buffer; accept?: number[] }): Promise<HttpResponse>;
  /** Streams `body` (exactly `contentLength` bytes) and waits for the answer; a failing body rejects. */
  streamBody(method: string, url: string, body: Readable, contentLength: number, headers: Record<string, string>): Promise<HttpResponse>;
}

const OCTETS = { 'Content-Type': 'application/octet-stream' };

/** `/v2/team/api/blobs/sha256:…` */
export const blobPath = (repository: string, digest: string): string => `/v2/${repository}/blobs/${digest}`;

/** Where an upload starts; with `mountFrom`, a cross-repository mount request. */
export function uploadStartPath(repository: string, mount?: { digest: string; from: string }): string {
  const path = `/v2/${repository}/blobs/uploads/`;
  return mount === undefined ? path : `${path}?mount=${encodeURIComponent(mount.digest)}&from=${encodeURIComponent(mount.from)}`;
}

/** An upload session's URL from a `Location` header (often relative), with `digest=` added for the closing PUT. */
export function uploadUrl(location: string | undefined, baseUrl: string, digest?: string): string {
  if (location === undefined || location === '') throw new Error('the registry started an upload without a Location header');
  const url = new URL(location, `${baseUrl}/`);
  if (digest !== undefined) url.searchParams.set('digest', digest);
  return url.toString();
}

/** `Content-Range` of a PATCH chunk: inclusive byte offsets, as the distribution spec wants (`0-1023`). */
export const contentRange = (offset: number, length: number): string => `${offset}-${offset + length - 1}`;

/** Re-cuts a stream into buffers of exactly `size` bytes (the last one shorter); holds at most one chunk. */
export async function* chunksOf(stream: AsyncIterable<Buffer>, size: number): AsyncGenerator<Buffer> {
  let parts: Buffer[] = [];
  let length = 0;
  for await (const piece of stream) {
    let rest = piece;
    while (rest.length > 0) {
      const take = Math.min(size - length, rest.length);
      parts.push(rest.subarray(0, take));
      length += take;
      rest = rest.subarray(take);
      if (length === size) {
        yield Buffer.concat(parts);
        parts = [];
        length = 0;
      }
    }
  }
  if (length > 0) yield Buffer.concat(parts);
}

const locationOf = (res: HttpResponse): string | undefined => {
  const value = res.headers.location;
  return Array.isArray(value) ? value[0] : value;
};

/** POST, then one streamed PUT (monolithic) or PATCH chunks and a closing PUT; the content is verified as it flows. */
export async function uploadBlob(
  io: UploadIo,
  where: { repository: string; digest: string; size: number; what: string },
  content: Readable,
  chunkSize: number | undefined,
): Promise<void> {
  const started = await io.request('POST', io.baseUrl + uploadStartPath(where.repository), { headers: { 'Content-Length': '0' }, body: Buffer.alloc(0) });
  let location = locationOf(started);
  // Joined only now, and read at once: a small blob verified before anyone listened would fail unseen.
  const verified = new VerifyingStream(where.digest, where.size, where.what);
  pipeline(content, verified, () => undefined);
  try {
    if (chunkSize === undefined || where.size <= chunkSize) {
      await io.streamBody('PUT', uploadUrl(location, io.baseUrl, where.digest), verified, where.size, OCTETS);
      return;
    }
    let offset = 0;
    for await (const chunk of chunksOf(verified, chunkSize)) {
      const headers = { ...OCTETS, 'Content-Range': contentRange(offset, chunk.length) };
      const res = await io.request('PATCH', uploadUrl(location, io.baseUrl), { headers, body: chunk });
      location = locationOf(res) ?? location;
      offset += chunk.length;
    }
    // The verifier has seen every byte by now: only a blob with the right digest gets its closing PUT.
    await io.request('PUT', uploadUrl(location, io.baseUrl, where.digest), { headers: { ...OCTETS, 'Content-Length': '0' }, body: Buffer.alloc(0) });
  } catch (error) {
    content.destroy();
    await io.request('DELETE', uploadUrl(location, io.baseUrl), { accept: [404] }).catch(() => undefined);
    throw error;
  }
}

/** Asks the registry to link a blob it holds in `from`; an upload it starts instead is cancelled. */
export async function mountBlob(io: UploadIo, repository: string, digest: string, from: string): Promise<boolean> {
  const res = await io.request('POST', io.baseUrl + uploadStartPath(repository, { digest, from }), {
    headers: { 'Content-Length': '0' },
    body: Buffer.alloc(0),
  });
  if (res.status === 201) return true;
  await io.request('DELETE', uploadUrl(locationOf(res), io.baseUrl), { accept: [404] }).catch(() => undefined);
  return false;
}
