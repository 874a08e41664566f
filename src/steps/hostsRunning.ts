import { dockerEndpoint } from '../model/inventory.js';
import { mapLimit } from '../shared/mapLimit.js';
import type { StepContext } from './types.js';

const HOSTS_IN_FLIGHT = 4;

/**
 * Which inventory hosts run a container of each image (by image ID, the config digest): `web1 (api)` per running container.
 * A host that does not answer is left out of every list; what it runs is unknown, so the lists say what is known, no more.
 */
export async function hostsRunning(
  ctx: Pick<StepContext, 'inventory' | 'connectionsOf' | 'progress'>,
  imageIds: ReadonlySet<string>,
): Promise<{ running: Map<string, string[]>; silent: string[] }> {
  const hosts = [...ctx.inventory.hosts.values()].filter((h) => dockerEndpoint(h.vars) !== undefined).map((h) => h.name);
  const running = new Map<string, string[]>();
  if (imageIds.size === 0 || hosts.length === 0) return { running, silent: [] };
  ctx.progress(`Listing containers on ${hosts.length} Docker host${hosts.length === 1 ? '' : 's'}`);
  const answers = await mapLimit(hosts, HOSTS_IN_FLIGHT, async (host) => {
    try {
      return { host, containers: await (await ctx.connectionsOf(host).engine()).listContainers() };
    } catch {
      return { host, containers: undefined };
    }
  });
  for (const { host, containers = [] } of answers) {
    for (const c of containers) {
      if (c.State !== 'running' || !imageIds.has(c.ImageID)) continue;
      const name = (c.Names?.[0] ?? c.Id.slice(0, 12)).replace(/^\//, '');
      running.set(c.ImageID, [...(running.get(c.ImageID) ?? []), `${host} (${name})`]);
    }
  }
  return { running, silent: answers.filter((a) => a.containers === undefined).map((a) => a.host) };
}
