import { shortDigest } from '../model/imageRef.js';
import { formatDuration } from '../model/duration.js';
import type { PackageProbeFacts, StaleReason } from './managedImage.js';
import type { ProvenanceRead } from './provenance.js';
import { cooldownWait, latestWait, type CooldownWait } from '../stages/cooldown.js';

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
  /** The final stage's base; other bases are named build-stage bases in explanations. */
  finalBase?: string;
  /** discover's `max_age` and the prod image's creation time (`org.opencontainers.image.created`, else the config's). */
  maxAgeMs?: number;
  created?: string;
  now?: Date;
  /** The package probe's finding on the prod image. */
  packages?: PackageProbeFacts;
  /** discover's `cooldown`, and when each looked-up base's current image was created: a younger change is not yet a reason. */
  cooldownMs?: number;
  baseCreated?: ReadonlyMap<string, string>;
}

/** Whether an image must be rebuilt, why (one explanation per reason, same order), and remarks that change nothing. */
export interface StaleVerdict {
  stale: boolean;
  reasons: StaleReason[];
  explanations: string[];
  notes: string[];
  /** When the changes the cooldown holds back become reasons (ms since the epoch); undefined when none is held. */
  waitingUntil?: number;
}

const short = (digest: string): string => `${shortDigest(digest)}…`;

/** Decides staleness from looked-up facts; reasons come in a fixed order so verdicts compare and read the same each run. */
export function staleVerdict(facts: StalenessFacts): StaleVerdict {
  const found: Array<[StaleReason, string]> = [];
  const notes: string[] = [];
  const waits: CooldownWait[] = [];
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
        const changed = `${baseWord(base, facts)} ${base} changed: built from ${short(recorded)}, registry now has ${short(current)}`;
        const wait = facts.now === undefined ? undefined : cooldownWait(changed, facts.baseCreated?.get(base), facts.cooldownMs, facts.now.getTime());
        if (wait === undefined) changedBases.push(changed);
        else waits.push(wait);
      }
    }
    if (changedBases.length > 0) found.push(['base-changed', changedBases.join('; ')]);
    if (provenance.contextDigest !== facts.contextDigest) {
      found.push(['context-changed', `build context changed: built from ${short(provenance.contextDigest)}, now ${short(facts.contextDigest)}`]);
    }
  }
  if (facts.published && facts.packages?.ok && facts.packages.outdated.length > 0) {
    found.push(['packages-outdated', outdatedSentence(facts.packages)]);
  } else if (facts.packages && !facts.packages.ok) notes.push(`packages cannot be checked: ${facts.packages.problem}`);
  const age = facts.published ? ageOf(facts) : undefined;
  if (age !== undefined && facts.maxAgeMs !== undefined && age > facts.maxAgeMs) {
    found.push(['max-age', `built ${facts.created}, ${shownAge(age)} ago, older than max_age ${shownAge(facts.maxAgeMs)}`]);
  }
  const waitingUntil = latestWait(waits);
  // A rebuild builds on what the base's tag names now, so a rebuild for another reason would adopt the base the cooldown
  // holds back: the image waits whole (force still rebuilds it).
  const held = waitingUntil !== undefined && !facts.forced ? found.splice(0) : [];
  return {
    stale: found.length > 0,
    reasons: found.map(([r]) => r),
    explanations: found.map(([, e]) => e),
    notes: [...notes, ...waits.map((w) => w.note), ...held.map(([reason, e]) => `${reason} waits with it (a rebuild would build on the new base): ${e}`)],
    ...(waitingUntil === undefined ? {} : { waitingUntil }),
  };
}

/** In a multi-stage build a base other than the final stage's only feeds a build stage: say so, the rebase question is the final one. */
function baseWord(base: string, facts: StalenessFacts): string {
  return facts.finalBase === undefined || facts.finalBase === base || facts.bases.length < 2 ? 'base' : 'build-stage base';
}

function ageOf(facts: StalenessFacts): number | undefined {
  if (facts.created === undefined || facts.now === undefined) return undefined;
  const created = Date.parse(facts.created);
  return Number.isNaN(created) ? undefined : facts.now.getTime() - created;
}

const DAY = 86_400_000;
export const shownAge = (ms: number): string => (ms >= DAY ? `${Math.floor(ms / DAY)}d` : formatDuration(ms));

const LISTED = 5;

export function outdatedSentence(probe: Extract<PackageProbeFacts, { ok: true }>): string {
  const names = probe.outdated.map((p) => p.name);
  const shown = names.slice(0, LISTED).join(', ') + (names.length > LISTED ? ` and ${names.length - LISTED} more` : '');
  const count = names.length === 1 ? '1 package has an update' : `${names.length} packages have updates`;
  return `${count} (${probe.manager}${probe.os ? `, ${probe.os}` : ''}): ${shown}`;
}
