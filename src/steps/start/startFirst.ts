import type { Engine } from '../../adapters/engine.js';
import { inheritedVolumes } from './inheritedVolumes.js';
import { errorMessage } from '../../adapters/errors.js';
import { isNotFound } from '../../adapters/engineContainers.js';
import type { HealthGate } from '../../containers/health.js';
import { parkedName, spareName } from '../../containers/managed.js';
import { extraNetworkConnections, replacementSpec } from '../../containers/replacement.js';
import { containerName, type ContainerCreateOptions } from '../../containers/types.js';
import { aliasedEndpoints, withoutAliases } from '../../containers/spareNetworks.js';
import { shortDigest } from '../../model/imageRef.js';
import type { StartItem } from './replace.js';
import { attemptReplacement, logBlock, type ReplaceOutcome } from './attempt.js';

/** Networks a container is reachable on by name or alias (`none` and `host` have no endpoint to take away). */
const reachableOn = (networks: Record<string, unknown> | null | undefined): string[] => Object.keys(networks ?? {}).filter((n) => n !== 'none' && n !== 'host');

/**
 * Replaces a running container start-first: the replacement is created as `NAME.freshen-new` with the old one's configuration
 * (its network aliases held back, see spareNetworks.ts) and started beside it; only once it passed the health gate does it join
 * the aliases, and the old one give up its name (it is renamed to `NAME.freshen-old`, the replacement to `NAME`), leave its
 * networks (so DNS stops answering with its address before it stops), stop and go. A replacement that fails its gate is
 * removed and the old container never noticed.
 */
export async function replaceStartFirst(
  engine: Engine,
  item: StartItem & { handed: NonNullable<StartItem['handed']> },
  gate: Omit<HealthGate, 'restartCount'> & { drainMs: number },
  signal: AbortSignal,
  progress: (message: string) => void,
): Promise<ReplaceOutcome> {
  const old = await engine.inspectContainer(item.handed.id);
  if (!old || containerName(old) !== item.name) {
    return { actions: [], failure: { code: 'replace-failed', reason: `${item.name} changed before it could be replaced; nothing was done` } };
  }
  if (signal.aborted) {
    return {
      actions: [],
      failure: { code: 'interrupted', reason: `${item.name}: the run was interrupted before it was replaced; it still runs ${shortDigest(old.Image)}` },
    };
  }
  const spare = spareName(item.name);
  let named = false;
  const change = (image: string | undefined): string => `${item.ref}: ${shortDigest(old.Image)} → ${shortDigest(image ?? '?')}`;
  let changeText = change(undefined);
  const networks = extraNetworkConnections(old);
  let spec: ContainerCreateOptions | undefined;
  return attemptReplacement(
    engine,
    {
      startsAfter: true,
      waiting: `waiting for ${spare} to become healthy while ${item.name} serves`,
      async create(made) {
        progress(`creating ${spare} beside ${item.name}`);
        spec = { ...replacementSpec(old, (await engine.localImage(old.Image))?.Config, old.Config.Image, await inheritedVolumes(engine, old)), name: spare };
        const bare = withoutAliases(spec, networks);
        const id = await engine.createContainer(bare.spec, bare.networks);
        made(id);
        const created = await engine.inspectContainer(id);
        changeText = change(created?.Image);
        return { id, restartCount: 0, created };
      },
      async handOver(newId, healthy) {
        progress(`handing ${item.name} over`);
        const aliased = spec === undefined ? [] : aliasedEndpoints(spec, networks);
        for (const { network, EndpointConfig } of aliased) {
          await engine.disconnectNetwork(newId, network);
          await engine.connectNetwork(newId, network, EndpointConfig);
        }
        // Both answer the aliases for a moment: the new endpoint warms up while the old one still takes its share.
        if (aliased.length > 0) await sleep(gate.drainMs, signal);
        await engine.renameContainer(old.Id, parkedName(item.name));
        await engine.renameContainer(newId, item.name);
        named = true;
        for (const network of reachableOn(old.NetworkSettings?.Networks)) await engine.disconnectNetwork(old.Id, network).catch(ignoreNotFound);
        await engine.stopContainer(old.Id, item.handed.timeoutSeconds);
        await engine.removeContainer(old.Id);
        return {
          actions: [
            `Replaced ${item.name} start-first (${changeText}): the new container was ${healthy} beside the old one, then took its name; stopped and removed the old one`,
          ],
        };
      },
      // Takes the replacement away and gives the old container its name back if it had given it up; the old one never stopped.
      async undo(newId, failure) {
        const detail = failure.detail ?? 'was interrupted before it took over';
        let outcome = `removed it; ${item.name} kept serving throughout.`;
        try {
          if (containerName((await engine.inspectContainer(old.Id)) ?? old) !== item.name) await engine.renameContainer(old.Id, item.name);
          if (newId !== undefined) await engine.removeContainer(newId).catch(ignoreNotFound);
        } catch (error) {
          outcome = `withdrawing it failed too (${errorMessage(error)}); the next run settles ${item.name}.`;
        }
        return {
          actions: [`Rolled back ${item.name}: removed the new container; the old one kept serving`],
          failure: {
            code: failure.code,
            reason: `${item.name}: the new container (${changeText}) ${detail}; ${outcome}${failure.logs === undefined ? '' : logBlock(failure.logs)}`,
          },
          rolledBack: true,
        };
      },
      // The replacement serves under the name; only the old one's removal failed.
      pastUndoing: (error) =>
        named
          ? {
              actions: [`Replaced ${item.name} start-first (${changeText})`],
              failure: {
                code: 'replace-failed',
                reason: `${item.name}: the new container serves, but removing the old one failed (${errorMessage(error)}); the next run removes ${parkedName(item.name)}`,
              },
            }
          : undefined,
    },
    gate,
    signal,
    progress,
  );
}

/** Waits `ms`; an interruption cuts it short (the handover then goes on: both instances are healthy). */
const sleep = (ms: number, signal: AbortSignal): Promise<void> =>
  new Promise((resolve) => {
    const timer = setTimeout(done, ms);
    signal.addEventListener('abort', done, { once: true });
    function done(): void {
      clearTimeout(timer);
      signal.removeEventListener('abort', done);
      resolve();
    }
  });

const ignoreNotFound = (error: unknown): void => {
  if (!isNotFound(error)) throw error;
};
