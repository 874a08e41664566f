import { randomBytes } from 'node:crypto';
import type Docker from 'dockerode';
import { errorMessage } from './errors.js';
import { engineCall } from './engineImages.js';
import { firstTarEntry, resolveLink } from '../images/tarEntry.js';

// Throwaway containers of an image, to read its files (created, never started) or to run a probe (started, then removed).

/** Marks every throwaway container, so a leftover of a killed run is recognisable (`docker ps -a -f label=org.freshen.throwaway`). */
export const THROWAWAY_LABEL = 'org.freshen.throwaway';

const throwawayName = (): string => `freshen-probe-${randomBytes(4).toString('hex')}`;

async function removeQuietly(container: Docker.Container): Promise<void> {
  await container.remove({ force: true, v: true }).catch(() => undefined);
}

/** Reads files of an image from a created (never started) container: needs no shell and runs nothing of the image. */
export async function withImageFiles<T>(docker: Docker, image: string, read: (files: ImageFiles) => Promise<T>): Promise<T> {
  const container = await engineCall(`creating a container of ${image}`, () =>
    docker.createContainer({
      name: throwawayName(),
      Image: image,
      // Never started: the entrypoint only has to exist for create to accept an image without CMD.
      Entrypoint: ['/freshen-never-runs'],
      Labels: { [THROWAWAY_LABEL]: 'files' },
      HostConfig: { NetworkMode: 'none' },
    }),
  );
  try {
    return await read(imageFiles(container));
  } finally {
    await removeQuietly(container);
  }
}

/** File access inside a created container. */
export interface ImageFiles {
  /** A regular file's bytes (symlinks followed), or undefined when the path does not exist. */
  read(path: string): Promise<Buffer | undefined>;
  exists(path: string): Promise<boolean>;
}

const status = (error: unknown): number | undefined => (error as { statusCode?: number }).statusCode;

function imageFiles(container: Docker.Container): ImageFiles {
  const read = async (path: string, hops = 0): Promise<Buffer | undefined> => {
    let archive: Buffer;
    try {
      const stream = await container.getArchive({ path });
      const chunks: Buffer[] = [];
      for await (const chunk of stream as AsyncIterable<Buffer>) chunks.push(chunk);
      archive = Buffer.concat(chunks);
    } catch (error) {
      if (status(error) === 404) return undefined;
      throw error;
    }
    const entry = firstTarEntry(archive);
    if (entry?.type === 'file') return entry.content;
    // /etc/os-release is a symlink to ../usr/lib/os-release on Debian and Fedora.
    if (entry?.type === 'symlink' && hops < 5) return read(resolveLink(path, entry.target), hops + 1);
    return undefined;
  };
  // Not infoArchive: dockerode's HEAD request leaves its socket open, which kept the CLI alive after the recap.
  const exists = async (path: string): Promise<boolean> => {
    try {
      const stream = (await container.getArchive({ path })) as NodeJS.ReadableStream & { destroy(): void };
      stream.destroy();
      return true;
    } catch (error) {
      if (status(error) === 404) return false;
      throw error;
    }
  };
  return { read: (path) => read(path), exists };
}

/** What a throwaway run printed and how it ended; `error` when it could not start or did not finish in time. */
export type RunOutcome = { ok: true; exitCode: number; stdout: string; stderr: string; committedId?: string } | { ok: false; error: string };

export interface RunOptions {
  network: 'host' | 'none';
  timeoutMs: number;
  signal: AbortSignal;
  /** Commit the container when the script exits 0 (patch's one layer); the image ID is `committedId`. */
  commit?: boolean;
}

/**
 * Runs `script` with `/bin/sh -c` as root in a new container of `image` (the image's entrypoint and user are overridden so any
 * image runs the same way), waits at most `timeoutMs`, collects its output and removes it whatever happened.
 */
export async function runThrowaway(docker: Docker, image: string, script: string, options: RunOptions): Promise<RunOutcome> {
  const container = await engineCall(`creating a container of ${image}`, () =>
    docker.createContainer({
      name: throwawayName(),
      Image: image,
      Entrypoint: ['/bin/sh', '-c'],
      Cmd: [script],
      User: '0',
      Labels: { [THROWAWAY_LABEL]: options.commit ? 'patch' : 'probe' },
      HostConfig: { NetworkMode: options.network },
    }),
  );
  try {
    try {
      await container.start();
    } catch (error) {
      return {
        ok: false,
        error: `it could not start: ${errorMessage(error)
          .replace(/^\(HTTP code \d+\) [a-z ]+ - /, '')
          .trim()}`,
      };
    }
    let timer: NodeJS.Timeout | undefined;
    const timedOut = new Promise<'timeout'>((resolve) => {
      timer = setTimeout(() => resolve('timeout'), options.timeoutMs);
      options.signal.addEventListener('abort', () => resolve('timeout'), { once: true });
    });
    const waited = await Promise.race([container.wait() as Promise<{ StatusCode: number }>, timedOut]).finally(() => clearTimeout(timer));
    if (waited === 'timeout')
      return { ok: false, error: options.signal.aborted ? 'interrupted' : `it did not finish within ${Math.round(options.timeoutMs / 1000)}s` };
    const logs = (await container.logs({ stdout: true, stderr: true, follow: false })) as unknown as Buffer;
    // The commit's config is the container's (the script as its command); patch writes the image's config itself.
    const committed = options.commit && waited.StatusCode === 0 ? { committedId: ((await container.commit({})) as { Id: string }).Id } : {};
    return { ok: true, exitCode: waited.StatusCode, ...demuxLogs(logs), ...committed };
  } finally {
    await removeQuietly(container);
  }
}

/** Splits the engine's multiplexed log stream (8-byte frame headers: stream, 0, 0, 0, size) into stdout and stderr. */
export function demuxLogs(buffer: Buffer): { stdout: string; stderr: string } {
  const out: Buffer[] = [];
  const err: Buffer[] = [];
  let offset = 0;
  while (offset + 8 <= buffer.length) {
    const kind = buffer[offset]!;
    const size = buffer.readUInt32BE(offset + 4);
    const frame = buffer.subarray(offset + 8, offset + 8 + size);
    (kind === 2 ? err : out).push(frame);
    offset += 8 + size;
  }
  return { stdout: Buffer.concat(out).toString('utf8'), stderr: Buffer.concat(err).toString('utf8') };
}
