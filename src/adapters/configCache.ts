import { createHash } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { mkdir, readdir, rename, rm, stat, writeFile } from 'node:fs/promises';
import { homedir } from 'node:os';
import { join } from 'node:path';

/**
 * Image config blobs kept between runs. A config blob is named by its digest and never changes, so once read it never needs
 * fetching again: the daily no-op check then costs one manifest request per repository. Every read is checked against its
 * digest (a damaged or planted file is ignored), the directory is bounded, and deleting it only costs the next run some
 * requests. A check run reads it and writes nothing.
 */
export interface ConfigCache {
  get(digest: string): Promise<Buffer | undefined>;
  put(digest: string, bytes: Buffer): Promise<void>;
}

/** Bounds the directory: past this size the oldest entries go, down to three quarters of it. */
export const CONFIG_CACHE_MAX_BYTES = 64 * 1024 * 1024;

/** `$FRESHEN_CACHE_DIR`, else `$XDG_CACHE_HOME/freshen`, else `~/.cache/freshen`; config blobs go in its `config-blobs/`. */
export function defaultCacheDir(env: NodeJS.ProcessEnv = process.env): string {
  if (env.FRESHEN_CACHE_DIR) return env.FRESHEN_CACHE_DIR;
  return join(env.XDG_CACHE_HOME || join(homedir(), '.cache'), 'freshen');
}

const SHA256 = /^sha256:([0-9a-f]{64})$/;

/** A cache in `dir`; with `writable: false` (check mode) `put` does nothing. Failures of the disk are never the run's. */
export function diskConfigCache(options: { dir: string; writable: boolean; maxBytes?: number }): ConfigCache {
  const dir = join(options.dir, 'config-blobs');
  const maxBytes = options.maxBytes ?? CONFIG_CACHE_MAX_BYTES;
  /** What the directory holds, measured at the first write of the run. */
  let size: Promise<number> | undefined;
  const fileOf = (digest: string): string | undefined => {
    const hex = SHA256.exec(digest)?.[1];
    return hex === undefined ? undefined : join(dir, hex);
  };
  return {
    async get(digest) {
      const file = fileOf(digest);
      if (file === undefined) return undefined;
      // A config is a few kilobytes: one synchronous read costs less than a trip through the thread pool, a thousand times.
      let bytes: Buffer;
      try {
        bytes = readFileSync(file);
      } catch {
        return undefined;
      }
      if (`sha256:${createHash('sha256').update(bytes).digest('hex')}` === digest) return bytes;
      if (options.writable) await rm(file, { force: true }).catch(() => undefined);
      return undefined;
    },
    async put(digest, bytes) {
      const file = fileOf(digest);
      if (!options.writable || file === undefined) return;
      try {
        await mkdir(dir, { recursive: true, mode: 0o700 });
        size ??= directorySize(dir);
        const partial = `${file}.${process.pid}.part`;
        await writeFile(partial, bytes, { mode: 0o600 });
        await rename(partial, file);
        const total = (await size) + bytes.length;
        size = Promise.resolve(total);
        if (total > maxBytes) size = shrink(dir, Math.floor(maxBytes * 0.75));
      } catch {
        // A cache that cannot be written is only a slower next run.
      }
    },
  };
}

async function entries(dir: string): Promise<Array<{ path: string; size: number; mtimeMs: number }>> {
  const names = await readdir(dir).catch(() => [] as string[]);
  const found = await Promise.all(
    names.map(async (name) => {
      const info = await stat(join(dir, name)).catch(() => undefined);
      return info?.isFile() ? { path: join(dir, name), size: info.size, mtimeMs: info.mtimeMs } : undefined;
    }),
  );
  return found.filter((e) => e !== undefined);
}

async function directorySize(dir: string): Promise<number> {
  return (await entries(dir)).reduce((sum, e) => sum + e.size, 0);
}

/** Removes the oldest entries until the directory holds at most `target` bytes; resolves to what it then holds. */
async function shrink(dir: string, target: number): Promise<number> {
  const all = (await entries(dir)).sort((a, b) => a.mtimeMs - b.mtimeMs);
  let total = all.reduce((sum, e) => sum + e.size, 0);
  for (const entry of all) {
    if (total <= target) break;
    await rm(entry.path, { force: true }).catch(() => undefined);
    total -= entry.size;
  }
  return total;
}
