// The git port: what `pin` does with a git repository, implemented by src/adapters/gitRepository.ts through git's plumbing.
// Only `fetch`, `commitFiles` and `push` write (objects and refs); a check run calls none of them.

export interface GitAuthor {
  name: string;
  email: string;
}

export interface GitRepo {
  /** The repository's top-level directory. */
  topLevel(): Promise<string>;
  /** The URL of a configured remote; undefined when there is no such remote. */
  remoteUrl(remote: string): Promise<string | undefined>;
  /** The commit a revision names; undefined when it names none. */
  commitOf(revision: string): Promise<string | undefined>;
  /** The branch checked out; undefined on a detached HEAD. */
  currentBranch(): Promise<string | undefined>;
  /** Paths changed in the working tree or index, repository-relative (read without taking git's index lock). */
  dirtyPaths(): Promise<string[]>;
  /** Fetches `branch` of `remote` into its remote-tracking ref; false when the remote has no such branch. */
  fetch(remote: string, branch: string): Promise<boolean>;
  /** The files at `revision` below `paths` (files or directories), repository-relative. */
  listFiles(revision: string, paths: readonly string[]): Promise<string[]>;
  /** A file's text at `revision`; undefined when it has none there. */
  readFile(revision: string, path: string): Promise<string | undefined>;
  /** A commit of `files` (path → new text) on top of `base`, made in a temporary index; returns its ID. Writes no ref. */
  commitFiles(base: string, files: ReadonlyMap<string, string>, message: string, author: GitAuthor): Promise<string>;
  /** Pushes `commit` to `branch` of `remote`, never forced: `moved` when the remote's branch is no longer its parent. */
  push(remote: string, commit: string, branch: string): Promise<'pushed' | 'moved'>;
}
