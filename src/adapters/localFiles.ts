import { readFileSync } from 'node:fs';
import { readdir, readFile, stat } from 'node:fs/promises';
import type { Files } from '../images/files.js';
import { packBuildContext, readBuildContext } from './contextFiles.js';
import { OciLayout } from './ociLayout.js';
import { GitRepository } from './gitRepository.js';

/** The files port on this machine's file system. */
export const localFiles: Files = {
  isDirectory: async (path) => (await stat(path).catch(() => undefined))?.isDirectory() === true,
  readText: (path) => readFile(path, 'utf8'),
  readTextSync: (path) => readFileSync(path, 'utf8'),
  list: async (dir) =>
    (await readdir(dir, { withFileTypes: true })).map((entry) => ({ name: entry.name, directory: entry.isDirectory(), file: entry.isFile() })),
  buildContext: readBuildContext,
  pack: packBuildContext,
  ociLayout: (dir) => new OciLayout(dir),
  gitRepository: (dir) => new GitRepository(dir),
};
