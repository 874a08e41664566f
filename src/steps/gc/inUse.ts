import { errorMessage } from '../../adapters/errors.js';
import { dockerEndpoint } from '../../model/inventory.js';
import { mapLimit } from '../../shared/mapLimit.js';
import type { StepContext } from '../types.js';
import { GcRefusal } from './refusal.js';

/** Image ID (config digest) → who uses it, e.g. `web2 container api (running)`. */
export type ImagesInUse = Map<string, string[]>;

const LIST_TIMEOUT_MS = 60_000;

/**
 * Every image that any container (running or not) uses on any inventory host with a `docker` endpoint. If one host cannot
 * be asked, nobody can say an image is unused: throws `in-use-unknown` naming the hosts.
 */
export async function collectImagesInUse(ctx: Pick<StepContext, 'inventory' | 'connectionsOf' | 'progress'>): Promise<ImagesInUse> {
  const hosts = [...ctx.inventory.hosts.values()].filter((h) => dockerEndpoint(h.vars) !== undefined).map((h) => h.name);
  ctx.progress(`Listing containers on ${hosts.length} Docker host${hosts.length === 1 ? '' : 's'}`);
  const answers = await mapLimit(hosts, 4, async (host) => {
    try {
      return { host, containers: await withTimeout(listContainers(ctx, host), LIST_TIMEOUT_MS) };
    } catch (error) {
      return { host, error: errorMessage(error) };
    }
  });
  const silent = answers.filter((a) => a.error !== undefined);
  if (silent.length > 0) {
    const which = silent.map((a) => `${a.host} (${a.error})`).join('; ');
    throw new GcRefusal(`Cannot tell which images are in use, so deleting nothing: Docker did not answer on ${which}`, 'in-use-unknown');
  }
  const inUse: ImagesInUse = new Map();
  for (const { host, containers = [] } of answers) {
    for (const c of containers) {
      const name = (c.Names?.[0] ?? c.Id.slice(0, 12)).replace(/^\//, '');
      const use = `${host} container ${name} (${c.State === 'running' ? 'running' : c.State || 'not running'})`;
      inUse.set(c.ImageID, [...(inUse.get(c.ImageID) ?? []), use]);
    }
  }
  return inUse;
}

async function listContainers(ctx: Pick<StepContext, 'connectionsOf'>, host: string) {
  const engine = await ctx.connectionsOf(host).engine();
  return engine.listContainers();
}

function withTimeout<T>(promise: Promise<T>, ms: number): Promise<T> {
  let timer: NodeJS.Timeout | undefined;
  const timeout = new Promise<never>((_, reject) => {
    timer = setTimeout(() => reject(new Error(`no answer within ${ms / 1000}s`)), ms);
  });
  return Promise.race([promise, timeout]).finally(() => clearTimeout(timer));
}
