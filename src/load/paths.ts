import { homedir } from 'node:os';
import path from 'node:path';

/** Makes a path from an input file absolute: `~` and `~/x` are the home directory, relative paths start at `baseDir`. */
export function resolveInputPath(value: string, baseDir: string): string {
  if (value === '~') return homedir();
  if (value.startsWith('~/')) return path.join(homedir(), value.slice(2));
  return path.resolve(baseDir, value);
}
