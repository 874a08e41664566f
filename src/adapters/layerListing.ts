import { createHash } from 'node:crypto';
import { createGunzip } from 'node:zlib';
import { LayerLister, type LayerEntry } from '../rebase/layerEntries.js';
import type { RegistryClient } from './types.js';

/** Layer media types whose bytes are a gzip-compressed tar, and those that are a plain tar. */
const GZIP = new Set(['application/vnd.docker.image.rootfs.diff.tar.gzip', 'application/vnd.oci.image.layer.v1.tar+gzip']);
const PLAIN = new Set(['application/vnd.oci.image.layer.v1.tar']);

/**
 * Lists what a layer in the registry writes and deletes, streaming its blob through gunzip: nothing of it is kept but the
 * entries. The compressed bytes are checked against the layer's digest and the uncompressed ones give its diff ID, which the
 * caller compares with the config's, so a listing is of exactly the layer the image names. Files named in `keep` come back
 * with their content (`kept`).
 */
export async function listRegistryLayer(
  registry: RegistryClient,
  repository: string,
  layer: { mediaType: string; digest: string },
  signal?: AbortSignal,
  keep?: ReadonlySet<string>,
): Promise<{ entries: LayerEntry[]; diffId: string; kept: Map<string, Buffer> }> {
  if (!GZIP.has(layer.mediaType) && !PLAIN.has(layer.mediaType)) throw new Error(`a ${layer.mediaType} layer cannot be read (gzip or plain tar only)`);
  const blob = await registry.openBlob(repository, layer.digest);
  const compressed = createHash('sha256');
  const uncompressed = createHash('sha256');
  const lister = new LayerLister(keep);
  const stream = blob.stream as AsyncIterable<Buffer> & NodeJS.ReadableStream;
  const gunzip = GZIP.has(layer.mediaType) ? createGunzip() : undefined;
  const done = new Promise<void>((resolve, reject) => {
    const sink = gunzip ?? stream;
    sink.on('data', (chunk: Buffer) => {
      uncompressed.update(chunk);
      // A tar the lister cannot read (or a kept file too big) ends the listing, not the process.
      try {
        lister.push(chunk);
      } catch (error) {
        (stream as unknown as { destroy?: (e: Error) => void }).destroy?.(error as Error);
        reject(error as Error);
      }
    });
    sink.on('end', resolve);
    sink.on('error', reject);
    stream.on('error', reject);
  });
  const abort = (): void => void (stream as unknown as { destroy?: (e: Error) => void }).destroy?.(new Error('interrupted'));
  signal?.addEventListener('abort', abort, { once: true });
  try {
    if (gunzip !== undefined) {
      stream.on('data', (chunk: Buffer) => {
        compressed.update(chunk);
        gunzip.write(chunk);
      });
      stream.on('end', () => gunzip.end());
    } else {
      stream.on('data', (chunk: Buffer) => compressed.update(chunk));
    }
    await done;
  } finally {
    signal?.removeEventListener('abort', abort);
  }
  if (`sha256:${compressed.digest('hex')}` !== layer.digest) throw new Error(`registry ${registry.name} served ${layer.digest} with other content`);
  return { entries: lister.end(), diffId: `sha256:${uncompressed.digest('hex')}`, kept: lister.kept };
}
