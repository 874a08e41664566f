import { cooldownWait, type CooldownWait } from '../stages/cooldown.js';
import { gunzipSync, gzipSync } from 'node:zlib';
import type { PackageProbeFacts } from './managedImage.js';
import { APT_UPDATE, type PackageChanges, type PackageDatabase } from './packages.js';
import { LABEL_BASE_DIGEST, LABEL_BASE_NAME, LABEL_CREATED } from './provenance.js';
import { outdatedSentence, shownAge } from './staleness.js';
import { shortDigest } from '../model/imageRef.js';

// The pure half of `patch`: the upgrade each package manager runs, the image config a patch gets, and when a patch is stale.

/** The original upstream image's ID (config digest) a patch was made from: staleness compares it, never an earlier patch. */
export const LABEL_PATCH_UPSTREAM = 'org.freshen.patch.upstream';
/** What the patch changed against the original, as gzip+base64 JSON of PackageChanges. */
export const LABEL_PATCH_CHANGES = 'org.freshen.patch.changes';

/** The upgrade, as a POSIX shell script run as root; the index and caches it fetches are removed so the layer holds packages only. */
export function upgradeScript(database: PackageDatabase, securityOnly: boolean): string {
  switch (database) {
    case 'dpkg':
      return [
        'set -e',
        'export LC_ALL=C DEBIAN_FRONTEND=noninteractive',
        ...APT_UPDATE,
        securityOnly
          ? // Only what a -security suite offers: the upgrades apt would make, filtered by the suite they come from.
            'pkgs=$(apt-get -s -o Debug::NoLocking=1 upgrade | awk \'/^Inst / && /-security/ {print $2}\'); [ -z "$pkgs" ] || apt-get -y -q -o Dpkg::Options::=--force-confold install --only-upgrade $pkgs'
          : 'apt-get -y -q -o Dpkg::Options::=--force-confold upgrade',
        'apt-get clean',
        'rm -rf /var/lib/apt/lists/* /var/cache/debconf/*-old /var/lib/dpkg/*-old',
      ].join('\n');
    case 'rpm':
      return [
        'set -e',
        'if command -v dnf >/dev/null 2>&1; then pm=dnf; else pm=yum; fi',
        `$pm -y -q upgrade${securityOnly ? ' --security' : ''}`,
        '$pm clean all',
        'rm -rf /var/cache/dnf /var/cache/yum',
      ].join('\n');
    case 'apk':
      return ['set -e', 'apk upgrade --no-cache -q'].join('\n');
    default: {
      const unexpected: never = database;
      throw new Error(`unknown package database ${String(unexpected)}`);
    }
  }
}

/** What the patched image's config records besides the original's own. */
export interface PatchConfigInput {
  layerDiffId: string;
  created: Date;
  /** Labels added to (or over) the original's. */
  labels: Record<string, string>;
  /** The history entry of the patch layer. */
  createdBy: string;
}

type Json = Record<string, unknown>;

/**
 * The patched image's config: the original's, with only these changes: its labels gain `labels`, the patch layer's diff ID
 * and history entry are appended, and `created` is the patch's. Every other field, in `config` and outside it, is the
 * original's bytes re-serialised (key order kept), so entrypoint, cmd, env, user, healthcheck and the rest survive exactly.
 */
export function patchedConfig(original: Buffer, input: PatchConfigInput): Buffer {
  const config = JSON.parse(original.toString('utf8')) as Json;
  const inner = (config.config ?? {}) as Json;
  const labels = { ...((inner.Labels as Record<string, string> | null | undefined) ?? {}), ...input.labels };
  config.config = { ...inner, Labels: labels };
  const rootfs = (config.rootfs ?? { type: 'layers', diff_ids: [] }) as { type: string; diff_ids: string[] };
  config.rootfs = { ...rootfs, diff_ids: [...rootfs.diff_ids, input.layerDiffId] };
  const created = input.created.toISOString();
  config.history = [
    ...((config.history as unknown[] | undefined) ?? []),
    { created, created_by: input.createdBy, comment: 'freshen patch: one layer on the original' },
  ];
  config.created = created;
  return Buffer.from(JSON.stringify(config));
}

/** An image config's `config` object without its labels: what a patch must leave exactly as the original had it. */
export function configBesidesLabels(config: Json): Json {
  const { Labels: _labels, ...rest } = (config.config ?? {}) as Json;
  return rest;
}

/** The labels of a patch: provenance, the OCI base pair, the creation time. */
export function patchLabels(input: {
  upstreamRef: string;
  upstreamId: string;
  upstreamDigest?: string;
  created: Date;
  changes: PackageChanges;
}): Record<string, string> {
  return {
    [LABEL_PATCH_UPSTREAM]: input.upstreamId,
    [LABEL_PATCH_CHANGES]: gzipSync(Buffer.from(JSON.stringify(input.changes)), { level: 9 }).toString('base64'),
    [LABEL_BASE_NAME]: input.upstreamRef,
    // Empty when unknown, never the original's own inherited value (that names the original's base, not the original).
    [LABEL_BASE_DIGEST]: input.upstreamDigest ?? '',
    [LABEL_CREATED]: input.created.toISOString(),
  };
}

/** A patch's changes label; undefined when it is not one (labels are a peer's text). */
export function readPatchChanges(value: string | undefined): PackageChanges | undefined {
  if (value === undefined) return undefined;
  try {
    const parsed = JSON.parse(gunzipSync(Buffer.from(value, 'base64'), { maxOutputLength: 4 << 20 }).toString('utf8')) as PackageChanges;
    const ok = Array.isArray(parsed.changed) && Array.isArray(parsed.added) && Array.isArray(parsed.removed);
    return ok ? parsed : undefined;
  } catch {
    return undefined;
  }
}

/** Why a patch must be made again. */
export type PatchReason = 'unpublished' | 'not-a-patch' | 'upstream-changed' | 'packages-outdated' | 'max-age';

/** What the verdict needs to know of one patched image. */
export interface PatchFacts {
  /** `registry/repository:tag` of the patch. */
  ref: string;
  upstreamRef: string;
  /** The upstream's current image ID; undefined when the upstream is missing. */
  upstreamId?: string;
  /** Labels of what the rollout tag names now; undefined when unpublished. */
  prodLabels?: Readonly<Record<string, string>>;
  /** When prod was made (its `org.opencontainers.image.created`, else the config's). */
  created?: string;
  packages?: PackageProbeFacts;
  maxAgeMs?: number;
  now: Date;
  /** patch's `cooldown`, and when the upstream's current image was created: a younger upstream is not yet a reason. */
  cooldownMs?: number;
  upstreamCreated?: string;
}

export interface PatchVerdict {
  stale: boolean;
  reasons: PatchReason[];
  explanations: string[];
  notes: string[];
  /** When the upstream change the cooldown holds back becomes a reason (ms since the epoch); until then a patch made for another reason stays on the upstream prod was patched from. */
  waitingUntil?: number;
}

const short = (digest: string): string => `${shortDigest(digest)}…`;

/** Whether to patch again, and why, in a fixed order of reasons. */
export function patchVerdict(facts: PatchFacts): PatchVerdict {
  const found: Array<[PatchReason, string]> = [];
  const notes: string[] = [];
  let wait: CooldownWait | undefined;
  const labels = facts.prodLabels;
  const recorded = labels?.[LABEL_PATCH_UPSTREAM];
  if (labels === undefined) found.push(['unpublished', `${facts.ref} is not published yet`]);
  else if (recorded === undefined) found.push(['not-a-patch', `${facts.ref} records no upstream (${LABEL_PATCH_UPSTREAM}): it was not made by patch`]);
  else if (facts.upstreamId !== undefined && recorded !== facts.upstreamId) {
    const changed = `upstream ${facts.upstreamRef} changed: patched from ${short(recorded)}, it is now ${short(facts.upstreamId)}`;
    wait = cooldownWait(changed, facts.upstreamCreated, facts.cooldownMs, facts.now.getTime(), 'patch');
    if (wait === undefined) found.push(['upstream-changed', changed]);
    else notes.push(wait.note);
  }
  if (labels !== undefined && facts.packages?.ok && facts.packages.outdated.length > 0) found.push(['packages-outdated', outdatedSentence(facts.packages)]);
  else if (facts.packages && !facts.packages.ok) notes.push(`packages cannot be checked: ${facts.packages.problem}`);
  const created = facts.created !== undefined ? Date.parse(facts.created) : Number.NaN;
  const age = Number.isNaN(created) ? undefined : facts.now.getTime() - created;
  if (labels !== undefined && age !== undefined && facts.maxAgeMs !== undefined && age > facts.maxAgeMs) {
    found.push(['max-age', `patched ${facts.created}, ${shownAge(age)} ago, older than max_age ${shownAge(facts.maxAgeMs)}`]);
  }
  return {
    stale: found.length > 0,
    reasons: found.map(([r]) => r),
    explanations: found.map(([, e]) => e),
    notes,
    ...(wait === undefined ? {} : { waitingUntil: wait.until }),
  };
}
