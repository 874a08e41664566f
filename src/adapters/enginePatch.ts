import { Writable } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import type Docker from 'dockerode';
import tarStream from 'tar-stream';
import { engineCall } from './engineImages.js';
import { sha256Digest } from './registryFormats.js';

// The last I/O of a patch. The upgrade's container was committed (runThrowaway), so the engine already holds the patch layer on
// top of the original's; `docker load` of a config freshen wrote, whose layers are exactly those, makes the patched image
// without moving a layer: load opens only the layers it lacks, so the archive names them without holding them.

/** Loads `config` (layers all on the engine already) tagged `tag`; returns the image ID, the sha256 of `config`. */
export async function loadPatchedImage(docker: Docker, config: Buffer, layerCount: number, tag: string): Promise<string> {
  const pack = tarStream.pack();
  const manifest = [{ Config: 'config.json', RepoTags: [tag], Layers: Array.from({ length: layerCount }, (_, i) => `layer-${i}/layer.tar`) }];
  pack.entry({ name: 'config.json' }, config);
  pack.entry({ name: 'manifest.json' }, JSON.stringify(manifest));
  pack.finalize();
  const messages: string[] = [];
  const collect = new Writable({
    write(chunk: Buffer, _encoding, callback) {
      messages.push(chunk.toString('utf8'));
      callback();
    },
  });
  await engineCall(`loading ${tag}`, async () => {
    const response = (await docker.loadImage(pack as unknown as NodeJS.ReadableStream, { quiet: true })) as NodeJS.ReadableStream;
    await pipeline(response, collect);
  });
  const failure = engineFailure(messages.join(''));
  if (failure !== undefined) throw new Error(`the engine refused the patched image: ${failure}`);
  const imageId = sha256Digest(config);
  const loaded = await engineCall(`inspecting ${tag}`, () => docker.getImage(tag).inspect());
  if (loaded.Id !== imageId) throw new Error(`the engine loaded ${tag} as ${loaded.Id}, not ${imageId}`);
  return imageId;
}

/** The first error of the engine's JSON message stream. */
function engineFailure(stream: string): string | undefined {
  for (const line of stream.split('\n')) {
    try {
      const message = JSON.parse(line) as { error?: string; errorDetail?: { message?: string } };
      const text = message.error ?? message.errorDetail?.message;
      if (text !== undefined) return text;
    } catch {
      // Not JSON: load's progress lines.
    }
  }
  return undefined;
}
