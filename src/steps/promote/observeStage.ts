import { selectManagedContainers } from '../../containers/managed.js';
import { dockerEndpoint, rolloutTag } from '../../model/inventory.js';
import { parseImageRef, repoDigestOf } from '../../model/imageRef.js';
import { mapLimit } from '../../shared/mapLimit.js';
import type { HostNow } from '../../stages/promotion.js';
import type { StepContext } from '../types.js';

const HOSTS_IN_FLIGHT = 4;

/** What the hosts of one stage run now, asked of their engines. */
export interface StageObservation {
  /** The inventory's Docker hosts whose rollout tag is the stage. */
  hosts: string[];
  /** Hosts whose engine did not answer: what they run is unknown. */
  silent: string[];
  /** By repository, by host: the build its managed containers of the repository run, and whether they are all healthy. */
  runs: Map<string, Map<string, HostNow>>;
}

/** A container is healthy when it runs and its health check (if it has one) says healthy. */
const healthy = (state: { Running?: boolean; Health?: { Status: string } | null }): boolean =>
  state.Running === true && (state.Health == null || state.Health.Status === 'healthy');

/**
 * Asks every host of `stage` which build its managed containers (configured `REGISTRY/REPO:STAGE`) run, by the registry digest
 * their image carries, and whether they are healthy. A host that runs two builds of one repository runs neither.
 */
export async function observeStage(ctx: Pick<StepContext, 'inventory' | 'connectionsOf'>, stage: string, registry: string): Promise<StageObservation> {
  const hosts = [...ctx.inventory.hosts.values()]
    .filter((h) => dockerEndpoint(h.vars) !== undefined && rolloutTag(h.vars) === stage)
    .map((h) => h.name)
    .sort();
  const answers = await mapLimit(hosts, HOSTS_IN_FLIGHT, async (host) => {
    try {
      const engine = await ctx.connectionsOf(host).engine();
      const { managed } = selectManagedContainers(await engine.inspectAllContainers(), { registry, tag: stage });
      const digests = new Map<string, string | undefined>();
      const perRepository = new Map<string, { builds: Set<string | undefined>; healthy: boolean }>();
      for (const container of managed) {
        if (!digests.has(container.Image)) {
          digests.set(container.Image, repoDigestOf((await engine.localImage(container.Image))?.RepoDigests, container.Config.Image));
        }
        const { repository } = parseImageRef(container.Config.Image);
        const seen = perRepository.get(repository) ?? { builds: new Set(), healthy: true };
        seen.builds.add(digests.get(container.Image));
        seen.healthy &&= healthy(container.State);
        perRepository.set(repository, seen);
      }
      return { host, perRepository };
    } catch {
      return { host, perRepository: undefined };
    }
  });
  const runs = new Map<string, Map<string, HostNow>>();
  for (const { host, perRepository } of answers) {
    for (const [repository, seen] of perRepository ?? []) {
      const build = seen.builds.size === 1 ? [...seen.builds][0] : undefined;
      runs.set(repository, (runs.get(repository) ?? new Map()).set(host, { ...(build === undefined ? {} : { build }), healthy: seen.healthy }));
    }
  }
  return { hosts, silent: answers.filter((a) => a.perRepository === undefined).map((a) => a.host), runs };
}
