import { execFile } from 'node:child_process';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { GitAuthor, GitRepo } from '../pins/gitPort.js';

// A git repository as `pin` uses it, through git's plumbing: it reads files at a revision and makes a commit on top of one
// without a checkout, so the user's working tree, index and checked-out branch are never touched. Only `fetch`, `commitFiles`
// and `push` write (objects and refs), so a check run that calls none of them writes nothing.

/** What git printed on a failure, trimmed (it may hold a remote's text: callers show it as a peer's). */
export class GitError extends Error {
  override name = 'GitError';

  constructor(
    message: string,
    /** What git printed on standard output (a push's `--porcelain` verdict per ref). */
    readonly stdout = '',
  ) {
    super(message);
  }
}

export class GitRepository implements GitRepo {
  constructor(
    readonly dir: string,
    /** Extra environment for every git run (`GIT_SSH_COMMAND` with the run's known-hosts file and key). */
    private readonly env: NodeJS.ProcessEnv = {},
  ) {}

  private run(args: string[], options: { input?: string; env?: NodeJS.ProcessEnv } = {}): Promise<string> {
    return new Promise((resolve, reject) => {
      const child = execFile(
        'git',
        ['-C', this.dir, ...args],
        // No prompt ever: a run is unattended, and a prompt would hang it.
        { env: { ...process.env, GIT_TERMINAL_PROMPT: '0', ...this.env, ...options.env }, maxBuffer: 64 << 20 },
        (error, stdout, stderr) => (error ? reject(new GitError(`git ${args[0]}: ${stderr.trim() || error.message}`, stdout)) : resolve(stdout)),
      );
      if (options.input !== undefined) child.stdin?.end(options.input);
    });
  }

  async topLevel(): Promise<string> {
    return (await this.run(['rev-parse', '--show-toplevel'])).trim();
  }

  async remoteUrl(remote: string): Promise<string | undefined> {
    return (await this.run(['remote', 'get-url', remote]).catch(() => '')).trim() || undefined;
  }

  async currentBranch(): Promise<string | undefined> {
    return (await this.run(['symbolic-ref', '--quiet', '--short', 'HEAD']).catch(() => '')).trim() || undefined;
  }

  /** The commit a revision names; undefined when it names none. */
  async commitOf(revision: string): Promise<string | undefined> {
    return (await this.run(['rev-parse', '--verify', '--quiet', `${revision}^{commit}`]).catch(() => ''))?.trim() || undefined;
  }

  /** Paths changed in the working tree or index (what `git status --porcelain` lists). */
  async dirtyPaths(): Promise<string[]> {
    // --no-optional-locks: status would otherwise refresh the index, a write a check run must not make.
    return (await this.run(['--no-optional-locks', 'status', '--porcelain', '-z']))
      .split('\0')
      .filter(Boolean)
      .map((entry) => entry.slice(3));
  }

  /** Fetches `branch` of `remote` into its remote-tracking ref; false when the remote has no such branch. */
  async fetch(remote: string, branch: string): Promise<boolean> {
    const listed = await this.run(['ls-remote', '--heads', remote, `refs/heads/${branch}`]);
    if (listed.trim() === '') return false;
    await this.run(['fetch', '--quiet', remote, `+refs/heads/${branch}:refs/remotes/${remote}/${branch}`]);
    return true;
  }

  /** The files at `revision` below `paths` (files or directories), repository-relative. */
  async listFiles(revision: string, paths: readonly string[]): Promise<string[]> {
    const out = await this.run(['ls-tree', '-r', '-z', '--name-only', revision, '--', ...paths]);
    return out.split('\0').filter(Boolean);
  }

  /** A file's text at `revision`; undefined when it has none there. */
  async readFile(revision: string, path: string): Promise<string | undefined> {
    return this.run(['cat-file', 'blob', `${revision}:${path}`]).catch(() => undefined);
  }

  /** A commit of `files` (path → new text) on top of `base`, made in a temporary index; returns its ID. Writes no ref. */
  async commitFiles(base: string, files: ReadonlyMap<string, string>, message: string, author: GitAuthor): Promise<string> {
    const scratch = await mkdtemp(join(tmpdir(), 'freshen-git-'));
    const env = { GIT_INDEX_FILE: join(scratch, 'index') };
    try {
      await this.run(['read-tree', base], { env });
      for (const [path, text] of files) {
        const blob = (await this.run(['hash-object', '-w', '--stdin'], { input: text })).trim();
        const mode = (await this.run(['ls-tree', base, '--', path])).split(' ')[0] || '100644';
        await this.run(['update-index', '--add', '--cacheinfo', `${mode},${blob},${path}`], { env });
      }
      const tree = (await this.run(['write-tree'], { env })).trim();
      const who = { GIT_AUTHOR_NAME: author.name, GIT_AUTHOR_EMAIL: author.email, GIT_COMMITTER_NAME: author.name, GIT_COMMITTER_EMAIL: author.email };
      return (await this.run(['commit-tree', tree, '-p', base, '-F', '-'], { input: message, env: who })).trim();
    } finally {
      await rm(scratch, { recursive: true, force: true });
    }
  }

  /** Pushes `commit` to `branch` of `remote`, never forced: `moved` when the remote's branch is no longer its parent. */
  async push(remote: string, commit: string, branch: string): Promise<'pushed' | 'moved'> {
    try {
      await this.run(['push', '--quiet', '--porcelain', remote, `${commit}:refs/heads/${branch}`]);
      return 'pushed';
    } catch (error) {
      if (error instanceof GitError && /\[rejected\]/.test(error.stdout)) return 'moved';
      throw error;
    }
  }
}
