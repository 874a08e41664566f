import { shortDigest } from '../../model/imageRef.js';
import type { StaleReason } from '../../runner/facts.js';
import type { ProvenanceRead } from './provenance.js';

/** Everything the verdict needs to know about one managed image, looked up beforehand. */
export interface StalenessFacts {
  /** `registry/repository:tag`. */
  ref: string;
  /** Whether the registry serves `ref`; an unpublished image has no provenance to compare. */
  published: boolean;
  forced: boolean;
  /** Labels of the image the registry serves as `ref`. */
  provenance?: ProvenanceRead;
  /** The Dockerfile's base references. */
  bases: readonly string[];
  /** Base references that are tree images stale in this run (they will be rebuilt first). */
  rebuiltBases: ReadonlySet<string>;
  /**
   * The registry's current image ID of every other base: undefined when the registry lacks it; a base with no key could not
   * be looked up (another registry).
   */
  currentBaseIds: ReadonlyMap<string, string | undefined>;
  contextDigest: string;
}

/** Whether an image must be rebuilt, why (one explanation per reason, same order), and remarks that change nothing. */
export interface StaleVerdict {
  stale: boolean;
  reasons: StaleReason[];
  explanations: string[];
  notes: string[];
}

const short = (digest: string): string => `${shortDigest(digest)}…`;

/** Decides staleness from looked-up facts; reasons come in a fixed order so verdicts compare and read the same each run. */
export function staleVerdict(facts: StalenessFacts): StaleVerdict {
  const found: Array<[StaleReason, string]> = [];
  const notes: string[] = [];
  if (!facts.published) found.push(['unpublished', `${facts.ref} is not published yet`]);
  if (facts.forced) found.push(['forced', 'the playbook forces a rebuild']);
  if (facts.published && facts.provenance && !facts.provenance.ok) {
    found.push(['no-provenance', `${facts.ref} ${facts.provenance.problem}`]);
  }
  const rebuilt = facts.bases.filter((b) => facts.rebuiltBases.has(b));
  if (rebuilt.length > 0) found.push(['base-rebuilt', rebuilt.map((b) => `base ${b} is stale and is rebuilt first`).join('; ')]);

  const provenance = facts.published && facts.provenance?.ok ? facts.provenance.value : undefined;
  if (provenance) {
    const changedBases: string[] = [];
    for (const base of facts.bases) {
      if (facts.rebuiltBases.has(base)) continue;
      const recorded = provenance.bases[base];
      if (!facts.currentBaseIds.has(base)) {
        notes.push(`base ${base} cannot be checked: it is not in this registry`);
        continue;
      }
      const current = facts.currentBaseIds.get(base);
      if (recorded === undefined) changedBases.push(`base ${base} is new: ${facts.ref} was not built from it`);
      else if (current === undefined) notes.push(`base ${base} is missing from the registry`);
      else if (current !== recorded) {
        changedBases.push(`base ${base} changed: built from ${short(recorded)}, registry now has ${short(current)}`);
      }
    }
    if (changedBases.length > 0) found.push(['base-changed', changedBases.join('; ')]);
    if (provenance.contextDigest !== facts.contextDigest) {
      found.push([
        'context-changed',
        `build context changed: built from ${short(provenance.contextDigest)}, now ${short(facts.contextDigest)}`,
      ]);
    }
  }
  return { stale: found.length > 0, reasons: found.map(([r]) => r), explanations: found.map(([, e]) => e), notes };
}
