import { shortDigest } from '../model/imageRef.js';
import type { ImageDiff, StepResult } from '../model/results.js';

const image = (digest: string | undefined, missing: string): string => (digest === undefined ? missing : `sha256:${shortDigest(digest)}`);

/**
 * `--diff` lines for one step: `~` a container that would be replaced (or an image that would change), `=` one kept as it is.
 * Digests are shortened to 12 hex digits, as `docker images` shows them.
 */
export function diffLines(diff: readonly ImageDiff[]): string[] {
  return diff.map((entry) => {
    const subject = entry.container === undefined ? entry.ref : `${entry.container} (${entry.ref})`;
    const before = image(entry.before, 'absent');
    if (!entry.replace && entry.before === entry.after) return `= ${subject}: ${before}, kept`;
    const after = image(entry.after, 'the build this run pushes');
    const order = entry.order === undefined ? '' : ` ${entry.order} (${entry.why ?? ''})`;
    const verdict = entry.container === undefined ? '' : entry.replace ? `, replaced${order}` : ', kept';
    return `~ ${subject}: ${before} → ${after}${verdict}`;
  });
}

/** Everything `--diff` shows of one step: its images (above), then the unified diff of each file it edits. */
export const stepDiffLines = (result: Pick<StepResult, 'diff' | 'fileDiffs'>): string[] => [
  ...diffLines(result.diff ?? []),
  ...(result.fileDiffs ?? []).flatMap((f) => f.lines),
];
