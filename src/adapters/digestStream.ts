import { createHash, type Hash } from 'node:crypto';
import { Transform, type TransformCallback } from 'node:stream';

/** The bytes that went through a blob stream are not the blob its digest names. */
export class DigestMismatchError extends Error {
  override readonly name = 'DigestMismatchError';
  readonly code = 'digest-mismatch';
}

/** Only sha256 digests are read and written: the algorithm every registry and the OCI layout spec require. */
export function sha256Hex(digest: string): string {
  const match = /^sha256:([a-f0-9]{64})$/.exec(digest);
  if (match === null) throw new Error(`unsupported digest ${JSON.stringify(digest)} (only sha256:<64 hex> is supported)`);
  return match[1]!;
}

/**
 * A pass-through stream that hashes and counts what flows through it and fails at the end, before the consumer sees the end,
 * when the bytes are not `digest` (or not `size` long, when given). Nothing is buffered beyond the stream's own chunks.
 */
export class VerifyingStream extends Transform {
  private readonly hash: Hash = createHash('sha256');
  private length = 0;

  constructor(
    private readonly digest: string,
    private readonly size: number | undefined,
    private readonly what: string,
  ) {
    super();
    sha256Hex(digest);
  }

  /** Bytes seen so far. */
  get bytes(): number {
    return this.length;
  }

  override _transform(chunk: Buffer, _encoding: BufferEncoding, callback: TransformCallback): void {
    this.hash.update(chunk);
    this.length += chunk.length;
    if (this.size !== undefined && this.length > this.size) {
      callback(new DigestMismatchError(`${this.what} is longer than the ${this.size} bytes ${this.digest} should have`));
      return;
    }
    callback(null, chunk);
  }

  override _flush(callback: TransformCallback): void {
    const actual = `sha256:${this.hash.digest('hex')}`;
    if (this.size !== undefined && this.length !== this.size) {
      callback(new DigestMismatchError(`${this.what} has ${this.length} bytes, not the ${this.size} of ${this.digest}`));
    } else if (actual !== this.digest) {
      callback(new DigestMismatchError(`${this.what} has digest ${actual}, not ${this.digest}`));
    } else {
      callback();
    }
  }
}
