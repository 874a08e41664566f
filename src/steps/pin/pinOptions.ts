import { resolve } from 'node:path';
import type { GitAuthor } from '../../pins/gitPort.js';
import { OptionError, repositoryGlobsOption } from '../optionError.js';

/** The pin step's options with defaults applied. */
export interface PinOptions {
  /** A directory inside the git repository to edit (absolute): the playbook's directory unless `repository` names another. */
  repository: string;
  /** Files and directories to pin, relative to the repository's top level. */
  files: string[];
  /** Helm values files (relative to the top level) → the dotted paths of their image maps. */
  helmValues: Record<string, string[]>;
  /** The configured remote the commit is pushed to. */
  remote: string;
  /** The branch the commit goes on: freshen's own (default) or one people also commit to. */
  branch: string;
  /** Globs over the registry's repository names whose references are pinned; undefined: every repository of the host's registry. */
  images?: string[];
  author: GitAuthor;
  /** Commit even when a file it changes has uncommitted changes in the working tree. */
  allowDirty: boolean;
}

export const DEFAULT_BRANCH = 'freshen/pins';
export const DEFAULT_AUTHOR: GitAuthor = { name: 'freshen', email: 'freshen@localhost' };

const fail = (message: string, path: ReadonlyArray<string | number> = []): never => {
  throw new OptionError(`pin: ${message}`, path);
};

const isRecord = (value: unknown): value is Record<string, unknown> => typeof value === 'object' && value !== null && !Array.isArray(value);

/** A path inside the repository: relative, without `..` (git reads it at a revision, where nothing lies outside). */
function repositoryPath(value: unknown, at: ReadonlyArray<string | number>): string {
  if (typeof value !== 'string' || value === '') return fail('each of files must be a path inside the repository', at);
  const path = value.replace(/^\.\/+/, '').replace(/\/+$/, '') || '.';
  if (path.startsWith('/') || path.split('/').includes('..')) fail(`${value} is not a path inside the repository (relative to its top level, without ..)`, at);
  return path;
}

/** `helm_values`: values file → the dotted paths (`image`, `worker.image`) of its image maps. */
function helmOption(value: unknown): Record<string, string[]> {
  const dotted = (path: unknown): boolean => typeof path === 'string' && /^[^.\s]+(\.[^.\s]+)*$/.test(path);
  if (!isRecord(value) || Object.values(value).some((paths) => !Array.isArray(paths) || paths.length === 0 || !paths.every(dotted))) {
    return fail('helm_values must map each values file to the dotted paths of its image maps, for example { charts/api/values.yaml: [image] }', [
      'helm_values',
    ]);
  }
  return Object.fromEntries(Object.entries(value as Record<string, string[]>).map(([file, paths]) => [repositoryPath(file, ['helm_values', file]), paths]));
}

/** A git branch name as `git check-ref-format --branch` would take it (the common subset). */
const BRANCH = /^(?!\/|.*\/\/|.*\/$|.*\.\.|.*@\{|.*\.lock$|-)[\w./-]+$/;

/** Applies defaults; relative `repository` starts at the playbook's directory. */
export function parsePinOptions(raw: Record<string, unknown>, baseDir: string): PinOptions {
  const { repository, files = [], helm_values: helmValues = {}, remote = 'origin', branch = DEFAULT_BRANCH, author, allow_dirty: allowDirty = false } = raw;
  const helm = helmOption(helmValues);
  if (!Array.isArray(files) || (files.length === 0 && Object.keys(helm).length === 0)) {
    fail('files must list the files and directories to pin (relative to the repository), unless helm_values names some', ['files']);
  }
  if (repository !== undefined && (typeof repository !== 'string' || repository === '')) fail('repository must be a directory', ['repository']);
  if (typeof remote !== 'string' || !/^[\w.-]+$/.test(remote)) fail('remote must name a configured remote (git remote -v lists them)', ['remote']);
  if (typeof branch !== 'string' || !BRANCH.test(branch)) fail(`branch ${JSON.stringify(branch)} is not a branch name git takes`, ['branch']);
  const images = repositoryGlobsOption(raw, 'images');
  if (author !== undefined && !(isRecord(author) && typeof author.name === 'string' && typeof author.email === 'string')) {
    fail('author must be { name: …, email: … }', ['author']);
  }
  if (typeof allowDirty !== 'boolean') fail('allow_dirty must be true or false', ['allow_dirty']);
  return {
    repository: resolve(baseDir, (repository as string | undefined) ?? '.'),
    files: (files as unknown[]).map((file, i) => repositoryPath(file, ['files', i])),
    helmValues: helm,
    remote: remote as string,
    branch: branch as string,
    ...(images !== undefined ? { images } : {}),
    author: isRecord(author) ? { name: author.name as string, email: author.email as string } : DEFAULT_AUTHOR,
    allowDirty: allowDirty as boolean,
  };
}
