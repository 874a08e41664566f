import type { FailureCode } from '../../model/failureCodes.js';
import { registrySettings, rolloutTag } from '../../model/inventory.js';
import { changed, failed } from '../../model/results.js';
import { errorMessage } from '../../adapters/errors.js';
import { isManagedImage, isParkedName, isSpareName, originalName, parkedName, spareName, spareOriginal } from '../../containers/managed.js';
import { chooseOrder, startFirstObstacle, type OrderChoice } from '../../containers/startOrder.js';
import { replaceStartFirst } from './startFirst.js';

const GUARD_LOST =
  "the host's guard was gone before the host was finished: freshen could not renew it within guard_deadline (or it was removed), so it may have put parked containers back meanwhile; see its log beside its directory, and run again";
import {
  namespaceDependents,
  namespaceParentsOf,
  volumesParentsOf,
  namespacePhrase,
  parentsFirst,
  refersTo,
  replacementWaves,
  sharedWith,
} from '../../containers/namespaceShare.js';
import { repoDigestOf } from '../../model/imageRef.js';
import { mapLimit } from '../../shared/mapLimit.js';
import type { StartOptions } from '../../containers/rolloutOptions.js';
import { replaceParked, type StartItem } from './replace.js';
import type { ReplaceOutcome } from './attempt.js';
import { settleParked } from '../../containers/settle.js';
import { containerName, type ContainerInspect } from '../../containers/types.js';
import type { StepHandler } from '../types.js';
import { recordRolloutOutcomes, type RolloutOutcome } from '../stageRecords.js';

/** What start would do on one host. */
export interface StartPlan {
  items: StartItem[];
  options: StartOptions;
  /** Replacements left under `NAME.freshen-new` by an interrupted run, removed first. */
  spares: Array<{ id: string; name: string }>;
  /** Image IDs the replaced containers run now and will run, for `--diff`. */
  images: Map<string, { before: string; after?: string }>;
}

const orderText = (item: StartItem): string => `${item.order.order}: ${item.order.why}`;

const wouldStart = (item: StartItem): string => {
  const then = item.startAfter ? 'start it and wait until it is healthy' : 'leave it stopped like the original';
  const dependents = item.dependents ?? [];
  const rejoin =
    dependents.length === 0
      ? ''
      : `, recreate ${dependents.map((d) => d.name).join(', ')} in its ${namespacePhrase([...new Set(dependents.flatMap((d) => d.shares))])}`;
  const parent = item.namespaceParent;
  const join = parent === undefined ? '' : ` in the ${namespacePhrase(parent.shares)} of the new ${parent.name}`;
  if (item.handed !== undefined && item.order.order === 'start-first') {
    return `Create ${spareName(item.name)} from ${item.ref} with the configuration of ${item.name}, start it and wait until it is healthy while ${item.name} serves, then give it the name and stop (timeout ${item.handed.timeoutSeconds}s) and remove the old ${item.name} (${orderText(item)})`;
  }
  const park = item.startAfter ? `Stop ${item.name} (timeout ${item.handed?.timeoutSeconds}s) and park it` : `Park ${item.name} (not running)`;
  const stop = item.handed === undefined ? '' : `${park} as ${item.parkedAs}, then c`;
  switch (item.action) {
    case 'replace':
      return `${stop || 'C'}reate ${item.name} from ${item.ref} with the configuration of ${item.parkedAs}${join}, ${then}${rejoin}, then remove ${item.parkedAs} (${orderText(item)})`;
    case 'adopt':
      return `Wait until ${item.name}, left running ${item.ref} by an interrupted run, is healthy${rejoin}, then remove ${item.parkedAs}`;
    case 'redo':
      return `Remove the unfinished replacement ${item.name} left by an interrupted run, create it again from ${item.ref}${join}, ${then}${rejoin}, then remove ${item.parkedAs}`;
    default: {
      const unknown: never = item.action;
      throw new Error(`unknown start action ${String(unknown)}`);
    }
  }
};

const wouldRemoveSpare = (spare: { name: string }): string => `Remove ${spare.name}, a replacement an interrupted run never handed the name to`;

/**
 * `start`: for every parked container of a managed image on the host (found by listing, so a crashed run's leftovers converge
 * too), creates the replacement under the original name with the same configuration and the image its reference names now,
 * waits until it is healthy, and removes the parked container; a replacement that is not healthy is removed and the old one
 * restored. A container that was not running when `stop` parked it (as `stop` records in the facts) gets its replacement
 * created but not started: freshen updates what the user stopped without starting it. For a leftover of another run that fact
 * is gone, and the replacement is started, since managed containers are services meant to run.
 */
export const startStep: StepHandler<StartPlan, StartOptions> = {
  kind: 'start',

  async plan(ctx, opts) {
    const registry = registrySettings(ctx.vars);
    if (!registry) return { items: [], options: opts, spares: [], images: new Map() };
    const target = { registry: registry.name, tag: rolloutTag(ctx.vars) };
    const engine = await ctx.connections.engine();
    const containers = await engine.inspectAllContainers();
    const byName = new Map(containers.map((container) => [containerName(container), container]));
    const stopped = ctx.facts.stopped ?? [];
    // Whether a leftover from another run was running cannot be known; a service is assumed to be meant to run.
    const wasRunning = (name: string): boolean => stopped.find((entry) => entry.name === name)?.wasRunning ?? true;
    const images = new Map<string, string | undefined>();
    const imageOf = async (ref: string): Promise<string | undefined> => {
      if (!images.has(ref)) images.set(ref, (await engine.localImage(ref))?.Id);
      return images.get(ref);
    };
    const items: StartItem[] = [];
    // Only parked containers of this play's managed images: another rollout tag's leftovers are another play's business.
    const parkedOnes = containers.filter((c) => isParkedName(containerName(c)) && isManagedImage(c.Config.Image, target));
    const spares = containers
      .filter((c) => isSpareName(containerName(c)) && isManagedImage(c.Config.Image, target))
      .filter((c) => byName.has(spareOriginal(containerName(c))) || byName.has(parkedName(spareOriginal(containerName(c)))))
      .map((c) => ({ id: c.Id, name: containerName(c) }));
    // The containers start replaces (parked now, or handed over by stop), by original name.
    const replaced = new Map<string, ContainerInspect>();
    for (const parked of parkedOnes) replaced.set(originalName(containerName(parked)), parked);
    const handed = stopped.filter((e) => e.handed !== undefined && byName.get(e.name)?.Id === e.handed.id && !byName.has(e.parkedAs));
    for (const entry of handed) replaced.set(entry.name, byName.get(entry.name)!);
    // By ID (namespace modes hold the parent's ID) or by its original name (`--volumes-from` keeps the name given).
    const replacedOf = (ref: string) => [...replaced].find(([name, c]) => name === ref || refersTo(ref, c));
    const shared = (name: string): Pick<StartItem, 'namespaceParent' | 'volumesParent' | 'dependents'> => {
      const old = replaced.get(name)!;
      // The first replaced container whose namespaces it joins (network first); it is replaced in an earlier wave. One that
      // joins namespaces of two replaced containers follows only the first (see docs/rollouts.md).
      const parentEntry = namespaceParentsOf(old.HostConfig)
        .map(replacedOf)
        .find((entry) => entry !== undefined);
      const namespaceParent = parentEntry && { name: parentEntry[0], shares: sharedWith(old.HostConfig, parentEntry[1]) };
      const volumesParent = volumesParentsOf(old.HostConfig)
        .map(replacedOf)
        .find((entry) => entry !== undefined)?.[0];
      // Replaced containers and the unfinished replacements of parked ones are handled as items of their own.
      const dependents = namespaceDependents(containers, old, new Set([...replaced.keys()].flatMap((n) => [n, parkedName(n), spareName(n)])));
      return {
        ...(namespaceParent === undefined ? {} : { namespaceParent }),
        ...(volumesParent === undefined ? {} : { volumesParent }),
        ...(dependents.length === 0 ? {} : { dependents }),
      };
    };
    for (const parked of parkedOnes) {
      const name = originalName(containerName(parked));
      const settled = settleParked(parked, byName.get(name), wasRunning(name), await imageOf(parked.Config.Image));
      items.push({ ...settled, ...shared(name) });
    }
    for (const entry of handed) {
      const current = byName.get(entry.name)!;
      const startAfter = entry.wasRunning ?? true;
      const sharing = shared(entry.name);
      const order: OrderChoice = startAfter
        ? chooseOrder(opts.order, entry.name, startFirstObstacle(current, sharing.dependents ?? []))
        : { order: 'stop-first', why: 'it is not running' };
      items.push({
        name: entry.name,
        parkedAs: entry.parkedAs,
        ref: current.Config.Image,
        action: 'replace',
        startAfter,
        handed: entry.handed!,
        order,
        ...sharing,
      });
    }
    items.sort((a, b) => a.name.localeCompare(b.name));
    const diffImages = new Map<string, { before: string; after?: string }>();
    for (const item of items) {
      const old = replaced.get(item.name)!;
      const pull = (ctx.facts.pulled ?? []).find((entry) => entry.planned && entry.ref === item.ref);
      if (pull === undefined) {
        diffImages.set(item.name, { before: old.Image, after: await imageOf(item.ref) });
      } else {
        // A planned pull knows the registry's manifest digest (unless only this run's push makes it new): compare digests.
        const before = repoDigestOf((await engine.localImage(old.Image))?.RepoDigests, item.ref);
        diffImages.set(item.name, { before: before ?? old.Image, ...(pull.digest === undefined ? {} : { after: pull.digest }) });
      }
    }
    return { items: parentsFirst(items, replacedBefore), options: opts, spares, images: diffImages };
  },

  changes: (plan) => [...plan.spares.map(wouldRemoveSpare), ...plan.items.map(wouldStart)],

  diff: (plan) =>
    plan.items.map((item) => {
      const images = plan.images.get(item.name);
      return { container: item.name, ref: item.ref, before: images?.before, after: images?.after, replace: true, order: item.order.order, why: item.order.why };
    }),

  // After Ctrl-C, start still runs where stop parked containers, so none is left down.
  settlesLeftovers: (facts) => (facts.stopped ?? []).some((entry) => !entry.planned),

  async apply(ctx, plan) {
    const engine = await ctx.connections.engine();
    const actions: string[] = [];
    const failures: Array<{ code: FailureCode; reason: string }> = [];
    for (const spare of plan.spares) {
      try {
        await engine.removeContainer(spare.id);
        actions.push(`Removed ${spare.name}, a replacement an interrupted run never handed the name to`);
      } catch (error) {
        failures.push({ code: 'replace-failed', reason: `removing ${spare.name} failed: ${errorMessage(error)}` });
      }
    }
    // Parked containers this run's stop did not hand over are leftovers of an interrupted run.
    const parkedNow = new Set((ctx.facts.stopped ?? []).filter((entry) => !entry.planned).map((entry) => entry.parkedAs));
    let rolledBack = 0;
    let rescued = 0;
    const outcomes = new Map<StartItem, ReplaceOutcome>();
    for (const wave of replacementWaves(plan.items, replacedBefore)) {
      const results = await mapLimit(wave, plan.options.parallel, (item) =>
        item.handed !== undefined && item.order.order === 'start-first'
          ? replaceStartFirst(engine, { ...item, handed: item.handed }, plan.options, ctx.signal, ctx.progress)
          : replaceParked(engine, item, plan.options, ctx.signal, ctx.progress),
      );
      wave.forEach((item, i) => outcomes.set(item, results[i]!));
    }
    const staged: RolloutOutcome[] = [];
    for (const item of plan.items) {
      const outcome = outcomes.get(item)!;
      actions.push(...outcome.actions);
      if (outcome.failure) failures.push(outcome.failure);
      if (outcome.rolledBack) rolledBack++;
      if (!parkedNow.has(item.parkedAs) && (!outcome.failure || outcome.rolledBack)) rescued++;
      if (outcome.rolledBack) staged.push({ ref: item.ref, outcome: 'rolled-back' });
      else if (!outcome.failure && item.startAfter) staged.push({ ref: item.ref, outcome: 'adopted' });
    }
    actions.push(...(await recordRolloutOutcomes(ctx, staged)));
    if (ctx.facts.guard !== undefined && ctx.guard.lost(ctx.facts.guard)) {
      failures.push({ code: 'failed', reason: GUARD_LOST });
    }
    const counts = { ...(rolledBack > 0 ? { rolledBack } : {}), ...(rescued > 0 ? { rescued } : {}) };
    // Every parked container is settled now; an interrupted run must not run start for them again.
    const facts = { stopped: [] };
    if (failures.length === 0) return { ...changed(actions), ...counts, facts };
    return { ...failed(failures.map((f) => f.reason).join('\n'), failures[0]!.code, actions), ...counts, facts };
  },
};

/** The replaced container an item must wait for: the one whose namespaces it joins, else the one whose volumes it mounts. */
const replacedBefore = (item: StartItem): string | undefined => item.namespaceParent?.name ?? item.volumesParent;
