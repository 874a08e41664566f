import { join } from 'node:path';
import type { Files } from './files.js';

/** A directory of the tree holding a Dockerfile. */
export interface TreeImage {
  /** Path below the root, `/`-separated: the repository. */
  repository: string;
  dir: string;
}

/** What walking the tree found: images, and directories that hold a Dockerfile but cannot name a repository. */
export interface TreeWalk {
  images: TreeImage[];
  rejected: string[];
}

// Docker's repository path grammar: lowercase components joined by `/`, separators `.`, `_`, `__` or dashes inside.
const COMPONENT = /^[a-z0-9]+(?:(?:[._]|__|-+)[a-z0-9]+)*$/;

/** Why a directory path cannot be a repository name, or undefined when it can. */
export function repositoryProblem(path: string): string | undefined {
  if (path === '') return 'a Dockerfile directly in the root has no repository name';
  const bad = path.split('/').find((c) => !COMPONENT.test(c));
  return bad === undefined ? undefined : `"${bad}" is not a valid repository path component (lowercase letters, digits, "._-")`;
}

// Version control and dependency folders never hold image directories, and walking them is slow.
const SKIPPED = new Set(['.git', 'node_modules']);

/** Finds every `Dockerfile` below `root` (the root itself included), sorted by repository. */
export async function walkTree(root: string, files: Pick<Files, 'list'>): Promise<TreeWalk> {
  const images: TreeImage[] = [];
  const rejected: string[] = [];
  const walk = async (relative: string): Promise<void> => {
    const dir = relative === '' ? root : join(root, relative);
    const entries = await files.list(dir);
    if (entries.some((e) => e.name === 'Dockerfile' && e.file)) {
      const problem = repositoryProblem(relative);
      if (problem) rejected.push(`${relative === '' ? '.' : relative}: ${problem}`);
      else images.push({ repository: relative, dir });
    }
    for (const entry of entries) {
      if (entry.directory && !SKIPPED.has(entry.name)) await walk(relative === '' ? entry.name : `${relative}/${entry.name}`);
    }
  };
  await walk('');
  images.sort((a, b) => (a.repository < b.repository ? -1 : a.repository > b.repository ? 1 : 0));
  return { images, rejected };
}
