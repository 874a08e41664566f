// The config-blob cache: read back only what matches its digest, nothing written in check mode, bounded, never failing a run.
import { createHash } from 'node:crypto';
import { chmod, mkdtemp, readdir, rm, writeFile, mkdir } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { defaultCacheDir, diskConfigCache } from '../../src/adapters/configCache.js';

const digestOf = (bytes: Buffer) => `sha256:${createHash('sha256').update(bytes).digest('hex')}`;
let dir: string;
beforeEach(async () => void (dir = await mkdtemp(join(tmpdir(), 't-config-cache-'))));
afterEach(() => rm(dir, { recursive: true, force: true }));

describe('diskConfigCache', () => {
  it('keeps a blob under its digest and reads it back', async () => {
    const cache = diskConfigCache({ dir, writable: true });
    const blob = Buffer.from('{"config":{}}');
    expect(await cache.get(digestOf(blob))).toBeUndefined();
    await cache.put(digestOf(blob), blob);
    expect((await cache.get(digestOf(blob)))?.toString()).toBe(blob.toString());
    expect(await readdir(join(dir, 'config-blobs'))).toEqual([digestOf(blob).slice(7)]);
  });

  it('ignores, and removes, a file whose content does not match its name', async () => {
    const blob = Buffer.from('{"a":1}');
    const digest = digestOf(blob);
    await mkdir(join(dir, 'config-blobs'), { recursive: true });
    await writeFile(join(dir, 'config-blobs', digest.slice(7)), '{"planted":true}');
    const cache = diskConfigCache({ dir, writable: true });
    expect(await cache.get(digest)).toBeUndefined();
    expect(await readdir(join(dir, 'config-blobs'))).toEqual([]);
  });

  it('in check mode reads but never writes (not even the directory)', async () => {
    const blob = Buffer.from('{"b":2}');
    const readOnly = diskConfigCache({ dir: join(dir, 'ro'), writable: false });
    await readOnly.put(digestOf(blob), blob);
    await expect(readdir(join(dir, 'ro'))).rejects.toMatchObject({ code: 'ENOENT' });
    await diskConfigCache({ dir: join(dir, 'ro'), writable: true }).put(digestOf(blob), blob);
    expect((await readOnly.get(digestOf(blob)))?.toString()).toBe('{"b":2}');
  });

  it('refuses names that are not sha256 digests, so no path outside the directory is ever touched', async () => {
    const cache = diskConfigCache({ dir, writable: true });
    await cache.put('sha256:../../etc/x', Buffer.from('x'));
    expect(await cache.get('sha256:../../etc/x')).toBeUndefined();
    await expect(readdir(join(dir, 'config-blobs'))).rejects.toMatchObject({ code: 'ENOENT' });
  });

  it('stays within its bound, dropping the oldest entries first', async () => {
    const cache = diskConfigCache({ dir, writable: true, maxBytes: 10_000 });
    const blobs = Array.from({ length: 30 }, (_, i) => Buffer.from(JSON.stringify({ i, pad: 'x'.repeat(990) })));
    for (const blob of blobs) await cache.put(digestOf(blob), blob);
    const left = await readdir(join(dir, 'config-blobs'));
    expect(left.length).toBeGreaterThan(0);
    expect(left.length * 1000).toBeLessThanOrEqual(10_000);
    // The newest is always kept.
    expect(await cache.get(digestOf(blobs.at(-1)!))).toBeDefined();
  });

  it('a directory it cannot write is only a cache miss, never an error', async () => {
    if (process.getuid?.() === 0) {
      // root writes anywhere: point it at a file instead of a directory.
      await writeFile(join(dir, 'file'), '');
      const cache = diskConfigCache({ dir: join(dir, 'file'), writable: true });
      await expect(cache.put(digestOf(Buffer.from('x')), Buffer.from('x'))).resolves.toBeUndefined();
      return;
    }
    await chmod(dir, 0o500);
    const cache = diskConfigCache({ dir, writable: true });
    await expect(cache.put(digestOf(Buffer.from('x')), Buffer.from('x'))).resolves.toBeUndefined();
  });
});

describe('defaultCacheDir', () => {
  it('FRESHEN_CACHE_DIR, else XDG_CACHE_HOME/freshen, else ~/.cache/freshen', () => {
    expect(defaultCacheDir({ FRESHEN_CACHE_DIR: '/c', XDG_CACHE_HOME: '/x' })).toBe('/c');
    expect(defaultCacheDir({ XDG_CACHE_HOME: '/x' })).toBe('/x/freshen');
    expect(defaultCacheDir({})).toMatch(/\/\.cache\/freshen$/);
  });
});
