import { join, resolve } from 'node:path';
import type { RegistryClient } from '../../adapters/types.js';
import { datestampFormatOf } from '../../images/datestamp.js';
import { parseImageRef } from '../../model/imageRef.js';
import { ok } from '../../model/results.js';
import { holdNote, readRollbackHolds } from '../../images/rollbackHold.js';
import type { ManagedImage } from '../../images/managedImage.js';
import { assessTree, externalBasesToLookUp, type ImageFacts } from '../../images/assess.js';
import { followPinnedBases, parseDockerfile } from '../../images/dockerfile.js';
import type { DiscoverOptions } from '../imageOptions.js';
import { probeProdImages, type ProbeTarget } from '../probeProd.js';
import { imageCreated, readProvenance } from '../../images/provenance.js';
import { discoverDetails } from '../../images/imageSentences.js';
import { walkTree } from '../../images/tree.js';
import type { StepContext, StepHandler } from '../types.js';

/** What discover found: the managed images in build order, and one note per verdict or remark. */
export interface DiscoverPlan {
  images: ManagedImage[];
  notes: string[];
}

/** Reads the tree and the registry, decides which managed images are stale and records them for rebuild. Writes nothing. */
export const discoverStep: StepHandler<DiscoverPlan, DiscoverOptions> = {
  kind: 'discover',

  async plan(ctx: StepContext, opts: DiscoverOptions): Promise<DiscoverPlan> {
    const root = resolve(ctx.playbookDir, opts.root);
    if (!(await ctx.files.isDirectory(root))) throw new Error(`discover root ${root} is not a directory`);
    const registry = ctx.connections.registry();
    ctx.progress(`Walking ${root}`);
    const walk = await walkTree(root, ctx.files);
    const notes = walk.rejected.map((r) => `ignored ${r}`);

    ctx.progress(`Asking ${registry.name} which of ${walk.images.length} images carry :${opts.tag}`);
    const prodConfigs = await Promise.all(walk.images.map((image) => registry.imageConfig(image.repository, opts.tag)));
    const candidates: ImageFacts[] = [];
    const probeTargets: ProbeTarget[] = [];
    for (const [i, image] of walk.images.entries()) {
      const config = prodConfigs[i];
      if (!config && !opts.includeUnpublished) {
        notes.push(`${image.repository}: not published (the registry has no ${registry.name}/${image.repository}:${opts.tag}), not managed`);
        continue;
      }
      const dockerfile = await ctx.files.readText(join(image.dir, 'Dockerfile'));
      const follow = opts.pinnedBases === 'follow';
      const parsed = parseDockerfile(follow ? followPinnedBases(dockerfile) : dockerfile, opts.buildArgs);
      if (!parsed.ok) throw new Error(`${join(image.dir, 'Dockerfile')}: ${parsed.error}`);
      ctx.progress(`Hashing the build context of ${image.repository}`);
      const context = await ctx.files.buildContext(image.dir, { followPinnedBases: follow });
      const labels = config?.config.config?.Labels ?? {};
      const created = imageCreated(config?.config);
      candidates.push({
        repository: image.repository,
        dir: image.dir,
        published: config !== undefined,
        ...(config ? { prodImageId: config.configDigest, provenance: readProvenance(labels) } : {}),
        bases: parsed.value.bases,
        finalBase: parsed.value.finalBase,
        contextDigest: context.digest,
        ...(created !== undefined ? { created } : {}),
      });
      const ref = `${registry.name}/${image.repository}:${opts.tag}`;
      if (config && opts.probe) probeTargets.push({ repository: image.repository, ref, manifestDigest: config.manifestDigest, labels });
    }
    const probes = opts.probe ? await probeProdImages(ctx, probeTargets, opts.probe) : new Map();
    for (const candidate of candidates) {
      const found = probes.get(candidate.repository);
      if (found) candidate.packages = found;
    }

    const baseCreated = new Map<string, string>();
    const assess = async (images: ImageFacts[], known: Map<string, string | undefined>) => {
      const tree = new Set(images.map((c) => c.repository));
      const refs = externalBasesToLookUp(images, registry.name, opts.tag, tree).filter((ref) => !known.has(ref));
      const looked = await lookUpBases(registry, refs);
      for (const [ref, found] of looked) if (found.created !== undefined) baseCreated.set(ref, found.created);
      const baseIds = new Map([...known, ...[...looked].map(([ref, found]) => [ref, found.id] as const)]);
      const assessment = assessTree({
        registry: registry.name,
        tag: opts.tag,
        force: opts.force,
        buildArgs: opts.buildArgs,
        images,
        baseIds,
        ...(opts.maxAgeMs !== undefined || opts.cooldownMs !== undefined ? { now: new Date(ctx.now()) } : {}),
        ...(opts.maxAgeMs !== undefined ? { maxAgeMs: opts.maxAgeMs } : {}),
        ...(opts.cooldownMs !== undefined ? { cooldownMs: opts.cooldownMs, baseCreated } : {}),
      });
      if (!assessment.ok) throw new Error(assessment.error);
      return { assessment, baseIds };
    };
    const first = await assess(candidates, new Map());
    // A rolled-back repository stays out of the tree: not rebuilt, and its dependents compare with what it serves now. Only
    // one that would be rebuilt can be held, so the daily run that finds nothing stale asks nothing more.
    const published = new Set(candidates.filter((c) => c.published).map((c) => c.repository));
    const wouldRebuild = first.assessment.images.filter((i) => i.stale && published.has(i.repository)).map((i) => i.repository);
    const rolloutDigests = new Map(walk.images.flatMap((image, i) => (prodConfigs[i] ? [[image.repository, prodConfigs[i].referenceDigest] as const] : [])));
    const holds = await readRollbackHolds(registry, wouldRebuild, opts.tag, opts.force, datestampFormatOf(ctx.vars), rolloutDigests);
    for (const hold of holds.values()) notes.push(holdNote(hold));
    const { assessment } =
      holds.size === 0
        ? first
        : await assess(
            candidates.filter((c) => !holds.has(c.repository)),
            first.baseIds,
          );
    if (assessment.images.length === 0) notes.push(`no managed images below ${root}`);
    const images = opts.pinnedBases === 'follow' ? assessment.images.map((image) => ({ ...image, followsPinnedBases: true as const })) : assessment.images;
    return { images, notes: [...notes, ...assessment.notes] };
  },

  changes: () => [],

  planned: (plan) => ({ images: plan.images }),

  notes: (plan) => plan.notes,

  details: (plan) => discoverDetails(plan.images),

  async apply(_ctx, plan) {
    return { ...ok(plan.notes), details: discoverDetails(plan.images) };
  },
};

/**
 * The registry's current image of each base reference: its ID (undefined when the registry lacks it) and when it was made
 * (`org.opencontainers.image.created`, else the config's `created`), which the cooldown judges.
 */
async function lookUpBases(registry: RegistryClient, refs: string[]): Promise<Map<string, { id?: string; created?: string }>> {
  const found = await Promise.all(
    refs.map(async (ref) => {
      const parsed = parseImageRef(ref);
      const config = await registry.imageConfig(parsed.repository, parsed.digest ?? parsed.tag ?? 'latest');
      const created = imageCreated(config?.config);
      return [ref, { ...(config ? { id: config.configDigest } : {}), ...(created !== undefined ? { created } : {}) }] as const;
    }),
  );
  return new Map(found);
}
