import { createHash } from 'node:crypto';
import { createReadStream } from 'node:fs';
import { lstat, readFile, readdir, readlink } from 'node:fs/promises';
import { join } from 'node:path';
import tar from 'tar-fs';
import { Readable } from 'node:stream';
import { contextDigest, contextFilter, type ContextEntry } from '../images/contextDigest.js';
import { followPinnedBases } from '../images/dockerfile.js';
import type { BuildContext, BuildContextOptions } from '../images/files.js';

/** Walks a context directory honouring its `.dockerignore`, hashing every file that would be sent. */
export async function readBuildContext(dir: string, options: BuildContextOptions = {}): Promise<BuildContext> {
  const dockerignore = await readFile(join(dir, '.dockerignore'), 'utf8').catch((error: NodeJS.ErrnoException) => {
    if (error.code === 'ENOENT') return undefined;
    throw error;
  });
  const filter = contextFilter(dockerignore);
  const entries: ContextEntry[] = [];

  const walk = async (relative: string): Promise<void> => {
    const names = (await readdir(relative === '' ? dir : join(dir, relative))).sort();
    for (const name of names) {
      const path = relative === '' ? name : `${relative}/${name}`;
      const absolute = join(dir, path);
      const stat = await lstat(absolute);
      const sent = filter.isSent(path);
      const mode = stat.mode & 0o7777;
      if (stat.isDirectory()) {
        if (sent) entries.push({ path, type: 'directory', mode, contentHash: '' });
        if (sent || filter.mayReinclude) await walk(path);
      } else if (!sent) {
        continue;
      } else if (stat.isSymbolicLink()) {
        entries.push({ path, type: 'symlink', mode, contentHash: sha256(await readlink(absolute)) });
      } else if (stat.isFile()) {
        entries.push({ path, type: 'file', mode, contentHash: await fileSha256(absolute, stat.size) });
      }
      // Sockets, FIFOs and devices are never sent by the Docker CLI either.
    }
  };
  await walk('');
  const replaced = new Map<string, Buffer>();
  const dockerfile = entries.find((e) => e.path === 'Dockerfile' && e.type === 'file');
  if (options.followPinnedBases && dockerfile !== undefined) {
    const text = await readFile(join(dir, 'Dockerfile'), 'utf8');
    const followed = followPinnedBases(text);
    if (followed !== text) {
      replaced.set('Dockerfile', Buffer.from(followed));
      dockerfile.contentHash = sha256(followed);
    }
  }
  return { dir, entries, digest: contextDigest(entries), ...(replaced.size > 0 ? { replaced } : {}) };
}

/** A tar stream of exactly the context's entries, owned by root as the Docker CLI sends them. */
export function packBuildContext(context: BuildContext): NodeJS.ReadableStream {
  const options: tar.PackOptions & { umask: number } = {
    entries: context.entries.map((e) => e.path),
    // Directories are listed entry by entry, so nothing found by tar-fs's own recursion may be added.
    ignore: () => true,
    // Modes as on disk (the digest hashes them), not masked by this process's umask.
    umask: 0,
    map: (header) => {
      const bytes = context.replaced?.get(header.name);
      return { ...header, uid: 0, gid: 0, ...(bytes !== undefined ? { size: bytes.length } : {}) };
    },
    // A replaced entry is sent from memory, and the file's own stream closed unread.
    mapStream: (stream, header) => {
      const bytes = context.replaced?.get(header.name);
      if (bytes === undefined) return stream;
      stream.destroy();
      // tar-fs's types ask for a file stream; it only pipes what it gets.
      return Readable.from([bytes]) as unknown as typeof stream;
    },
  };
  // tar-stream's Pack is a streamx Readable: it pipes like a Node stream, which is all dockerode asks of it.
  return tar.pack(context.dir, options) as unknown as NodeJS.ReadableStream;
}

const sha256 = (text: string): string => createHash('sha256').update(text).digest('hex');

/** Files read whole below this size: a stream per file costs more than the file itself for the usual small context. */
const WHOLE_FILE_BYTES = 1 << 20;

async function fileSha256(path: string, size: number): Promise<string> {
  if (size < WHOLE_FILE_BYTES)
    return createHash('sha256')
      .update(await readFile(path))
      .digest('hex');
  const hash = createHash('sha256');
  for await (const chunk of createReadStream(path)) hash.update(chunk as Buffer);
  return hash.digest('hex');
}
