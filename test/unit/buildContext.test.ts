import { createHash } from 'node:crypto';
import { chmod, mkdir, mkdtemp, readdir, readFile, rm, symlink, utimes, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { pipeline } from 'node:stream/promises';
import tar from 'tar-fs';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { contextDigest, contextFilter, type ContextEntry } from '../../src/images/contextDigest.js';
import { packBuildContext, readBuildContext } from '../../src/adapters/contextFiles.js';

const sha = (text: string) => createHash('sha256').update(text).digest('hex');

describe('contextDigest', () => {
  const entries: ContextEntry[] = [
    { path: 'Dockerfile', type: 'file', mode: 0o644, contentHash: sha('FROM scratch') },
    { path: 'app', type: 'directory', mode: 0o755, contentHash: '' },
    { path: 'app/run.sh', type: 'file', mode: 0o755, contentHash: sha('#!/bin/sh') },
  ];
  const digest = contextDigest(entries);

  it('is a sha256 digest, independent of entry order', () => {
    expect(digest).toMatch(/^sha256:[0-9a-f]{64}$/);
    expect(contextDigest([...entries].reverse())).toBe(digest);
  });

  it.each([
    { name: 'content', change: { contentHash: sha('#!/bin/bash') } },
    { name: 'mode', change: { mode: 0o644 } },
    { name: 'path', change: { path: 'app/start.sh' } },
    { name: 'type', change: { type: 'symlink' as const } },
  ])('changes with the $name of an entry', ({ change }) => {
    expect(contextDigest([entries[0]!, entries[1]!, { ...entries[2]!, ...change }])).not.toBe(digest);
  });

  it('changes when an entry is added or removed', () => {
    expect(contextDigest(entries.slice(0, 2))).not.toBe(digest);
    expect(contextDigest([...entries, { path: 'b', type: 'file', mode: 0o644, contentHash: sha('') }])).not.toBe(digest);
  });
});

describe('contextFilter', () => {
  it.each([
    { ignore: undefined, path: 'anything', sent: true },
    { ignore: '*.md', path: 'NOTES.md', sent: false },
    { ignore: '*.md', path: 'sub/NOTES.md', sent: true },
    { ignore: '**/*.md', path: 'sub/NOTES.md', sent: false },
    { ignore: 'node_modules', path: 'node_modules/x/y.js', sent: false },
    { ignore: '# comment\n\n  tmp  ', path: 'tmp', sent: false },
    { ignore: 'docs\n!docs/keep.md', path: 'docs/keep.md', sent: true },
    { ignore: 'docs\n!docs/keep.md', path: 'docs/other.md', sent: false },
    { ignore: '*', path: 'Dockerfile', sent: true },
    { ignore: '*', path: '.dockerignore', sent: true },
    { ignore: 'Dockerfile', path: 'Dockerfile', sent: true },
  ])('$ignore: $path sent=$sent', ({ ignore, path, sent }) => {
    expect(contextFilter(ignore).isSent(path)).toBe(sent);
  });

  it('knows when exceptions may bring back files below an ignored directory', () => {
    expect(contextFilter('docs').mayReinclude).toBe(false);
    expect(contextFilter('docs\n!docs/keep.md').mayReinclude).toBe(true);
  });
});

describe('readBuildContext and packBuildContext (real directories)', () => {
  let dir: string;
  let other: string;
  beforeEach(async () => {
    dir = await mkdtemp(join(tmpdir(), 't-build-ctx-'));
    other = await mkdtemp(join(tmpdir(), 't-build-ctx-'));
  });
  afterEach(async () => {
    await rm(dir, { recursive: true, force: true });
    await rm(other, { recursive: true, force: true });
  });

  const writeTree = async (root: string) => {
    await writeFile(join(root, 'Dockerfile'), 'FROM scratch\nCOPY . /app\n');
    await writeFile(join(root, '.dockerignore'), '*.md\nlogs\ncache\n!cache/keep.txt\n');
    await writeFile(join(root, 'index.html'), '<h1>hi</h1>\n');
    await writeFile(join(root, 'NOTES.md'), 'not sent\n');
    await mkdir(join(root, 'bin'));
    await writeFile(join(root, 'bin', 'run'), '#!/bin/sh\n');
    await chmod(join(root, 'bin', 'run'), 0o755);
    await mkdir(join(root, 'logs'));
    await writeFile(join(root, 'logs', 'a.log'), 'noise\n');
    await mkdir(join(root, 'cache'));
    await writeFile(join(root, 'cache', 'keep.txt'), 'kept\n');
    await writeFile(join(root, 'cache', 'drop.txt'), 'dropped\n');
    await symlink('index.html', join(root, 'link'));
  };

  it('lists exactly what would be sent, honouring .dockerignore', async () => {
    await writeTree(dir);
    const context = await readBuildContext(dir);
    expect(context.entries.map((e) => `${e.type} ${e.path} ${e.mode.toString(8)}`)).toEqual([
      'file .dockerignore 644',
      'file Dockerfile 644',
      'directory bin 755',
      'file bin/run 755',
      'file cache/keep.txt 644',
      'file index.html 644',
      expect.stringMatching(/^symlink link \d+$/),
    ]);
    expect(context.entries.find((e) => e.path === 'index.html')?.contentHash).toBe(sha('<h1>hi</h1>\n'));
    expect(context.entries.find((e) => e.path === 'link')?.contentHash).toBe(sha('index.html'));
  });

  it('is stable: the same files elsewhere, with other timestamps, give the same digest', async () => {
    await writeTree(dir);
    await writeTree(other);
    await utimes(join(other, 'index.html'), new Date(2000, 0, 1), new Date(2000, 0, 1));
    expect((await readBuildContext(other)).digest).toBe((await readBuildContext(dir)).digest);
  });

  it('ignores changes to ignored files and follows changes to sent ones', async () => {
    await writeTree(dir);
    const before = (await readBuildContext(dir)).digest;
    await writeFile(join(dir, 'NOTES.md'), 'edited notes\n');
    await writeFile(join(dir, 'logs', 'b.log'), 'more noise\n');
    await writeFile(join(dir, 'cache', 'drop.txt'), 'edited\n');
    expect((await readBuildContext(dir)).digest).toBe(before);

    await writeFile(join(dir, 'index.html'), '<h1>changed</h1>\n');
    const afterEdit = (await readBuildContext(dir)).digest;
    expect(afterEdit).not.toBe(before);

    await chmod(join(dir, 'index.html'), 0o600);
    expect((await readBuildContext(dir)).digest).not.toBe(afterEdit);
  });

  it('follows changes to the Dockerfile and to .dockerignore itself', async () => {
    await writeTree(dir);
    const before = (await readBuildContext(dir)).digest;
    await writeFile(join(dir, 'Dockerfile'), 'FROM scratch\nCOPY index.html /\n');
    const afterDockerfile = (await readBuildContext(dir)).digest;
    expect(afterDockerfile).not.toBe(before);
    await writeFile(join(dir, '.dockerignore'), '*.md\n');
    expect((await readBuildContext(dir)).digest).not.toBe(afterDockerfile);
  });

  it('packs exactly the listed entries, owned by root', async () => {
    await writeTree(dir);
    const context = await readBuildContext(dir);
    const owners: Array<[string, number, number]> = [];
    await pipeline(
      packBuildContext(context),
      tar.extract(other, {
        map: (header) => {
          owners.push([header.name, header.uid, header.gid]);
          return header;
        },
      }),
    );
    expect(owners.map(([name]) => name).sort()).toEqual(context.entries.map((e) => e.path).sort());
    expect(owners.every(([, uid, gid]) => uid === 0 && gid === 0)).toBe(true);
    expect((await readdir(join(other, 'cache'))).sort()).toEqual(['keep.txt']);
    expect((await readBuildContext(other)).entries.map((e) => e.path)).toEqual(context.entries.map((e) => e.path));
  });

  it('following pinned bases, sends and hashes the Dockerfile with each FROM NAME:TAG@DIGEST as NAME:TAG', async () => {
    const pinned = (digit: string) => `FROM reg.example:5000/team/base:prod@sha256:${digit.repeat(64)} AS build\nFROM --platform=linux/amd64 debian:12\n`;
    await writeFile(join(dir, 'Dockerfile'), pinned('1'));
    const held = await readBuildContext(dir);
    const followed = await readBuildContext(dir, { followPinnedBases: true });
    expect(held.replaced).toBeUndefined();
    expect(followed.digest).not.toBe(held.digest);
    // Another digest pinned is the same build when the tag is followed.
    await writeFile(join(dir, 'Dockerfile'), pinned('2'));
    expect((await readBuildContext(dir, { followPinnedBases: true })).digest).toBe(followed.digest);
    expect((await readBuildContext(dir)).digest).not.toBe(held.digest);
    const sent = join(other, 'sent');
    await pipeline(packBuildContext(followed), tar.extract(sent));
    expect(await readFile(join(sent, 'Dockerfile'), 'utf8')).toBe('FROM reg.example:5000/team/base:prod AS build\nFROM --platform=linux/amd64 debian:12\n');
    expect((await readBuildContext(sent)).digest).toBe(followed.digest);
  });
});
