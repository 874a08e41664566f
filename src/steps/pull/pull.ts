import type { Engine } from '../../adapters/engine.js';
import { errorMessage } from '../../adapters/errors.js';
import { parseImageRef, repoDigestOf, shortDigest } from '../../model/imageRef.js';
import { registrySettings, rolloutTag, type RegistrySettings } from '../../model/inventory.js';
import { changed, failed, type ImageDiff } from '../../model/results.js';
import type { PullDetails } from '../../model/stepDetails.js';
import { isParkedName, leftAloneNote, managedImageRefs, parkedNote, selectManagedContainers } from '../../containers/managed.js';
import { containerName, type ContainerInspect } from '../../containers/types.js';
import type { PulledImage } from '../../images/pulledImage.js';
import type { StepContext, StepHandler } from '../types.js';
import { buildWait } from '../buildCooldown.js';
import type { PullOptions } from './pullOptions.js';
import { stageHold, type StageHold } from './stageHold.js';

/** One managed image reference that differs from what the registry serves (or that a planned push will change). */
export interface PullItem {
  /** `REGISTRY/REPO:TAG`. */
  ref: string;
  /** The registry's manifest digest; undefined when only a planned push makes it change. */
  remoteDigest?: string;
  /** What the engine has now: the manifest digest it was pulled by, else its image ID. */
  was?: string;
}

/** What pull would do on one host. */
export interface PullPlan {
  registry?: RegistrySettings;
  items: PullItem[];
  /** References a stage host keeps on its containers' build, because it rolled back the one the tag names. */
  holds: StageHold[];
  notes: string[];
  /** For `--diff`: every managed container's image now and after this pull, and whether `stop`/`start` will replace it. */
  diff?: ImageDiff[];
  /** What `freshen status` lists of the host's other containers: unmanaged, left alone, parked. */
  found?: PullDetails;
}

const wouldPull = (item: PullItem): string =>
  item.remoteDigest === undefined
    ? `Pull ${item.ref} (a new version is planned by push)`
    : `Pull ${item.ref}@${item.remoteDigest} (was ${item.was ?? 'not present'})`;

const wouldRetag = (hold: StageHold): string =>
  `Tag ${hold.ref} back to ${shortDigest(hold.imageId)}, the build its containers run (this host rolled back the build the tag names)`;

/** True when the registry's image of `tag` for the engine's platform is the local image `localId` (config digest or, on a
 * containerd image store, manifest digest). */
async function samePlatformImage(ctx: StepContext, engine: Engine, repository: string, tag: string, localId: string): Promise<boolean> {
  const image = await ctx.connections.registry().imageConfig(repository, tag, await engine.platform());
  return image !== undefined && (image.configDigest === localId || image.manifestDigest === localId);
}

/**
 * `pull`: for each image reference the host's managed containers use, ask the registry for its digest (HEAD) and pull only what
 * differs from the local image. Containers are not touched; `stop` and `start` roll the new images out.
 */
export const pullStep: StepHandler<PullPlan, PullOptions> = {
  kind: 'pull',

  async plan(ctx, options) {
    const registry = registrySettings(ctx.vars);
    if (!registry) {
      return { items: [], holds: [], notes: ['No `registry` variable for this host: no managed containers.'] };
    }
    const tag = rolloutTag(ctx.vars);
    const engine = await ctx.connections.engine();
    const containers = await engine.inspectAllContainers();
    const { managed, ignored } = selectManagedContainers(containers, { registry: registry.name, tag });
    const notes = ignored.map((c) => leftAloneNote(c.name, c.reason));
    // Left by a run that was interrupted between stop and start; pull does not touch it, start settles it.
    const parked = containers.map(containerName).filter(isParkedName);
    notes.push(...parked.map(parkedNote));
    const items: PullItem[] = [];
    const holds: StageHold[] = [];
    const after = new Map<string, string | undefined>();
    for (const ref of managedImageRefs(managed)) {
      ctx.progress(`checking ${ref}`);
      const { repository } = parseImageRef(ref);
      const remoteDigest = await ctx.connections.registry().manifestDigest(repository, tag);
      const local = await engine.localImage(ref);
      const localDigests = (local?.RepoDigests ?? []).filter((d) => d.startsWith(`${registry.name}/${repository}@`));
      const was = localDigests[0]?.split('@')[1] ?? local?.Id;
      after.set(ref, ctx.run.pushes.isPlanned(ref) ? undefined : (remoteDigest ?? was));
      const hold =
        remoteDigest === undefined || ctx.run.pushes.isPlanned(ref) ? undefined : await stageHold(ctx, ref, repository, remoteDigest, local?.Id, managed);
      if (hold !== undefined) {
        holds.push(hold);
        notes.push(hold.note);
        after.set(ref, hold.imageId);
      } else if (ctx.run.pushes.isPlanned(ref)) {
        items.push({ ref, was });
      } else if (remoteDigest === undefined) {
        notes.push(`${ref} is not in the registry; its containers keep their image.`);
      } else if (localDigests.includes(`${registry.name}/${repository}@${remoteDigest}`)) {
        notes.push(`${ref} is up to date (${shortDigest(remoteDigest)}).`);
      } else if (local !== undefined && (await samePlatformImage(ctx, engine, repository, tag, local.Id))) {
        // A multi-platform index whose other platforms changed: this host's image is the same, so nothing is pulled.
        notes.push(`${ref} is up to date for this host's platform (${shortDigest(local.Id)}); the index changed for other platforms only.`);
      } else {
        // A build this run pushed is the run's own: taken at once.
        const ours = ctx.run.pushes.digestOf(ref) === remoteDigest;
        const wait = ours ? undefined : await buildWait(ctx.connections.registry(), ref, repository, remoteDigest, options.cooldownMs, ctx.now(), 'pull');
        if (wait === undefined) items.push({ ref, remoteDigest, was });
        else {
          notes.push(wait.note);
          after.set(ref, was);
        }
      }
    }
    if (managed.length === 0) notes.push(`No managed containers (images ${registry.name}/…:${tag}).`);
    const seen = new Set([...managed.map(containerName), ...ignored.map((c) => c.name)]);
    const unmanaged = containers
      .filter((c) => c.Config.Image.startsWith(`${registry.name}/`) && !seen.has(containerName(c)) && !isParkedName(containerName(c)))
      .map((c) => ({ name: containerName(c), image: c.Config.Image }));
    const found: PullDetails = {
      ...(unmanaged.length > 0 ? { unmanaged } : {}),
      ...(ignored.length > 0 ? { left_alone: ignored.map(({ name, reason }) => ({ name, reason })) } : {}),
      ...(parked.length > 0 ? { parked } : {}),
    };
    return { registry, items, holds, notes, diff: await containerDiffs(engine, managed, after), found };
  },

  diff: (plan) => plan.diff ?? [],

  details: (plan) => (plan.found !== undefined && Object.keys(plan.found).length > 0 ? plan.found : undefined),

  changes: (plan) => [...plan.items.map(wouldPull), ...plan.holds.filter((h) => h.retag).map(wouldRetag)],

  // A held reference names its containers' image again, so stop leaves them, in a check run too.
  planned: (plan) => ({
    pulled: [
      ...plan.items.map((item) => ({ ref: item.ref, planned: true, ...(item.remoteDigest === undefined ? {} : { digest: item.remoteDigest }) })),
      ...plan.holds.map((hold) => ({ ref: hold.ref, imageId: hold.imageId, planned: false })),
    ],
  }),

  notes: (plan) => plan.notes,

  async apply(ctx, plan) {
    const engine = await ctx.connections.engine();
    const actions: string[] = [];
    const failures: string[] = [];
    const pulled: PulledImage[] = [];
    for (const item of plan.items) {
      ctx.progress(`pulling ${item.ref}`);
      try {
        const digest = await engine.pullImage(item.ref, await ctx.connections.engineAuth(), ctx.signal);
        const local = await engine.localImage(item.ref);
        pulled.push({ ref: item.ref, imageId: local?.Id, planned: false });
        actions.push(`Pulled ${item.ref}@${digest ?? item.remoteDigest ?? local?.Id} (was ${item.was ?? 'not present'})`);
      } catch (error) {
        failures.push(errorMessage(error));
      }
    }
    for (const hold of plan.holds) {
      try {
        if (hold.retag) {
          await engine.tagImage(hold.imageId, hold.ref);
          actions.push(wouldRetag(hold).replace(/^Tag/, 'Tagged'));
        }
        pulled.push({ ref: hold.ref, imageId: hold.imageId, planned: false });
      } catch (error) {
        failures.push(errorMessage(error));
      }
    }
    const result = failures.length > 0 ? failed(failures.join('; '), 'pull-failed', actions, plan.notes) : changed(actions, plan.notes);
    return { ...result, facts: { pulled } };
  },
};

/** Each managed container's image (manifest digest when the engine knows it, else image ID) now and after the pull. */
async function containerDiffs(engine: Engine, managed: ContainerInspect[], after: Map<string, string | undefined>): Promise<ImageDiff[]> {
  const digestOf = new Map<string, string>();
  const diffs: ImageDiff[] = [];
  for (const container of managed) {
    const ref = container.Config.Image;
    if (!digestOf.has(container.Image)) {
      const repoDigest = repoDigestOf((await engine.localImage(container.Image))?.RepoDigests, ref);
      digestOf.set(container.Image, repoDigest ?? container.Image);
    }
    const before = digestOf.get(container.Image)!;
    const next = after.get(ref);
    diffs.push({ container: containerName(container), ref, before, after: next, replace: next === undefined || (next !== before && next !== container.Image) });
  }
  return diffs;
}
