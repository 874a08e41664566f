import type { FailureCode } from '../../model/failureCodes.js';
import { inheritedVolumes } from './inheritedVolumes.js';
import type { Engine } from '../../adapters/engine.js';
import { errorMessage } from '../../adapters/errors.js';
import { isNotFound } from '../../adapters/engineContainers.js';
import { waitUntilHealthy } from './gate.js';
import type { HealthGate } from '../../containers/health.js';
import { joinedModes, namespacePhrase, type NamespaceDependent } from '../../containers/namespaceShare.js';
import { stopTimeoutSeconds } from '../../containers/rolloutOptions.js';
import { park, unpark } from '../../containers/parking.js';
import { replacementSpec } from '../../containers/replacement.js';

// Recreating the containers that share a replaced container's namespaces (see namespaceShare.ts for why).

/** A dependent recreated in the new parent's namespaces: the old one (parked until the whole replacement is done) and the new one. */
export interface Rejoined {
  dependent: NamespaceDependent;
  parkedId: string;
  newId: string;
}

export interface RejoinOutcome {
  actions: string[];
  rejoined: Rejoined[];
  failure?: { code: FailureCode; reason: string; logs: string[] };
}

/**
 * Recreates each dependent with its own configuration and image, but joined to `parentName`'s namespaces (the replacement), and
 * starts the ones that were running when the parent runs, each through the same gate as the parent without the probe. The old
 * dependents stay parked (`NAME.freshen-old`) so that a failure can put everything back; `finishRejoin` removes them.
 * The image is the one the dependent runs: its reference when that still names it, else the image ID (never a silent upgrade).
 */
export async function rejoinDependents(
  engine: Engine,
  dependents: NamespaceDependent[],
  parentName: string,
  parentRunning: boolean,
  gate: Omit<HealthGate, 'restartCount' | 'probe'>,
  signal: AbortSignal,
  progress: (message: string) => void,
): Promise<RejoinOutcome> {
  const actions: string[] = [];
  const rejoined: Rejoined[] = [];
  for (const dependent of dependents) {
    const shared = namespacePhrase(dependent.shares);
    try {
      const old = await engine.inspectContainer(dependent.id);
      if (!old) continue;
      progress(`recreating ${dependent.name} in the ${shared} of ${parentName}`);
      const sameImage = (await engine.localImage(old.Config.Image))?.Id === old.Image;
      const spec = replacementSpec(
        old,
        (await engine.localImage(old.Image))?.Config,
        sameImage ? old.Config.Image : old.Image,
        await inheritedVolumes(engine, old),
      );
      spec.HostConfig = { ...spec.HostConfig, ...joinedModes(dependent.shares, parentName) };
      const running = old.State.Running;
      await park(engine, { id: old.Id, name: dependent.name, running, timeoutSeconds: stopTimeoutSeconds({}, old.Config.StopTimeout) });
      const newId = await engine.createContainer(spec, []);
      rejoined.push({ dependent: { ...dependent, running }, parkedId: old.Id, newId });
      if (!running || !parentRunning) {
        const why = running ? `; left stopped: ${parentName} is not running` : ', left stopped like the original';
        actions.push(`Recreated ${dependent.name} in the ${shared} of the new ${parentName}${why}`);
        continue;
      }
      await engine.startContainer(newId);
      const verdict = await waitUntilHealthy(engine, newId, { healthyTimeoutMs: gate.healthyTimeoutMs, settleMs: gate.settleMs, restartCount: 0 }, signal);
      if (verdict.state === 'failed') {
        const logs = await engine.tailLogs(newId, old.Config.Tty ?? false);
        return {
          actions,
          rejoined,
          failure: { code: verdict.code, reason: `${dependent.name}, recreated to share the ${shared} of the new ${parentName}, ${verdict.detail}`, logs },
        };
      }
      actions.push(
        `Recreated ${dependent.name} in the ${shared} of the new ${parentName}${sameImage ? '' : ` (from image ${old.Image.slice(7, 19)}, which its reference no longer names)`}`,
      );
    } catch (error) {
      return {
        actions,
        rejoined,
        failure: {
          code: 'rejoin-failed',
          reason: `recreating ${dependent.name} in the ${shared} of ${parentName} failed: ${errorMessage(error)}`,
          logs: [],
        },
      };
    }
  }
  return { actions, rejoined };
}

/** Removes the parked old dependents once the parent's replacement is final. */
export async function finishRejoin(engine: Engine, rejoined: Rejoined[]): Promise<void> {
  for (const { parkedId } of rejoined) await engine.removeContainer(parkedId);
}

/**
 * After the parent was rolled back (the old parent runs again, in a new namespace): removes the recreated dependents, puts the old
 * ones back under their names, and (re)starts every dependent that was running so that it joins the restored parent.
 */
export async function restoreDependents(engine: Engine, dependents: NamespaceDependent[], rejoined: Rejoined[]): Promise<string[]> {
  const problems: string[] = [];
  for (const dependent of dependents) {
    const done = rejoined.find((r) => r.dependent.id === dependent.id);
    try {
      if (done) {
        // rollBack may have removed it already.
        await engine.removeContainer(done.newId).catch((error: unknown) => {
          if (!isNotFound(error)) throw error;
        });
        await unpark(engine, done.parkedId, dependent.name, done.dependent.running);
      } else {
        const now = await engine.inspectContainer(dependent.id);
        if (now && containerNameOf(now.Name) !== dependent.name) await engine.renameContainer(dependent.id, dependent.name);
        if (now?.State.Running === true || dependent.running) await engine.restartContainer(dependent.id, stopTimeoutSeconds({}, now?.Config.StopTimeout));
      }
    } catch (error) {
      problems.push(`restoring ${dependent.name} failed: ${errorMessage(error)}`);
    }
  }
  return problems;
}

const containerNameOf = (name: string): string => name.replace(/^\//, '');
