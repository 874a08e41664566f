import type { Engine } from '../../adapters/engine.js';
import { errorMessage } from '../../adapters/errors.js';
import { shortDigest } from '../../model/imageRef.js';
import { registrySettings, rolloutTag } from '../../model/inventory.js';
import { changed, failed } from '../../model/results.js';
import { parkedName, selectManagedContainers } from '../../containers/managed.js';
import { stopOptions, stopTimeoutSeconds } from '../../containers/rolloutOptions.js';
import { park, unpark, type ParkTarget } from '../../containers/parking.js';
import { containerName } from '../../containers/types.js';
import type { StepHandler } from '../types.js';

/** A container stop set aside (or, planned, would set aside): the fact stop hands on to start. */
export interface ParkedContainer {
  name: string;
  parkedAs: string;
  planned: boolean;
  /** False when the container was already stopped: `start` then creates its replacement without starting it. */
  wasRunning?: boolean;
}

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
}

const newer = (item: StopItem): string => (item.toImage === undefined ? `${item.ref} will be pulled` : `${item.ref} is now ${shortDigest(item.toImage)}`);

const wouldStop = (item: StopItem): string =>
  item.running
    ? `Stop ${item.name} and park it as ${parkedName(item.name)} (runs ${shortDigest(item.fromImage)}; ${newer(item)})`
    : `Park ${item.name} (not running) as ${parkedName(item.name)} (has ${shortDigest(item.fromImage)}; ${newer(item)})`;

/**
 * `stop`: stops the managed containers whose image has a newer local version and renames them `NAME.freshen-old`, so `start`
 * can create the replacement under `NAME` and still restore the old container if the new one is not healthy.
 */
export const stopStep: StepHandler<StopPlan> = {
  kind: 'stop',

  async plan(ctx, options) {
    const stop = stopOptions(options);
    const registry = registrySettings(ctx.vars);
    if (!registry) {
      return { items: [], notes: ['No `registry` variable for this host: no managed containers.'] };
    }
    const engine = await ctx.connections.engine();
    const containers = await engine.inspectAllContainers();
    const names = new Set(containers.map(containerName));
    const { managed } = selectManagedContainers(containers, { registry: registry.name, tag: rolloutTag(ctx.vars) });
    const plannedPulls = new Set((ctx.facts.pulled ?? []).filter((pull) => pull.planned).map((pull) => pull.ref));
    const images = new Map<string, string | undefined>();
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
      if (names.has(parkedName(name))) {
        notes.push(`${name} is left running: ${parkedName(name)} already exists (an interrupted run); start resolves it first.`);
        continue;
      }
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
    return { items, notes };
  },

  changes: (plan) => plan.items.map(wouldStop),

  planned: (plan) => ({
    host: { stopped: plan.items.map((item) => ({ name: item.name, parkedAs: parkedName(item.name), planned: true, wasRunning: item.running })) },
  }),

  notes: (plan) => plan.notes,

  async apply(ctx, plan) {
    const engine = await ctx.connections.engine();
    const parked: StopItem[] = [];
    const actions: string[] = [];
    for (const item of plan.items) {
      ctx.progress(`stopping ${item.name}`);
      try {
        await park(engine, item);
        parked.push(item);
        actions.push(
          item.running
            ? `Stopped ${item.name} (timeout ${item.timeoutSeconds}s) and parked it as ${parkedName(item.name)}`
            : `Parked ${item.name} (not running) as ${parkedName(item.name)}`,
        );
      } catch (error) {
        // The host is marked failed and start will not run, so nothing is left parked: each container goes back as it was.
        const reason = `stopping ${item.name} failed: ${errorMessage(error)}`;
        const restored = await restoreAll(engine, [...parked, item]);
        ctx.facts.stopped = [];
        return failed([reason, ...restored.problems].join('; '), 'stop-failed', [...actions, ...restored.actions], plan.notes);
      }
    }
    ctx.facts.stopped = parked.map((item) => ({ name: item.name, parkedAs: parkedName(item.name), planned: false, wasRunning: item.running }));
    return changed(actions, plan.notes);
  },
};

/** Puts back containers this step parked (or half-parked), starting the ones that were running. */
async function restoreAll(engine: Engine, items: StopItem[]): Promise<{ actions: string[]; problems: string[] }> {
  const actions: string[] = [];
  const problems: string[] = [];
  for (const item of items) {
    try {
      const now = await engine.inspectContainer(item.id);
      if (!now) throw new Error('the container is gone');
      if (containerName(now) !== item.name) await unpark(engine, item.id, item.name, item.running);
      else if (item.running) await engine.startContainer(item.id);
      actions.push(`Restored ${item.name}`);
    } catch (error) {
      problems.push(`restoring ${item.name} failed: ${errorMessage(error)}`);
    }
  }
  return { actions, problems };
}
