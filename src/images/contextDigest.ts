import { createHash } from 'node:crypto';
import dockerignore from '@balena/dockerignore';

// The package is CommonJS with a `default` property; this form works under both TypeScript's and Node's ESM interop.
const ignore = dockerignore.default;

/** One entry of a build context, as it is sent to the engine. */
export interface ContextEntry {
  /** Path below the context directory, `/`-separated. */
  path: string;
  type: 'file' | 'directory' | 'symlink';
  /** Permission bits (`mode & 0o7777`). */
  mode: number;
  /** sha256 (hex) of the file's bytes or the symlink's target; empty for a directory. */
  contentHash: string;
}

/** Files the builder needs even when `.dockerignore` excludes them (the CLI sends them all the same). */
export const ALWAYS_SENT = new Set(['Dockerfile', '.dockerignore']);

/** Which context paths `.dockerignore` lets through, with Docker's rules (a pattern also excludes everything below a match). */
export interface ContextFilter {
  isSent(path: string): boolean;
  /** True when an ignored directory must still be walked because a `!exception` may bring back something below it. */
  mayReinclude: boolean;
}

export function contextFilter(dockerignore: string | undefined): ContextFilter {
  const patterns = (dockerignore ?? '')
    .split(/\r?\n/)
    .map((line) => line.trim())
    .filter((line) => line !== '' && !line.startsWith('#'));
  const matcher = ignore({ ignorecase: false }).add(patterns);
  return {
    isSent: (path) => ALWAYS_SENT.has(path) || !matcher.ignores(path),
    mayReinclude: patterns.some((p) => p.startsWith('!')),
  };
}

/**
 * sha256 over the context's entries sorted by path: each contributes its path, type, mode and content hash, so the
 * digest changes exactly when what the builder receives changes (timestamps and owners are not part of it).
 */
export function contextDigest(entries: readonly ContextEntry[]): string {
  const hash = createHash('sha256');
  const sorted = [...entries].sort((a, b) => (a.path < b.path ? -1 : a.path > b.path ? 1 : 0));
  for (const entry of sorted) {
    hash.update(`${entry.path}\0${entry.type}\0${entry.mode.toString(8)}\0${entry.contentHash}\n`);
  }
  return `sha256:${hash.digest('hex')}`;
}
