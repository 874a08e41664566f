import { formatDuration } from '../../model/duration.js';
import { shortDigest } from '../../model/imageRef.js';
import { registrySettings, rolloutTag, type DockerEndpoint } from '../../model/inventory.js';
import { changed } from '../../model/results.js';
import { isManagedImage, isParkedName, originalName, parkedName, selectManagedContainers, spareName } from '../../containers/managed.js';
import type { GuardedContainer } from '../../containers/guardScript.js';
import type { GuardSite } from '../../containers/hostGuardPort.js';
import { stopTimeoutSeconds, type StopOptions } from '../../containers/rolloutOptions.js';
import type { ParkedContainer, ParkTarget } from '../../containers/parking.js';
import { containerName } from '../../containers/types.js';
import { podMemberNote } from '../../containers/podman.js';
import type { StepHandler } from '../types.js';

/** A managed container whose image has a newer local version (or will have, after a planned pull). */
export interface StopItem extends ParkTarget {
  ref: string;
  /** Image ID the container runs. */
  fromImage: string;
  /** Image ID its reference names now; undefined when only a planned pull changes it. */
  toImage?: string;
}

/** What stop would do on one host. */
export interface StopPlan {
  items: StopItem[];
  notes: string[];
  /** Where the host's guard would run, or why no guard can. */
  guard: GuardSite | { why: string };
  /** What the guard watches: the handed containers, and parked leftovers of an interrupted run that start will settle. */
  guarded: GuardedContainer[];
  guardDeadlineMs: number;
}

const dockerEndpoint = (vars: Record<string, unknown>): DockerEndpoint =>
  typeof vars.docker === 'string' ? { host: vars.docker } : (vars.docker as DockerEndpoint);

const newer = (item: StopItem): string => (item.toImage === undefined ? `${item.ref} will be pulled` : `${item.ref} is now ${shortDigest(item.toImage)}`);

const wouldHand = (item: StopItem): string =>
  item.running
    ? `Hand ${item.name} (runs ${shortDigest(item.fromImage)}; ${newer(item)}) to start, which stops it (timeout ${item.timeoutSeconds}s) and parks it as ${parkedName(item.name)} when its replacement's turn comes`
    : `Hand ${item.name} (stopped, has ${shortDigest(item.fromImage)}; ${newer(item)}) to start, which parks it as ${parkedName(item.name)} when its replacement's turn comes`;

const guardSentence = (plan: StopPlan): string =>
  `Place a guard on the host (${'via' in plan.guard && plan.guard.via === 'ssh' ? 'over SSH' : 'on this machine, beside the engine'}) that puts back ${plan.guarded.map((i) => i.name).join(', ')} if freshen stops answering for ${formatDuration(plan.guardDeadlineMs)} before it has finished with them`;

const noGuard = (why: string): string =>
  `No guard can be placed on this host (${why}): a freshen that dies mid-replacement leaves a parked container down until the next run.`;

/**
 * `stop`: picks the managed containers whose image has a newer local version and hands them to `start`, which stops and parks
 * each (`NAME.freshen-old`) right before its own replacement, so a container is down only for its own stop and start, never
 * while the rest of the host is replaced. Before anything is parked, stop places the host's guard, which puts parked containers
 * back if freshen dies; the runner releases it once the host is finished.
 */
export const stopStep: StepHandler<StopPlan, StopOptions> = {
  kind: 'stop',

  async plan(ctx, stop) {
    const registry = registrySettings(ctx.vars);
    if (!registry) {
      return {
        items: [],
        notes: ['No `registry` variable for this host: no managed containers.'],
        guard: { why: 'no managed containers' },
        guarded: [],
        guardDeadlineMs: stop.guardDeadlineMs,
      };
    }
    const engine = await ctx.connections.engine();
    const containers = await engine.inspectAllContainers();
    const names = new Set(containers.map(containerName));
    const { managed } = selectManagedContainers(containers, { registry: registry.name, tag: rolloutTag(ctx.vars) });
    const plannedPulls = new Set((ctx.facts.pulled ?? []).filter((pull) => pull.planned).map((pull) => pull.ref));
    // What pull established a reference names locally (a stage host's hold names its containers' image again, in check mode too).
    const images = new Map<string, string | undefined>(
      (ctx.facts.pulled ?? []).flatMap((pull) => (!pull.planned && pull.imageId !== undefined ? [[pull.ref, pull.imageId] as const] : [])),
    );
    const items: StopItem[] = [];
    const notes: string[] = [];
    for (const container of managed) {
      const name = containerName(container);
      const ref = container.Config.Image;
      if (!images.has(ref)) images.set(ref, (await engine.localImage(ref))?.Id);
      const current = images.get(ref);
      const planned = plannedPulls.has(ref);
      if (current === undefined && !planned) {
        notes.push(`${name}: ${ref} is not on this engine; run pull first.`);
        continue;
      }
      if (current === container.Image && !planned) continue;
      if (container.PodmanPod !== undefined) {
        notes.push(`${podMemberNote(name, container.PodmanPod)}.`);
        continue;
      }
      if (names.has(parkedName(name))) {
        notes.push(`${name} is left running: ${parkedName(name)} already exists (an interrupted run); start resolves it first.`);
        continue;
      }
      if (names.has(spareName(name))) notes.push(`${spareName(name)}, an unfinished replacement of an interrupted run, is removed by start first.`);
      items.push({
        id: container.Id,
        name,
        ref,
        running: container.State.Running,
        timeoutSeconds: stopTimeoutSeconds(stop, container.Config.StopTimeout),
        fromImage: container.Image,
        toImage: planned ? undefined : current,
      });
    }
    // start also settles parked leftovers, so the guard watches them too: an earlier run's guard must not act during this one.
    const target = { registry: registry.name, tag: rolloutTag(ctx.vars) };
    const leftovers = containers
      .filter((c) => isParkedName(containerName(c)) && isManagedImage(c.Config.Image, target))
      .map((c) => ({ name: originalName(containerName(c)), running: true }));
    const guarded = [...items, ...leftovers.filter((l) => !items.some((i) => i.name === l.name))].map(({ name, running }) => ({ name, running }));
    const guard = guarded.length === 0 ? { why: 'nothing to replace' } : ctx.guard.siteFor(dockerEndpoint(ctx.vars));
    if (guarded.length > 0 && 'why' in guard) notes.push(noGuard(guard.why));
    return { items, notes, guard, guarded, guardDeadlineMs: stop.guardDeadlineMs };
  },

  changes: (plan) => [...plan.items.map(wouldHand), ...(plan.guarded.length > 0 && 'via' in plan.guard ? [guardSentence(plan)] : [])],

  planned: (plan) => ({ stopped: plan.items.map((item) => handedFact(item, true)) }),

  notes: (plan) => plan.notes,

  // The guard outlives the steps that need it only until the host is finished.
  async finishHost(ctx) {
    const key = ctx.facts.guard;
    if (key === undefined) return {};
    await ctx.guard.release(key);
    return { guard: null };
  },

  async apply(ctx, plan) {
    const notes = [...plan.notes];
    const actions = plan.items.map((item) => `Handed ${item.name} to start (stop timeout ${item.timeoutSeconds}s)`);
    let guard: string | undefined;
    if ('via' in plan.guard) {
      const key = ctx.guard.keyFor(ctx.host.name, plan.guard);
      ctx.progress('placing the guard');
      const placed = await ctx.guard.place(key, plan.guard, plan.guarded, plan.guardDeadlineMs / 1000);
      if (placed.placed) {
        guard = key;
        actions.push(
          `Placed the guard in ${placed.dir}: it puts back ${plan.guarded.map((i) => i.name).join(', ')} if freshen stops answering for ${formatDuration(plan.guardDeadlineMs)}`,
        );
      } else {
        notes.push(noGuard(placed.why));
      }
    }
    // Nothing after placing the guard can throw, so its key always reaches the facts finishHost releases it from.
    const stopped = plan.items.map((item) => handedFact(item, false));
    return { ...changed(actions, notes), facts: { stopped, ...(guard !== undefined ? { guard } : {}) } };
  },
};

const handedFact = (item: StopItem, planned: boolean): ParkedContainer => ({
  name: item.name,
  parkedAs: parkedName(item.name),
  planned,
  wasRunning: item.running,
  handed: { id: item.id, timeoutSeconds: item.timeoutSeconds },
});
