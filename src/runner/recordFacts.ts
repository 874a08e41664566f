import type { BuiltImage } from '../images/builtImage.js';
import type { FactUpdate, HostFacts, RunState } from '../steps/facts.js';

// The one writer of the facts steps hand each other: the runner records what a plan announced and what an apply returned,
// each fact by its one rule (see src/steps/facts.ts for the owners).

type WritableFacts = { -readonly [K in keyof HostFacts]: HostFacts[K] };

/**
 * `built` with `added` in place of every entry of `replacing` and of `added`'s repositories. Two steps of a play build
 * (rebuild and patch): each owns its repositories' entries, so neither takes the other's away, in a plan or an apply.
 */
export function withBuilt(built: readonly BuiltImage[] | undefined, added: readonly BuiltImage[], replacing: readonly string[] = []): readonly BuiltImage[] {
  const gone = new Set([...replacing, ...added.map((image) => image.repository)]);
  return [...(built ?? []).filter((image) => !gone.has(image.repository)), ...added];
}

/** Records `update` where later steps read it: the host's facts, and the run's planned pushes. */
export function recordFacts(facts: HostFacts, run: RunState, update: FactUpdate): void {
  const writable: WritableFacts = facts;
  if (update.images !== undefined) writable.images = update.images;
  if (update.built !== undefined || update.builtReplacing !== undefined) writable.built = withBuilt(facts.built, update.built ?? [], update.builtReplacing);
  if (update.pulled !== undefined) writable.pulled = update.pulled;
  if (update.stopped !== undefined) writable.stopped = update.stopped;
  if (update.guard === null) delete writable.guard;
  else if (update.guard !== undefined) writable.guard = update.guard;
  for (const ref of update.pushes ?? []) run.pushes.announce(ref);
}
