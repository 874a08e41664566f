import { changed, ok, type StepResult } from '../../model/results.js';
import { rolloutTag } from '../../model/inventory.js';
import type { StepContext, StepHandler } from '../types.js';
import type { PruneOptions } from './pruneOptions.js';
import { servicePins } from '../../containers/servicePins.js';
import { planPrune, removalSentence, type HostContainer, type HostImage, type PrunePlan } from './planPrune.js';

const NO_NAME = '<none>';

/**
 * prune: on a container host, remove the registry's images that no container uses (any state), keeping each managed
 * container's previous image for a rollback. Images of other registries, and unnamed build layers, are never touched.
 */
export const pruneStep: StepHandler<PrunePlan, PruneOptions> = {
  kind: 'prune',

  async plan(ctx: StepContext, opts: PruneOptions): Promise<PrunePlan> {
    const registry = typeof ctx.vars.registry === 'string' ? ctx.vars.registry : undefined;
    if (!registry) throw new Error(`${ctx.host.name} has no \`registry\` variable: prune only removes that registry's images`);
    const engine = await ctx.connections.engine();
    ctx.progress('Listing images and containers');
    const [images, containers, pins] = await Promise.all([engine.listImages(), engine.listContainers(), servicePins(engine)]);
    return planPrune({
      host: ctx.host.name,
      registry,
      rolloutTag: rolloutTag(ctx.vars),
      repositories: opts.repositories,
      keepPrevious: opts.keepPrevious,
      servicePins: pins,
      images: images.map((i): HostImage => ({
        id: i.Id,
        tags: (i.RepoTags ?? []).filter((t) => !t.startsWith(NO_NAME)),
        digests: (i.RepoDigests ?? []).filter((d) => !d.startsWith(NO_NAME)),
        created: i.Created,
        size: i.Size,
      })),
      containers: containers.map((c): HostContainer => ({
        name: (c.Names?.[0] ?? c.Id.slice(0, 12)).replace(/^\//, ''),
        imageId: c.ImageID,
        configImage: c.Image,
        state: c.State,
        ...(c.Labels?.['com.docker.swarm.service.name'] !== undefined ? { swarmService: c.Labels['com.docker.swarm.service.name'] } : {}),
      })),
    });
  },

  changes: (plan) => plan.removals.map((r) => removalSentence(plan.host, r, false)),

  notes: (plan) => plan.kept,

  async apply(ctx: StepContext, plan: PrunePlan): Promise<StepResult> {
    const engine = await ctx.connections.engine();
    const actions: string[] = [];
    const notes = [...plan.kept];
    for (const removal of plan.removals) {
      ctx.progress(`Removing ${removal.name}`);
      try {
        // Untag each name first: removing an ID with several names needs force, and force is what prune must never use.
        for (const tag of removal.tags) await engine.removeImage(tag);
        await engine.removeImage(removal.id);
        actions.push(removalSentence(plan.host, removal, true));
      } catch (error) {
        // A container started on it since the plan (409 conflict): it is in use now, so it stays.
        if ((error as { statusCode?: number }).statusCode === 409) notes.push(`Kept ${removal.name} on ${plan.host}: in use since the plan`);
        else throw error;
      }
    }
    return actions.length > 0 ? changed(actions, notes) : ok(notes);
  },
};
