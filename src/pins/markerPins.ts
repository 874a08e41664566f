import { parseImageRef } from '../model/imageRef.js';
import { pinnedRef, type PinChange, type PinProblem, type PinResult, type PinTargets } from './pinTargets.js';

// Pinning in any other text file, where a line says so: `API_IMAGE=reg.example:5000/team/api:prod  # freshen: reg.example:5000/team/api`.
// The marker names the repository as the line writes it; every reference to it on that line is pinned. Pure.

const MARKER = /#\s*freshen:\s*(\S+)/;
const escape = (text: string): string => text.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');

/** Pins the references that lines marked `# freshen: REPO` name; a marked line without such a reference is a problem. */
export function pinMarkedLines(text: string, targets: PinTargets): PinResult {
  const changes: PinChange[] = [];
  const problems: PinProblem[] = [];
  const lines = text.split('\n').map((line, index) => {
    const marked = MARKER.exec(line)?.[1];
    if (marked === undefined) return line;
    const { registry, repository } = parseImageRef(marked);
    if (!targets.manages(registry, repository)) return line;
    // The reference: the repository as written, a tag, and maybe a digest, before the marker.
    const code = line.slice(0, line.indexOf('#', line.search(MARKER)));
    const reference = new RegExp(`${escape(marked)}(?::[\\w][\\w.-]{0,127})?(?:@sha256:[0-9a-f]{64})?(?![\\w./:-])`, 'g');
    let found = false;
    const pinned = code.replace(reference, (ref) => {
      found = true;
      const to = pinnedRef(ref, targets);
      if (to === undefined) return ref;
      changes.push({ line: index + 1, from: ref, to });
      return to;
    });
    if (!found) problems.push({ line: index + 1, message: `marked for ${marked}, but the line holds no reference to it; left as it is` });
    return pinned + line.slice(code.length);
  });
  return { text: changes.length === 0 ? text : lines.join('\n'), changes, problems };
}
