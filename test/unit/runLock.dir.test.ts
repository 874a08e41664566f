import { chmodSync, chownSync, mkdirSync, mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { lockDirectory, lockDirectoryProblem } from '../../src/runner/runLock.js';

const fresh = (): string => join(mkdtempSync(join(tmpdir(), 't-lockdir-')), 'locks');

describe('the lock directory', () => {
  it('is per user by default', () => {
    const saved = process.env.FRESHEN_LOCK_DIR;
    delete process.env.FRESHEN_LOCK_DIR;
    try {
      expect(lockDirectory()).toMatch(new RegExp(`freshen-locks-${process.getuid?.() ?? ''}`));
    } finally {
      if (saved !== undefined) process.env.FRESHEN_LOCK_DIR = saved;
    }
  });

  it('is created private (0700) when missing', () => {
    const dir = fresh();
    expect(lockDirectoryProblem(dir, false)).toBeUndefined();
  });

  it.each([
    {
      name: 'writable by other users',
      prepare: (dir: string) => chmodSync(dir, 0o777),
      problem: 'is writable by other users; chmod 700 it, or set FRESHEN_LOCK_DIR',
    },
    { name: 'owned by another user', prepare: (dir: string) => chownSync(dir, 54321, 54321), problem: 'belongs to another user (uid 54321)' },
  ])('refuses a default directory $name; a shared FRESHEN_LOCK_DIR is only checked for writing', ({ prepare, problem }) => {
    const dir = fresh();
    mkdirSync(dir, { mode: 0o700 });
    prepare(dir);
    expect(lockDirectoryProblem(dir, false)).toContain(problem);
    expect(lockDirectoryProblem(dir, true)).toBeUndefined();
  });
});
