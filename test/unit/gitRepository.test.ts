// The git adapter against real git (Debian's), in temporary directories: a bare repository as the remote, a clone as the
// user's repository. No network: the remote is a path.
import { execFileSync } from 'node:child_process';
import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { GitRepository } from '../../src/adapters/gitRepository.js';

const AUTHOR = { name: 'freshen', email: 'freshen@localhost' };
let dir: string;
let remote: string;
let clone: string;
const git = (cwd: string, ...args: string[]): string =>
  execFileSync('git', ['-c', 'user.name=t', '-c', 'user.email=t@localhost', '-c', 'init.defaultBranch=main', ...args], { cwd, encoding: 'utf8' }).trim();

beforeEach(async () => {
  dir = await mkdtemp(join(tmpdir(), 't-git-'));
  remote = join(dir, 'remote.git');
  clone = join(dir, 'clone');
  git(dir, 'init', '--quiet', '--bare', remote);
  git(dir, 'clone', '--quiet', remote, clone);
  await writeFile(join(clone, 'compose.yml'), 'services:\n  api:\n    image: reg/api:prod\n');
  await writeFile(join(clone, 'deploy.sh'), '#!/bin/sh\n', { mode: 0o755 });
  git(clone, 'add', 'compose.yml', 'deploy.sh');
  git(clone, 'commit', '--quiet', '-m', 'first');
  git(clone, 'push', '--quiet', 'origin', 'HEAD:refs/heads/main');
});

afterEach(async () => {
  await rm(dir, { recursive: true, force: true });
});

describe('GitRepository', () => {
  it('commits on top of a revision without touching the working tree, and pushes to a branch of its own', async () => {
    const repo = new GitRepository(clone);
    const base = (await repo.commitOf('HEAD'))!;
    await writeFile(join(clone, 'scratch.txt'), 'the user is editing\n');
    expect(await repo.dirtyPaths()).toEqual(['scratch.txt']);
    expect(await repo.listFiles(base, ['.'])).toEqual(['compose.yml', 'deploy.sh']);
    const text = (await repo.readFile(base, 'compose.yml'))!;
    const commit = await repo.commitFiles(
      base,
      new Map([
        ['compose.yml', text.replace('prod', 'prod@sha256:1')],
        ['deploy.sh', '#!/bin/sh\necho\n'],
      ]),
      'Pin api\n\nwhy',
      AUTHOR,
    );
    expect(await repo.push('origin', commit, 'freshen/pins')).toBe('pushed');
    // The remote branch has the commit; the user's files, index and branch are as they were.
    expect(git(remote, 'log', '--format=%s %an', 'freshen/pins')).toBe('Pin api freshen\nfirst t');
    expect(git(remote, 'show', 'freshen/pins:compose.yml')).toContain('image: reg/api:prod@sha256:1');
    expect(git(remote, 'ls-tree', 'freshen/pins', 'deploy.sh').split(' ')[0]).toBe('100755');
    expect(await readFile(join(clone, 'compose.yml'), 'utf8')).toContain('image: reg/api:prod\n');
    expect(git(clone, 'rev-parse', 'HEAD')).toBe(base);
    expect(await repo.dirtyPaths()).toEqual(['scratch.txt']);
  });

  it('says the remote moved instead of forcing, and fetches it so the change can be made again on top', async () => {
    const repo = new GitRepository(clone);
    const base = (await repo.commitOf('HEAD'))!;
    const other = join(dir, 'other');
    git(dir, 'clone', '--quiet', remote, other);
    await writeFile(join(other, 'README'), 'someone else\n');
    git(other, 'add', 'README');
    git(other, 'commit', '--quiet', '-m', 'meanwhile');
    git(other, 'push', '--quiet', 'origin', 'HEAD:main');
    const commit = await repo.commitFiles(base, new Map([['compose.yml', 'x\n']]), 'Pin', AUTHOR);
    expect(await repo.push('origin', commit, 'main')).toBe('moved');
    expect(git(remote, 'log', '--format=%s', 'main')).toBe('meanwhile\nfirst');
    expect(await repo.fetch('origin', 'main')).toBe(true);
    const tip = (await repo.commitOf('origin/main'))!;
    expect(await repo.readFile(tip, 'README')).toBe('someone else\n');
    const again = await repo.commitFiles(tip, new Map([['compose.yml', 'x\n']]), 'Pin', AUTHOR);
    expect(await repo.push('origin', again, 'main')).toBe('pushed');
    expect(await repo.fetch('origin', 'no-such-branch')).toBe(false);
    expect(await repo.commitOf('no-such-revision')).toBeUndefined();
    expect(await repo.readFile(tip, 'missing.yml')).toBeUndefined();
  });
});
