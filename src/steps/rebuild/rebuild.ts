import { UnreachableError, errorMessage } from '../../adapters/errors.js';
import { formatDuration } from '../../model/duration.js';
import { changed, failed, ok } from '../../model/results.js';
import type { ManagedImage } from '../../images/managedImage.js';
import type { BuiltImage } from '../../images/builtImage.js';
import { buildOne } from './buildOne.js';
import { chooseDatestampTag } from '../datestampTags.js';
import { LocalTagIndex } from '../../images/localTagIndex.js';
import type { RebuildOptions } from '../imageOptions.js';
import { builtSentence, identicalSentence, packagesChangedNote, plannedBuildSentence } from '../../images/imageSentences.js';
import type { PackageChanges, RebuildDetails } from '../../model/stepDetails.js';
import type { StepContext, StepHandler } from '../types.js';

/** One image rebuild would build, in build order. */
export interface PlannedBuild {
  image: ManagedImage;
  /** The datestamp reference the build would get if it ran now. */
  dateRef: string;
}

export interface RebuildPlan {
  options: RebuildOptions;
  builds: PlannedBuild[];
  /** Every managed repository of the tree (an in-tree base not rebuilt is pulled fresh). */
  tree: string[];
}

/** Builds the images discover found stale, bases first, with no cache and provenance labels; tags each with a datestamp. */
export const rebuildStep: StepHandler<RebuildPlan, RebuildOptions> = {
  kind: 'rebuild',

  async plan(ctx: StepContext, opts: RebuildOptions): Promise<RebuildPlan> {
    const images = ctx.facts.images;
    if (!images) throw new Error('rebuild needs a discover step before it on this host');
    const registry = ctx.connections.registry();
    const stale = images.filter((i) => i.stale);
    // One listing of the build host's images for the whole plan, however many images are stale.
    const local = stale.length > 0 ? new LocalTagIndex(await (await ctx.connections.engine()).listImages()) : undefined;
    const now = new Date();
    const builds: PlannedBuild[] = [];
    for (const image of stale) {
      const localTags = local?.tagsOf(`${registry.name}/${image.repository}`);
      const tag = await chooseDatestampTag({ registry, ...(localTags ? { localTags } : {}), repository: image.repository, when: now, format: opts.dateFormat });
      builds.push({ image, dateRef: `${registry.name}/${image.repository}:${tag}` });
    }
    return { options: opts, builds, tree: images.map((i) => i.repository) };
  },

  changes: (plan) => plan.builds.map((b) => plannedBuildSentence(b.image, b.dateRef)),

  // `sbom: ''`: every build gets an SBOM for push to attach (its text is not known yet).
  planned: (plan) => ({
    built: plan.builds.map((b) => ({ repository: b.image.repository, ref: b.image.ref, dateRef: b.dateRef, planned: true, sbom: '' })),
  }),

  async apply(ctx, plan) {
    const engine = await ctx.connections.engine();
    const registry = ctx.connections.registry();
    const built: BuiltImage[] = [];
    const builtRepos = new Set<string>();
    const rebuiltRefs = new Set<string>();
    const notBuilt = new Set<string>();
    const actions: string[] = [];
    const notes: string[] = [];
    const failures: string[] = [];
    const identical: string[] = [];
    const packageChangesByRef: Record<string, PackageChanges> = {};
    // One listing for the whole apply; each build adds the tags it makes.
    const localTags = plan.builds.length > 0 ? new LocalTagIndex(await engine.listImages()) : new LocalTagIndex([]);

    for (const { image } of plan.builds) {
      const failedBase = image.dependsOn.find((dep) => notBuilt.has(dep));
      if (failedBase !== undefined) {
        notBuilt.add(image.repository);
        notes.push(`Not built ${image.ref}: its base ${failedBase} was not built`);
        continue;
      }
      const timeout = AbortSignal.timeout(plan.options.timeoutMs);
      const signal = AbortSignal.any([ctx.signal, timeout]);
      ctx.progress(`Building ${image.ref} (${image.reasons.join(', ')})`);
      let result;
      try {
        result = await buildOne(
          {
            repository: image.repository,
            dir: image.dir,
            ref: image.ref,
            tag: image.tag,
            buildArgs: { ...image.buildArgs, ...plan.options.buildArgs },
            noCache: plan.options.noCache,
            pull: plan.options.pull,
            dateFormat: plan.options.dateFormat,
            ...(plan.options.network ? { network: plan.options.network } : {}),
            skipIdentical: plan.options.skipIdentical,
            ...(image.followsPinnedBases ? { followPinnedBases: true } : {}),
          },
          {
            engine,
            registry,
            connections: ctx.connections,
            tree: new Set(plan.tree),
            builtThisRun: builtRepos,
            localTags,
            files: ctx.files,
            signal,
            progress: ctx.progress,
          },
        );
      } catch (error) {
        if (error instanceof UnreachableError) throw error;
        const reason = timeout.aborted ? `timed out after ${formatDuration(plan.options.timeoutMs)}` : ctx.signal.aborted ? 'interrupted' : errorMessage(error);
        result = { ok: false as const, reason };
      }
      if (!result.ok) {
        notBuilt.add(image.repository);
        failures.push(`Building ${image.ref} failed: ${result.reason}`);
        continue;
      }
      if (result.identical) {
        identical.push(image.ref);
        notes.push(identicalSentence(image.ref, result.prodImageId));
        continue;
      }
      actions.push(builtSentence(image, result.imageId, result.dateRef, rebuiltRefs));
      if (result.baseChanges !== undefined) notes.push(`Bases of ${image.ref}, against the build it replaces: ${result.baseChanges.join('; ')}`);
      if (result.changes !== undefined) {
        packageChangesByRef[image.ref] = result.changes;
        notes.push(packagesChangedNote(image.ref, result.changes));
      }
      built.push({
        repository: image.repository,
        ref: image.ref,
        dateRef: result.dateRef,
        imageId: result.imageId,
        planned: false,
        ...(result.sbom ? { sbom: result.sbom } : {}),
      });
      builtRepos.add(image.repository);
      rebuiltRefs.add(image.ref);
    }

    // In place of this step's announced builds (those it found identical are gone); a patch step's stay.
    const facts = { built, builtReplacing: plan.builds.map((b) => b.image.repository) };
    const found: RebuildDetails = {
      ...(built.length > 0 ? { rebuilt: built.map((image) => image.ref) } : {}),
      ...(identical.length > 0 ? { identical } : {}),
      ...(Object.keys(packageChangesByRef).length > 0 ? { changes: packageChangesByRef } : {}),
    };
    const details = Object.keys(found).length > 0 ? { details: found } : {};
    if (failures.length > 0) return { ...failed(failures.join('\n\n'), 'build-failed', actions, notes), ...details, facts };
    // Only identical rebuilds: nothing new exists anywhere, so the step is ok.
    if (actions.length === 0) return { ...ok(notes), ...details, facts };
    return { ...changed(actions, notes), ...details, facts };
  },
};
