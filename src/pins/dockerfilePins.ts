import { mayBeTarget, pinnedRef, type PinChange, type PinProblem, type PinResult, type PinTargets } from './pinTargets.js';

// Pinning the bases of a Dockerfile: each `FROM` of a target repository gets the digest its tag names, beside the tag, so the
// file says exactly what the last build was built on. Only the reference changes; flags, `AS name` and every other line stay.
// discover's `pinned_bases: follow` then builds on what the tag names next time, not on the pinned digest. Pure.

const FROM = /^(\s*FROM\s+(?:--\S+\s+)*)(\S+)/i;

/** Pins every `FROM` of a target repository; a `FROM` built from build arguments is reported when it may name one. */
export function pinDockerfile(text: string, targets: PinTargets): PinResult {
  const changes: PinChange[] = [];
  const problems: PinProblem[] = [];
  const lines = text.split('\n').map((line, index) => {
    const match = FROM.exec(line);
    if (match === null) return line;
    const [, head, ref] = match as unknown as [string, string, string];
    if (ref.includes('$')) {
      if (mayBeTarget(ref, targets)) problems.push({ line: index + 1, message: `FROM ${ref} is built from build arguments; left as it is` });
      return line;
    }
    const to = pinnedRef(ref, targets);
    if (to === undefined) return line;
    changes.push({ line: index + 1, from: ref, to });
    return head + to + line.slice(head.length + ref.length);
  });
  return { text: changes.length === 0 ? text : lines.join('\n'), changes, problems };
}
