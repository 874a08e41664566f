import { createTwoFilesPatch } from 'diff';
import { shortDigest, parseImageRef } from '../../model/imageRef.js';
import type { FileDiff } from '../../model/results.js';
import type { PinPlan } from './planPin.js';

// What pin says: a sentence per reference it pins, the commit, and what it left alone. Pure.

/** `Pin compose.yaml:4 127.0.0.1:5055/lab/web:prod to sha256:1a2b3c4d5e6f`. */
export function pinChanges(plan: PinPlan): string[] {
  if (plan.files.length === 0 && plan.awaitingPush.length === 0) return [];
  const where = `${plan.options.remote} ${plan.options.branch}`;
  return [
    ...plan.changes.map((c) => `Pin ${c.path}:${c.line} ${c.from.split('@')[0]} to ${shortDigest(parseImageRef(c.to).digest!)}`),
    ...plan.awaitingPush.map((ref) => `Pin the references to ${ref} to the build this run pushes`),
    `Commit ${plan.files.length > 0 ? plan.files.map((f) => f.path).join(', ') : 'the pins'} on top of ${plan.baseLabel}; push it to ${where}`,
  ];
}

/** What pin read but left as it was, and where it started from. */
export function pinNotes(plan: PinPlan): string[] {
  return [
    ...plan.notes,
    ...plan.problems.map((p) => `${p.path}:${p.line}: ${p.message}`),
    ...plan.missing.map((ref) => `${ref}: the registry holds no such tag; its references are left as they are`),
    // A check run says so where the run itself would fail: it is exact about that too.
    ...(plan.dirty.length > 0 && !plan.options.allowDirty
      ? [`${plan.dirty.join(', ')}: uncommitted changes; the run would fail (pin-dirty) unless they are committed or allow_dirty: true`]
      : []),
    ...plan.malformed.map((ref) => `${ref}: the registry's answer is not a sha256 digest; its references are left as they are`),
    ...(plan.files.length === 0 && plan.awaitingPush.length === 0 ? [`Every managed reference in ${plan.baseLabel} is pinned to what its tag names`] : []),
  ];
}

/** The unified diff of every file the commit changes, as `git diff` shows it. */
export function pinFileDiffs(plan: PinPlan): FileDiff[] {
  return plan.files.map((f) => ({
    file: f.path,
    lines: createTwoFilesPatch(`a/${f.path}`, `b/${f.path}`, f.before, f.after, '', '', { context: 3 })
      .split('\n')
      .filter((line, i) => i > 0 && line !== ''),
  }));
}
