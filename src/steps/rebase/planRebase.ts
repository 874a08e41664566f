import { UnreachableError, errorMessage } from '../../adapters/errors.js';
import type { RegistryClient } from '../../adapters/types.js';
import { join } from 'node:path';
import { parseDockerfile } from '../../images/dockerfile.js';
import { datestampFormatOf } from '../../images/datestamp.js';
import { LABEL_BASES, LABEL_BASE_NAME, basesLabel, readProvenance } from '../../images/provenance.js';
import { LABEL_PACKAGES, LABEL_PACKAGE_LIST, encodePackageList, manifestDigest, packageChanges, type PackageChanges } from '../../images/packages.js';
import type { ManagedImage } from '../../images/managedImage.js';
import { rolloutTag } from '../../model/inventory.js';
import { parseImageRef } from '../../model/imageRef.js';
import type { BasePackages } from '../../rebase/basePackages.js';
import { globMatcher } from '../../shared/glob.js';
import { chooseDatestampTag } from '../datestampTags.js';
import type { StepContext } from '../types.js';
import { checkRebase, type LayerListings, type RebaseCheck } from './check.js';
import type { RebaseOptions } from './rebaseOptions.js';

/** One image the plan rebases: everything apply needs, read and checked. */
export interface PlannedRebase {
  repository: string;
  /** The rollout tag and the datestamp tag the rebased image gets, and their references. */
  tag: string;
  ref: string;
  dateTag: string;
  dateRef: string;
  /** The manifest the rollout tag names now: apply refuses when the tag moved since. */
  prodDigest: string;
  base: { ref: string; repository: string; reference: string; oldId: string };
  check: Extract<RebaseCheck, { ok: true }>;
  /** The labels the rebased config gets besides splice's own (provenance of the new base, its package list). */
  labels: Record<string, string | null>;
  changes?: PackageChanges;
}

/** Each image looked at, and what became of it. */
export interface RebaseVerdict {
  repository: string;
  action: 'rebase' | 'refused' | 'fresh';
  reason: string;
}

export interface RebasePlan {
  rebases: PlannedRebase[];
  verdicts: RebaseVerdict[];
  /** discover's images on this host as the plan found them (the plan's facts mark the rebased fresh; apply, those it wrote). */
  discovered?: readonly ManagedImage[];
}

/** `images` with those of `rebased` no longer stale, so a rebuild later in the play leaves them. */
export const markRebased = (images: readonly ManagedImage[], rebased: ReadonlySet<string>): ManagedImage[] =>
  images.map((image) =>
    rebased.has(image.repository) ? { ...image, stale: false, reasons: [], explanations: [`rebased onto the new ${image.finalBase ?? 'base'}`] } : image,
  );

/** Staleness a rebase answers: only the final base changed. Anything else needs a build (or a patch). */
const REBASE_REASONS = new Set(['base-changed']);

/** The images to look at: the globs' repositories in the registry, else the stale images discover found. */
async function candidates(ctx: StepContext, options: RebaseOptions, registry: RegistryClient): Promise<{ repositories: string[]; verdicts: RebaseVerdict[] }> {
  if (options.images !== undefined) return { repositories: (await registry.catalog()).filter(globMatcher(options.images)).sort(), verdicts: [] };
  const images = ctx.facts.images;
  if (images === undefined) throw new Error('rebase needs a discover step before it on this host, or the images option');
  const verdicts: RebaseVerdict[] = [];
  const repositories: string[] = [];
  for (const image of images.filter((i) => i.stale)) {
    const other = image.reasons.filter((r) => !REBASE_REASONS.has(r));
    const refused = (reason: string) => verdicts.push({ repository: image.repository, action: 'refused', reason });
    if (other.length > 0) refused(`stale for ${other.join(', ')}, which a rebase does not answer`);
    else {
      const stages = await stagesOf(ctx, image);
      // What an earlier stage made from the old base (compiled, linked, copied) is in the final layers under paths of its
      // own, so the check cannot tie it to what the base changed.
      if (stages === undefined) refused(`its Dockerfile does not parse, so its stages cannot be counted`);
      else if (stages > 1) refused(`it is built in ${stages} stages, and what an earlier stage made from the old base cannot be judged by path: rebuild it`);
      else repositories.push(image.repository);
    }
  }
  return { repositories, verdicts };
}

/** How many stages the image's Dockerfile has (as discover read it, with its build arguments). */
async function stagesOf(ctx: StepContext, image: ManagedImage): Promise<number | undefined> {
  const parsed = parseDockerfile(await ctx.files.readText(join(image.dir, 'Dockerfile')), image.buildArgs ?? {});
  return parsed.ok ? parsed.value.stages.length : undefined;
}

/** Whether and how `repository`'s image under the rollout tag is rebased. */
async function judge(ctx: StepContext, registry: RegistryClient, repository: string, listings: LayerListings): Promise<PlannedRebase | RebaseVerdict> {
  const tag = rolloutTag(ctx.vars);
  const refused = (reason: string): RebaseVerdict => ({ repository, action: 'refused', reason });
  const image = await registry.imageConfig(repository, tag);
  if (image === undefined) return refused(`${registry.name}/${repository}:${tag} is not in the registry`);
  if (image.referenceDigest !== image.manifestDigest)
    return refused('a multi-platform image (an index) is not rebased: one platform at a time is not built yet');
  const labels = image.config.config?.Labels ?? {};
  const provenance = readProvenance(labels);
  if (!provenance.ok) return refused(`it ${provenance.problem}, so the base it was built on is unknown`);
  const finalBase = labels[LABEL_BASE_NAME];
  if (finalBase === undefined || provenance.value.bases[finalBase] === undefined) return refused(`its ${LABEL_BASE_NAME} label names no base it records`);
  const changed: string[] = [];
  for (const [ref, id] of Object.entries(provenance.value.bases)) {
    const parsed = parseImageRef(ref);
    if (parsed.registry !== registry.name) {
      return refused(
        ref === finalBase
          ? `its base ${ref} is not in registry ${registry.name}, where a rebase mounts the new base's layers from`
          : `its build-stage base ${ref} is not in registry ${registry.name}, so a rebase cannot show it unchanged`,
      );
    }
    const now = await registry.imageConfig(parsed.repository, parsed.digest ?? parsed.tag ?? 'latest');
    if (now === undefined) return refused(`its base ${ref} is not in the registry`);
    if (now.configDigest !== id) changed.push(ref);
  }
  if (changed.length === 0) return { repository, action: 'fresh', reason: `its base ${finalBase} is the one it was built on` };
  const stage = changed.find((ref) => ref !== finalBase);
  if (stage !== undefined) return refused(`its build-stage base ${stage} changed, so what its stages made may differ: rebuild it`);

  const base = parseImageRef(finalBase);
  const reference = base.digest ?? base.tag ?? 'latest';
  ctx.progress(`Checking whether ${repository} can move onto ${finalBase}`);
  const oldId = provenance.value.bases[finalBase]!;
  const check = await checkRebase(
    registry,
    { repository, reference: image.manifestDigest },
    base.repository,
    oldId,
    { repository: base.repository, reference },
    ctx.signal,
    listings,
  );
  if (!check.ok) return refused(check.reason);
  const dateTag = await chooseDatestampTag({ registry, repository, when: new Date(ctx.now()), format: datestampFormatOf(ctx.vars).pattern });
  const changes = packageChangesOf(check.packages);
  return {
    repository,
    tag,
    ref: `${registry.name}/${repository}:${tag}`,
    dateTag,
    dateRef: `${registry.name}/${repository}:${dateTag}`,
    prodDigest: image.manifestDigest,
    base: { ref: finalBase, repository: base.repository, reference, oldId },
    check,
    labels: { [LABEL_BASES]: basesLabel({ ...provenance.value.bases, [finalBase]: check.newBaseId }), ...packageLabels(check.packages.newBase) },
    ...(changes !== undefined ? { changes } : {}),
  };
}

/** The package labels of the rebased image: its new base's list (its own layers cannot change it); unknown for rpm, so none. */
function packageLabels(packages: BasePackages): Record<string, string | null> {
  if (packages.lines !== undefined) return { [LABEL_PACKAGES]: manifestDigest(packages.lines), [LABEL_PACKAGE_LIST]: encodePackageList(packages.lines) };
  if (packages.database === undefined) return { [LABEL_PACKAGES]: manifestDigest(undefined), [LABEL_PACKAGE_LIST]: null };
  return { [LABEL_PACKAGES]: null, [LABEL_PACKAGE_LIST]: null };
}

function packageChangesOf(packages: { oldBase: BasePackages; newBase: BasePackages }): PackageChanges | undefined {
  const { oldBase, newBase } = packages;
  return oldBase.lines !== undefined && newBase.lines !== undefined ? packageChanges(oldBase.lines, newBase.lines) : undefined;
}

/** Looks at every candidate, one at a time (each check streams the bases' layers), and plans the rebases that are safe. */
export async function planRebase(ctx: StepContext, options: RebaseOptions): Promise<RebasePlan> {
  const registry = ctx.connections.registry();
  const { repositories, verdicts } = await candidates(ctx, options, registry);
  const rebases: PlannedRebase[] = [];
  const listings: LayerListings = new Map();
  for (const repository of repositories) {
    let judged: PlannedRebase | RebaseVerdict;
    try {
      judged = await judge(ctx, registry, repository, listings);
    } catch (error) {
      // A registry that stops answering ends the host's run; a layer it serves wrong refuses only this image.
      if (error instanceof UnreachableError || ctx.signal.aborted) throw error;
      judged = { repository, action: 'refused', reason: errorMessage(error) };
    }
    if ('action' in judged) verdicts.push(judged);
    else {
      rebases.push(judged);
      verdicts.push({ repository, action: 'rebase', reason: `only its base ${judged.base.ref} changed, and its own layers do not touch what changed` });
    }
  }
  const discovered = ctx.facts.images;
  return { rebases, verdicts: verdicts.sort((a, b) => a.repository.localeCompare(b.repository)), ...(discovered !== undefined ? { discovered } : {}) };
}
