import { shellQuote } from '../../shared/shellQuote.js';
import type { RegistryGcSettings } from '../../model/inventory.js';

/** `registry_gc` as gc reads it: the shared settings plus an optional explicit dry run. */
export interface GcSettings extends RegistryGcSettings {
  /** The collector's dry run, for a `command` that does not name `garbage-collect` (a wrapper script, say). */
  dry_run_command?: string;
}

export { shellQuote };

/** Apparent size in bytes of the registry's storage. */
export const duCommand = (dataDir: string): string => `du -sb ${shellQuote(dataDir)}`;

/** The byte count from `du -sb` output (first field of the last line), or undefined. */
export function parseDuBytes(stdout: string): number | undefined {
  const lines = stdout.trim().split('\n');
  const match = /^(\d+)\s/.exec(lines[lines.length - 1] ?? '');
  return match ? Number(match[1]) : undefined;
}

/**
 * Splits a command line into words as a POSIX shell would for a plain command (quotes and backslashes), or undefined when the
 * line uses anything a plain command does not: operators (`;` `&` `|` `<` `>`), substitutions (`$`, backticks), globs,
 * subshells, comments or newlines. Such a line is more than one command, and none of it may run in check mode.
 */
export function plainCommandWords(line: string): string[] | undefined {
  const words: string[] = [];
  let word = '';
  let inWord = false;
  for (let i = 0; i < line.length; i++) {
    const c = line[i]!;
    if (c === "'") {
      const end = line.indexOf("'", i + 1);
      if (end < 0) return undefined;
      word += line.slice(i + 1, end);
      inWord = true;
      i = end;
    } else if (c === '"') {
      const end = line.indexOf('"', i + 1);
      if (end < 0) return undefined;
      const inner = line.slice(i + 1, end);
      if (/[$`\\]/.test(inner)) return undefined;
      word += inner;
      inWord = true;
      i = end;
    } else if (c === '\\') {
      if (i + 1 >= line.length || line[i + 1] === '\n') return undefined;
      word += line[++i];
      inWord = true;
    } else if (c === ' ' || c === '\t') {
      if (inWord) words.push(word);
      word = '';
      inWord = false;
    } else if (/[;&|<>$`()*?[\]{}~#!\n]/.test(c)) {
      return undefined;
    } else {
      word += c;
      inWord = true;
    }
  }
  if (inWord) words.push(word);
  return words.length > 0 ? words : undefined;
}

/**
 * The collector's dry run, as a command of its own: `dry_run_command` when the inventory names one; else the words of `command`
 * (which must be one plain command naming `garbage-collect`) with `--dry-run` right after `garbage-collect`, every word quoted.
 * Never the user's shell line with a flag added: `systemctl stop docker-registry && registry garbage-collect …` has no derived
 * dry run, since its first half would run. Undefined when there is none.
 */
export function dryRunCommand(settings: GcSettings): string | undefined {
  if (settings.dry_run_command) return settings.dry_run_command;
  const words = plainCommandWords(settings.command);
  const at = words?.indexOf('garbage-collect') ?? -1;
  if (!words || at < 0) return undefined;
  const argv = words.includes('--dry-run') ? words : [...words.slice(0, at + 1), '--dry-run', ...words.slice(at + 1)];
  return argv.map(shellQuote).join(' ');
}

/** What `registry garbage-collect` said it marked and would delete (dry run) or deleted. */
export interface CollectorReport {
  markedBlobs: number;
  /** Digests of blobs eligible for deletion. */
  blobs: string[];
  /** Digests of untagged manifests eligible for deletion (`--delete-untagged`). */
  manifests: string[];
}

/** Parses distribution 2.x `garbage-collect` output; undefined when its summary line is missing. */
export function parseCollectorOutput(stdout: string): CollectorReport | undefined {
  const summary = /^(\d+) blobs marked, (\d+) blobs and (\d+) manifests eligible for deletion/m.exec(stdout);
  if (!summary) return undefined;
  const blobs = [...stdout.matchAll(/^blob eligible for deletion: (sha256:[0-9a-f]{64})/gm)].map((m) => m[1]!);
  const manifests = [...stdout.matchAll(/^manifest eligible for deletion: .*?(sha256:[0-9a-f]{64})/gm)].map((m) => m[1]!);
  return { markedBlobs: Number(summary[1]), blobs, manifests };
}

/** Where the filesystem driver keeps a blob, relative to `docker/registry/v2`. */
export function blobDataPath(digest: string): string {
  const [algorithm, hex = ''] = digest.split(':');
  return `blobs/${algorithm}/${hex.slice(0, 2)}/${hex}/data`;
}

/**
 * Total apparent size of some blobs. `data_dir` may be the driver's root directory or its `docker/registry/v2`; missing
 * files are reported by `du` on stderr and left out of the total.
 */
export function blobSizesCommand(dataDir: string, digests: string[]): string {
  const paths = digests.map((d) => shellQuote(blobDataPath(d))).join(' ');
  return `cd ${shellQuote(dataDir)} && { cd docker/registry/v2 2>/dev/null || true; } && du -cb ${paths}`;
}

/** The byte count of `du -c`'s `total` line, or undefined. */
export function parseDuTotal(stdout: string): number | undefined {
  const match = /^(\d+)\s+total$/m.exec(stdout);
  return match ? Number(match[1]) : undefined;
}
