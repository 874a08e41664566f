import { createHash } from 'node:crypto';
import { accessSync, constants, linkSync, mkdirSync, readFileSync, renameSync, statSync, unlinkSync, writeFileSync } from 'node:fs';
import { hostname, tmpdir, userInfo } from 'node:os';
import { join } from 'node:path';
import { dockerEndpoint, sshEndpoint, type Host } from '../model/inventory.js';

/** Who holds a host's lock, as written into the lock file. */
export interface LockHolder {
  pid: number;
  machine: string;
  started: string;
  command: string;
}

/** Held locks; `release` removes only the files this run created. */
export interface HeldLocks {
  release(): void;
}

/** The outcome of one attempt: every lock taken, or the first one another live run holds. */
export type LockAttempt = { ok: true; locks: HeldLocks } | { ok: false; host: string; holder: LockHolder };

/** Whose locks these are: a directory per user by default, so another local user cannot plant a lock that blocks every run. */
const userTag = (): string => String(process.getuid?.() ?? userInfo().username);

/** `FRESHEN_LOCK_DIR` (shared on purpose, for several control machines on shared storage), else a directory of this user's own. */
export const lockDirectory = (): string => process.env.FRESHEN_LOCK_DIR ?? join(tmpdir(), `freshen-locks-${userTag()}`);

/**
 * Why the lock directory cannot be used, or undefined when it can: it is created (0700) when missing; the per-user default must
 * belong to this user and be writable by nobody else; a shared FRESHEN_LOCK_DIR must be a writable directory.
 */
export function lockDirectoryProblem(dir = lockDirectory(), shared = process.env.FRESHEN_LOCK_DIR !== undefined): string | undefined {
  try {
    mkdirSync(dir, { recursive: true, mode: 0o700 });
    const stat = statSync(dir);
    if (!stat.isDirectory()) return `the lock directory ${dir} is not a directory`;
    if (!shared && process.getuid !== undefined) {
      if (stat.uid !== process.getuid()) return `the lock directory ${dir} belongs to another user (uid ${stat.uid}); remove it, or set FRESHEN_LOCK_DIR`;
      if ((stat.mode & 0o022) !== 0) return `the lock directory ${dir} is writable by other users; chmod 700 it, or set FRESHEN_LOCK_DIR`;
    }
    accessSync(dir, constants.W_OK);
    return undefined;
  } catch (error) {
    return `the lock directory ${dir} cannot be used: ${(error as NodeJS.ErrnoException).code ?? String(error)}`;
  }
}

/** A host's lock is named after where it is reached, so two inventories naming one engine differently still exclude each other. */
export function lockKey(host: Host): string {
  const docker = dockerEndpoint(host.vars);
  const ssh = sshEndpoint(host.vars);
  const identity = JSON.stringify([docker?.host, docker?.socket, ssh?.host, ssh?.port, ssh?.user]);
  const readable = host.name.replace(/[^A-Za-z0-9_.-]/g, '_');
  return `${readable}-${createHash('sha256').update(identity).digest('hex').slice(0, 12)}.lock`;
}

const isAlive = (pid: number): boolean => {
  try {
    process.kill(pid, 0);
    return true;
  } catch (error) {
    return (error as NodeJS.ErrnoException).code === 'EPERM';
  }
};

function readHolder(path: string): LockHolder | undefined {
  try {
    return JSON.parse(readFileSync(path, 'utf8')) as LockHolder;
  } catch {
    return undefined;
  }
}

/** A lock left by a run on this machine whose process is gone (killed, crashed) can be cleared safely. */
export const isStale = (holder: LockHolder | undefined): boolean => holder === undefined || (holder.machine === hostname() && !isAlive(holder.pid));

/** Tries once to take the locks of all `hosts` (sorted, all or none). Stale locks are cleared on the way. */
export function tryLockHosts(hosts: Host[], command: string, dir = lockDirectory()): LockAttempt {
  mkdirSync(dir, { recursive: true, mode: 0o700 });
  const me: LockHolder = { pid: process.pid, machine: hostname(), started: new Date().toISOString(), command };
  const taken: string[] = [];
  const release = (): void => {
    for (const path of taken.splice(0)) {
      if (readHolder(path)?.pid === me.pid) unlinkSync(path);
    }
  };
  const ordered = [...hosts].sort((a, b) => lockKey(a).localeCompare(lockKey(b)));
  for (const host of ordered) {
    const path = join(dir, lockKey(host));
    const holder = takeOrReadHolder(path, me);
    if (holder) {
      release();
      return { ok: false, host: host.name, holder };
    }
    taken.push(path);
  }
  return { ok: true, locks: { release } };
}

/**
 * Creates the lock file exclusively, whole: written aside first, then linked into place (a link fails if the name exists).
 * Created empty and then written, another run could read it empty in between, take it for a stale lock and clear it, and both
 * runs would go on (a CI run's reader saw it empty).
 */
function createWhole(path: string, me: LockHolder): boolean {
  const written = `${path}.new-${me.pid}`;
  writeFileSync(written, JSON.stringify(me));
  try {
    linkSync(written, path);
    return true;
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code !== 'EEXIST') throw error;
    return false;
  } finally {
    unlinkSync(written);
  }
}

/** Creates the lock file exclusively; returns the live holder when another run has it. */
function takeOrReadHolder(path: string, me: LockHolder): LockHolder | undefined {
  for (let attempt = 0; attempt < 3; attempt++) {
    if (createWhole(path, me)) return undefined;
    const holder = readHolder(path);
    if (!isStale(holder)) return holder;
    // Rename before deleting, so two runs clearing the same stale lock cannot delete a fresh one.
    const aside = `${path}.stale-${me.pid}`;
    try {
      renameSync(path, aside);
      if (isStale(readHolder(aside))) unlinkSync(aside);
      else renameSync(aside, path);
    } catch {
      // Another run cleared it first; try again.
    }
  }
  return readHolder(path) ?? { pid: 0, machine: 'unknown', started: '', command: 'unknown' };
}

/** Takes the locks, retrying until `waitMs` has passed; Ctrl-C stops the wait. */
export async function lockHosts(hosts: Host[], command: string, waitMs: number, signal: AbortSignal, dir?: string): Promise<LockAttempt> {
  const deadline = Date.now() + waitMs;
  for (;;) {
    const attempt = tryLockHosts(hosts, command, dir);
    if (attempt.ok || Date.now() >= deadline || signal.aborted) return attempt;
    await new Promise((resolve) => setTimeout(resolve, Math.min(500, Math.max(0, deadline - Date.now()))));
  }
}

export const describeHolder = (holder: LockHolder): string => `pid ${holder.pid} on ${holder.machine}, started ${holder.started}: ${holder.command}`;
