import type { RegistryClient } from '../../adapters/types.js';
import { datestampFormatOf, type DatestampFormat } from '../../images/datestamp.js';
import { rolloutTag, sshEndpoint } from '../../model/inventory.js';
import { mapLimit } from '../../shared/mapLimit.js';
import type { StepContext } from '../types.js';
import type { GcSettings } from './commands.js';
import { bytesFreedByDeleting, manifestBlobs, type BlobRef } from './estimate.js';
import { collectImagesInUse } from './inUse.js';
import type { GcOptions } from './gcOptions.js';
import { GcRefusal } from './refusal.js';
import { readManagedRepositories, type RepositoryTags } from './registryState.js';
import { planRetention, type KeptManifest, type ManifestDeletion, type RepositoryRetention } from './retention.js';
import { keptSentence, type SweepEstimate } from './gcSentences.js';
import { dryRunSweep } from './sweep.js';

/** What gc would do on one registry host. */
export interface GcPlan {
  host: string;
  /** The registry's name, the image prefix. */
  registry: string;
  options: GcOptions;
  deletions: ManifestDeletion[];
  kept: KeptManifest[];
  /** Present when a sweep would free something (or cannot be ruled out because manifests get deleted). */
  sweep?: { settings: GcSettings; estimate: SweepEstimate };
  notes: string[];
  /** Why gc does not apply to this host at all (reported `skipped`). */
  skip?: string;
}

/** Informative lines of a plan: why each expiring manifest is kept, and what could not be checked. */
export const planNotes = (plan: GcPlan): string[] => [...plan.kept.map((k) => keptSentence(plan.registry, k)), ...plan.notes];

/** Reads the registry, every Docker host's containers and the collector's dry run; changes nothing. */
export async function planGc(ctx: StepContext, options: GcOptions): Promise<GcPlan> {
  const host = ctx.host.name;
  const settings = ctx.vars.registry_gc as GcSettings | undefined;
  if (!settings) return { host, registry: '', options, deletions: [], kept: [], notes: [], skip: `${host} has no registry_gc: not a registry host` };
  const registry = ctx.connections.registry();
  const plan: GcPlan = { host, registry: registry.name, options, deletions: [], kept: [], notes: [] };
  if (options.sweep && !sshEndpoint(ctx.vars)) throw new GcRefusal(`${host} has registry_gc but no ssh settings to run it with`, 'no-ssh');

  ctx.progress(`Reading tags from ${registry.name}`);
  const repositories = await readManagedRepositories(registry, rolloutTag(ctx.vars));
  const retention = await retentionWithUse(ctx, registry, repositories, {
    keep: options.keep,
    rolloutTag: rolloutTag(ctx.vars),
    datestamps: datestampFormatOf(ctx.vars),
  });
  plan.deletions = retention.flatMap((r) => r.deletions);
  plan.kept = retention.flatMap((r) => r.kept);

  if (!options.sweep) return { ...plan, notes: ['sweep is off: deleted manifests stay on disk until the next sweep'] };
  ctx.progress(`Dry run of the collector on ${host}`);
  const findings = await dryRunSweep(await ctx.connections.ssh(), settings, ctx.signal);
  plan.notes.push(...findings.notes);
  const eligibleBlobs = findings.report?.blobs.length ?? 0;
  const eligibleManifests = findings.report?.manifests.length ?? 0;
  if (plan.deletions.length === 0 && eligibleBlobs === 0 && eligibleManifests === 0) return plan;
  const deletionBytes = plan.deletions.length > 0 ? await estimateDeletionBytes(registry, repositories, retention) : 0;
  const estimate: SweepEstimate = { eligibleBlobs, eligibleManifests, eligibleBytes: findings.eligibleBytes, deletionBytes, deletions: plan.deletions.length };
  return { ...plan, sweep: { settings, estimate } };
}

/**
 * Retention first without use, then again once the expiring manifests' image IDs are compared with what every Docker host
 * runs; Docker hosts are only asked when something would expire.
 */
async function retentionWithUse(
  ctx: StepContext,
  registry: RegistryClient,
  repositories: RepositoryTags[],
  rules: { keep: number; rolloutTag: string; datestamps: DatestampFormat },
): Promise<RepositoryRetention[]> {
  const first = repositories.map((r) => planRetention({ repository: r.repository, tags: r.tags, ...rules }));
  const candidates = first.flatMap((r) => r.deletions.filter((d) => !d.referrer));
  if (candidates.length === 0) return first;
  const used = await collectImagesInUse(ctx);
  const inUse = new Map<string, string>();
  await mapLimit(candidates, 4, async ({ repository, digest }) => {
    const config = await registry.imageConfig(repository, digest);
    const uses = [...(used.manifests.get(digest) ?? []), ...((config && used.images.get(config.configDigest)) ?? [])];
    if (uses.length > 0) inUse.set(digest, uses.join('; '));
  });
  return repositories.map((r) => planRetention({ repository: r.repository, tags: r.tags, ...rules, inUse }));
}

/** Blobs only the deleted manifests reference within their repository: an upper bound (other repositories may share them). */
async function estimateDeletionBytes(registry: RegistryClient, repositories: RepositoryTags[], retention: RepositoryRetention[]): Promise<number> {
  const deleted: BlobRef[][] = [];
  const kept: BlobRef[][] = [];
  for (const r of retention) {
    if (r.deletions.length === 0) continue;
    const doomed = new Set(r.deletions.map((d) => d.digest));
    const keptDigests = [...new Set(repositories.find((x) => x.repository === r.repository)!.tags.map((t) => t.digest))].filter((d) => !doomed.has(d));
    const blobsOf = async (digest: string): Promise<BlobRef[]> => {
      const manifest = await registry.manifest(r.repository, digest);
      return manifest ? manifestBlobs(manifest) : [];
    };
    deleted.push(...(await mapLimit([...doomed], 4, blobsOf)));
    kept.push(...(await mapLimit(keptDigests, 4, blobsOf)));
  }
  return bytesFreedByDeleting(deleted, kept);
}
