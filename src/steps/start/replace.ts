import type { FailureCode } from '../../model/failureCodes.js';
import { inheritedVolumes } from './inheritedVolumes.js';
import type { Engine } from '../../adapters/engine.js';
import { errorMessage } from '../../adapters/errors.js';
import { shortDigest } from '../../model/imageRef.js';
import { isNotFound } from '../../adapters/engineContainers.js';
import { stopTimeoutSeconds } from '../../containers/rolloutOptions.js';
import { finishRejoin, rejoinDependents, restoreDependents } from './dependents.js';
import { attemptReplacement, logBlock, type ReplaceOutcome } from './attempt.js';
import type { HealthGate } from '../../containers/health.js';
import { joinedModes, namespacePhrase, type NamespaceDependent, type SharedNamespace } from '../../containers/namespaceShare.js';
import type { Rejoined } from './dependents.js';
import { unpark } from '../../containers/parking.js';
import { parkedName } from '../../containers/managed.js';
import { extraNetworkConnections, replacementSpec } from '../../containers/replacement.js';
import { containerName, type ContainerInspect } from '../../containers/types.js';
import type { OrderChoice } from '../../containers/startOrder.js';
import { park } from '../../containers/parking.js';

/**
 * How `start` settles one parked container: `replace` creates the replacement; `adopt` gates a replacement an interrupted run
 * left running the current image; `redo` removes an unfinished replacement first, then replaces.
 */
export type StartAction = 'replace' | 'adopt' | 'redo';

/** One parked container `start` will settle. */
export interface StartItem {
  name: string;
  parkedAs: string;
  ref: string;
  action: StartAction;
  /** False when the original was not running: the replacement is created but not started. */
  startAfter: boolean;
  /** Undefined in check mode for containers `stop` only planned to park. */
  parkedId?: string;
  /** The container already named `name` (adopt, redo). */
  leftoverId?: string;
  /** When the parked container shares namespaces of another parked one: that one's name (replaced first), and what it shares. */
  namespaceParent?: { name: string; shares: SharedNamespace[] };
  /**
   * When it mounts the volumes of another parked one (`--volumes-from`, by name): that one's name. Replaced first, so that the
   * name exists again when this one is created.
   */
  volumesParent?: string;
  /** Containers (not replaced themselves) sharing the parked container's namespaces: recreated to join the replacement. */
  dependents?: NamespaceDependent[];
  /** A container `stop` handed over still under `name`: start parks it itself, right before its replacement (or after, start-first). */
  handed?: { id: string; timeoutSeconds: number };
  /** Which instance goes first, and why. */
  order: OrderChoice;
}

/**
 * Removes the failed replacement (if any) and puts the parked container back under its name, started if it was running; then the
 * containers sharing its network namespace are put back too and restarted, so they join the restored container's new namespace.
 */
async function rollBack(
  engine: Engine,
  newId: string | undefined,
  parked: ContainerInspect,
  item: StartItem,
  rejoined: Rejoined[] = [],
): Promise<{ actions: string[]; problem?: string }> {
  try {
    for (const { newId: id } of rejoined) await engine.removeContainer(id).catch(ignoreNotFound);
    if (newId !== undefined) await engine.removeContainer(newId).catch(ignoreNotFound);
    await unpark(engine, parked.Id, item.name, item.startAfter);
  } catch (error) {
    return { actions: [], problem: `rolling back ${item.name} failed too (${errorMessage(error)}); ${item.parkedAs} is kept for the next run` };
  }
  const actions = [`Rolled back ${item.name}: removed the new container and ${item.startAfter ? 'restarted' : 'restored'} the previous one`];
  const dependents = item.dependents ?? [];
  if (dependents.length === 0 || !item.startAfter) return { actions };
  const problems = await restoreDependents(engine, dependents, rejoined);
  if (problems.length > 0) return { actions, problem: problems.join('; ') };
  const shared = namespacePhrase([...new Set(dependents.flatMap((d) => d.shares))]);
  actions.push(`Restarted ${dependents.map((d) => d.name).join(', ')} in the ${shared} of the restored ${item.name}`);
  return { actions };
}

const ignoreNotFound = (error: unknown): void => {
  if (!isNotFound(error)) throw error;
};

/**
 * Parks a container stop handed over, right before its replacement is created: the moment its downtime starts. A container that
 * cannot be parked is put back as it was.
 */
async function parkHanded(
  engine: Engine,
  item: StartItem,
  handed: NonNullable<StartItem['handed']>,
  signal: AbortSignal,
  progress: (message: string) => void,
): Promise<{ action: string } | ReplaceOutcome> {
  if (signal.aborted) {
    return { actions: [], failure: { code: 'interrupted', reason: `${item.name}: the run was interrupted before it was replaced; it still runs as it did` } };
  }
  progress(`stopping ${item.name}`);
  const target = { id: handed.id, name: item.name, running: item.startAfter, timeoutSeconds: handed.timeoutSeconds };
  try {
    await park(engine, target);
  } catch (error) {
    const reason = `stopping ${item.name} failed: ${errorMessage(error)}`;
    try {
      const now = await engine.inspectContainer(handed.id);
      if (!now) throw new Error('the container is gone');
      if (containerName(now) !== item.name) await unpark(engine, handed.id, item.name, item.startAfter);
      else if (item.startAfter && !now.State.Running) await engine.startContainer(handed.id);
      return { actions: [`Restored ${item.name}`], failure: { code: 'stop-failed', reason: `${reason}; it was put back as it was` }, rolledBack: true };
    } catch (again) {
      return {
        actions: [],
        failure: { code: 'stop-failed', reason: `${reason}; putting it back failed too (${errorMessage(again)}): the next run settles it` },
      };
    }
  }
  return {
    action: item.startAfter
      ? `Stopped ${item.name} (timeout ${handed.timeoutSeconds}s) and parked it as ${parkedName(item.name)}`
      : `Parked ${item.name} (not running) as ${parkedName(item.name)}`,
  };
}

/**
 * Replaces one parked container: creates `NAME` from the parked container's configuration and the image its reference names now,
 * starts it, waits until it passes the gate, recreates the containers sharing its network namespace, then removes the parked
 * container. On any failure the parked container (and its dependents) are restored.
 */
export async function replaceParked(
  engine: Engine,
  item: StartItem,
  gate: Omit<HealthGate, 'restartCount'>,
  signal: AbortSignal,
  progress: (message: string) => void,
): Promise<ReplaceOutcome> {
  const actions: string[] = [];
  if (item.handed !== undefined) {
    const handed = await parkHanded(engine, item, item.handed, signal, progress);
    if (!('action' in handed)) return handed;
    actions.push(handed.action);
  }
  const parkedId = item.handed?.id ?? item.parkedId;
  const parked = parkedId === undefined ? undefined : await engine.inspectContainer(parkedId);
  if (!parked) return { actions, failure: { code: 'parked-missing', reason: `${item.parkedAs} disappeared before it could be replaced` } };
  if (signal.aborted) {
    // Interrupted before this container's turn (freshen run settles parked containers after Ctrl-C): put it back, start nothing new.
    const rollback = await rollBack(engine, undefined, parked, item);
    const reason = rollback.problem ?? `the run was interrupted before ${item.name} was replaced; the previous container runs again`;
    return { actions: rollback.actions, failure: { code: 'interrupted', reason: `${item.name}: ${reason}` }, rolledBack: rollback.problem === undefined };
  }
  let rejoined: Rejoined[] = [];
  let change = `${item.ref}: ${shortDigest(parked.Image)} → ?`;
  const rollBackWith = async (newId: string | undefined, code: FailureCode, detail: string, logs?: string[]): Promise<ReplaceOutcome> => {
    const rollback = await rollBack(engine, newId, parked, item, rejoined);
    const outcome = rollback.problem ?? `rolled back to the previous container (${shortDigest(parked.Image)})`;
    return {
      actions: [...actions, ...rollback.actions],
      failure: { code, reason: `${item.name}: ${detail}; ${outcome}.${logs === undefined ? '' : logBlock(logs)}` },
      rolledBack: rollback.problem === undefined,
    };
  };
  return attemptReplacement(
    engine,
    {
      startsAfter: item.startAfter,
      waiting: `waiting for ${item.name} to become healthy`,
      async create(made) {
        if (parked.State.Running) {
          // A run killed between parking and stopping left it running: stop it before its replacement takes over.
          await engine.stopContainer(parked.Id, stopTimeoutSeconds({}, parked.Config.StopTimeout));
          actions.push(`Stopped ${item.parkedAs}, left running by an interrupted run`);
        }
        if (item.action === 'redo' && item.leftoverId !== undefined) {
          await engine.removeContainer(item.leftoverId);
          actions.push(`Removed the unfinished replacement ${item.name} left by an interrupted run`);
        }
        let id: string;
        let restartCount = 0;
        if (item.action === 'adopt' && item.leftoverId !== undefined) {
          id = item.leftoverId;
          made(id);
          restartCount = (await engine.inspectContainer(id))?.RestartCount ?? 0;
        } else {
          progress(`creating ${item.name}`);
          const oldImage = await engine.localImage(parked.Image);
          const spec = replacementSpec(parked, oldImage?.Config, parked.Config.Image, await inheritedVolumes(engine, parked));
          const parent = item.namespaceParent;
          if (parent !== undefined) spec.HostConfig = { ...spec.HostConfig, ...joinedModes(parent.shares, parent.name) };
          id = await engine.createContainer(spec, extraNetworkConnections(parked));
          made(id);
        }
        const created = await engine.inspectContainer(id);
        change = `${item.ref}: ${shortDigest(parked.Image)} → ${shortDigest(created?.Image ?? '?')}`;
        return { id, restartCount, created };
      },
      async handOver(newId, healthy) {
        const dependents = await rejoinDependents(engine, item.dependents ?? [], item.name, item.startAfter, gate, signal, progress);
        rejoined = dependents.rejoined;
        if (dependents.failure) {
          const { code, reason, logs } = dependents.failure;
          return await rollBackWith(newId, signal.aborted ? 'interrupted' : code, `the new container (${change}) passed, but ${reason}`, logs);
        }
        await finishRejoin(engine, rejoined);
        await engine.removeContainer(parked.Id);
        actions.push(`Replaced ${item.name} (${change}), ${healthy}; removed ${item.parkedAs}`, ...dependents.actions);
        return { actions };
      },
      undo: (newId, failure) =>
        rollBackWith(
          newId,
          failure.code,
          failure.gated ? `the new container (${change}) ${failure.detail}` : (failure.detail ?? 'interrupted while waiting for it to become healthy'),
          failure.logs,
        ),
    },
    gate,
    signal,
    progress,
  );
}
