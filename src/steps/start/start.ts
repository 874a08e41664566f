import type { FailureCode } from '../../model/failureCodes.js';
import { registrySettings, rolloutTag } from '../../model/inventory.js';
import { changed, failed } from '../../model/results.js';
import { isManagedImage, isParkedName, originalName, parkedName } from '../../containers/managed.js';
import { networkDependents, networkParentOf, parentsFirst, refersTo, replacementWaves } from '../../containers/networkShare.js';
import { mapLimit } from '../../shared/mapLimit.js';
import { startOptions, type StartOptions } from '../../containers/rolloutOptions.js';
import { replaceParked, type ReplaceOutcome, type StartItem } from './replace.js';
import { settleParked } from '../../containers/settle.js';
import { containerName, type ContainerInspect } from '../../containers/types.js';
import type { StepHandler } from '../types.js';

/** What start would do on one host. */
export interface StartPlan {
  items: StartItem[];
  options: StartOptions;
}

const wouldStart = (item: StartItem): string => {
  const then = item.startAfter ? 'start it and wait until it is healthy' : 'leave it stopped like the original';
  const dependents = item.dependents ?? [];
  const rejoin = dependents.length === 0 ? '' : `, recreate ${dependents.map((d) => d.name).join(', ')} in its network namespace`;
  const join = item.networkParent === undefined ? '' : ` in the network namespace of the new ${item.networkParent}`;
  switch (item.action) {
    case 'replace':
      return `Create ${item.name} from ${item.ref} with the configuration of ${item.parkedAs}${join}, ${then}${rejoin}, then remove ${item.parkedAs}`;
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

/**
 * `start`: for every parked container of a managed image on the host (found by listing, so a crashed run's leftovers converge
 * too), creates the replacement under the original name with the same configuration and the image its reference names now,
 * waits until it is healthy, and removes the parked container; a replacement that is not healthy is removed and the old one
 * restored. A container that was not running when `stop` parked it (as `stop` records in the facts) gets its replacement
 * created but not started: freshen updates what the user stopped without starting it. For a leftover of another run that fact
 * is gone, and the replacement is started, since managed containers are services meant to run.
 */
export const startStep: StepHandler<StartPlan> = {
  kind: 'start',

  async plan(ctx, options) {
    const opts = startOptions(options);
    const registry = registrySettings(ctx.vars);
    if (!registry) return { items: [], options: opts };
    const target = { registry: registry.name, tag: rolloutTag(ctx.vars) };
    const engine = await ctx.connections.engine();
    const containers = await engine.inspectAllContainers();
    const byName = new Map(containers.map((container) => [containerName(container), container]));
    const stopped = ctx.facts.stopped ?? [];
    // Whether a leftover from another run was running cannot be known; a service is assumed to be meant to run.
    const wasRunning = (name: string): boolean => stopped.find((entry) => entry.name === name)?.wasRunning ?? true;
    const images = new Map<string, string | undefined>();
    const items: StartItem[] = [];
    // Only parked containers of this play's managed images: another rollout tag's leftovers are another play's business.
    const parkedOnes = containers.filter((c) => isParkedName(containerName(c)) && isManagedImage(c.Config.Image, target));
    // The containers start replaces (parked now, or in check mode planned to be), by original name.
    const replaced = new Map<string, ContainerInspect>();
    for (const parked of parkedOnes) replaced.set(originalName(containerName(parked)), parked);
    const planned = stopped.filter((e) => e.planned && !byName.has(e.parkedAs) && byName.has(e.name));
    for (const entry of planned) replaced.set(entry.name, byName.get(entry.name)!);
    const shared = (name: string): Pick<StartItem, 'networkParent' | 'dependents'> => {
      const old = replaced.get(name)!;
      const parentRef = networkParentOf(old.HostConfig.NetworkMode);
      const parent = parentRef === undefined ? undefined : [...replaced].find(([, c]) => refersTo(parentRef, c))?.[0];
      // Replaced containers and the unfinished replacements of parked ones are handled as items of their own.
      const dependents = networkDependents(containers, old, new Set([...replaced.keys()].flatMap((n) => [n, parkedName(n)])));
      return { ...(parent === undefined ? {} : { networkParent: parent }), ...(dependents.length === 0 ? {} : { dependents }) };
    };
    for (const parked of parkedOnes) {
      const name = originalName(containerName(parked));
      const ref = parked.Config.Image;
      if (!images.has(ref)) images.set(ref, (await engine.localImage(ref))?.Id);
      const settled = settleParked(parked, byName.get(name), wasRunning(name), images.get(ref));
      items.push({ ...settled, ...shared(name) });
    }
    // In check mode stop only planned to park these; report what start would then do.
    for (const entry of planned) {
      const ref = byName.get(entry.name)!.Config.Image;
      items.push({ name: entry.name, parkedAs: parkedName(entry.name), ref, action: 'replace', startAfter: entry.wasRunning ?? true, ...shared(entry.name) });
    }
    items.sort((a, b) => a.name.localeCompare(b.name));
    return { items: parentsFirst(items, (item) => item.networkParent), options: opts };
  },

  changes: (plan) => plan.items.map(wouldStart),

  // After Ctrl-C, start still runs where stop parked containers, so none is left down.
  settlesLeftovers: (facts) => (facts.stopped ?? []).some((entry) => !entry.planned),

  async apply(ctx, plan) {
    const engine = await ctx.connections.engine();
    const actions: string[] = [];
    const failures: Array<{ code: FailureCode; reason: string }> = [];
    // Parked containers this run's stop did not park are leftovers of an interrupted run.
    const parkedNow = new Set((ctx.facts.stopped ?? []).filter((entry) => !entry.planned).map((entry) => entry.parkedAs));
    let rolledBack = 0;
    let rescued = 0;
    const outcomes = new Map<StartItem, ReplaceOutcome>();
    for (const wave of replacementWaves(plan.items, (item) => item.networkParent)) {
      const results = await mapLimit(wave, plan.options.parallel, (item) => replaceParked(engine, item, plan.options, ctx.signal, ctx.progress));
      wave.forEach((item, i) => outcomes.set(item, results[i]!));
    }
    for (const item of plan.items) {
      const outcome = outcomes.get(item)!;
      actions.push(...outcome.actions);
      if (outcome.failure) failures.push(outcome.failure);
      if (outcome.rolledBack) rolledBack++;
      if (!parkedNow.has(item.parkedAs) && (!outcome.failure || outcome.rolledBack)) rescued++;
    }
    // Every parked container is settled now; an interrupted run must not run start for them again.
    ctx.facts.stopped = [];
    const counts = { ...(rolledBack > 0 ? { rolledBack } : {}), ...(rescued > 0 ? { rescued } : {}) };
    if (failures.length === 0) return { ...changed(actions), ...counts };
    return { ...failed(failures.map((f) => f.reason).join('\n'), failures[0]!.code, actions), ...counts };
  },
};
