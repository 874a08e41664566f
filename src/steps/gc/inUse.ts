import { errorMessage } from '../../adapters/errors.js';
import { dockerEndpoint } from '../../model/inventory.js';
import { mapLimit } from '../../shared/mapLimit.js';
import type { StepContext } from '../types.js';
import { GcRefusal } from './refusal.js';
import { servicePins } from '../../containers/servicePins.js';

/** Image ID (config digest) → who uses it, e.g. `web2 container api (running)`. */
export type ImagesInUse = Map<string, string[]>;

/** What the inventory's Docker hosts use: images by ID (containers), and manifest digests that Swarm services pin. */
export interface InUse {
  images: ImagesInUse;
  /** Manifest (or index) digest → who uses it, e.g. `swarm1 service api (previous spec, the rollback target)`. */
  manifests: Map<string, string[]>;
}

const LIST_TIMEOUT_MS = 60_000;

/**
 * Every image that any container (running or not) uses on any inventory host with a `docker` endpoint. If one host cannot
 * be asked, nobody can say an image is unused: throws `in-use-unknown` naming the hosts.
 */
export async function collectImagesInUse(ctx: Pick<StepContext, 'inventory' | 'connectionsOf' | 'progress'>): Promise<InUse> {
  const hosts = [...ctx.inventory.hosts.values()].filter((h) => dockerEndpoint(h.vars) !== undefined).map((h) => h.name);
  ctx.progress(`Listing containers on ${hosts.length} Docker host${hosts.length === 1 ? '' : 's'}`);
  const answers = await mapLimit(hosts, 4, async (host) => {
    try {
      const ask = async () => {
        const engine = await ctx.connectionsOf(host).engine();
        return Promise.all([engine.listContainers(), servicePins(engine)]);
      };
      const [containers, services] = await withTimeout(ask(), LIST_TIMEOUT_MS);
      return { host, containers, services };
    } catch (error) {
      return { host, error: errorMessage(error) };
    }
  });
  const silent = answers.filter((a) => a.error !== undefined);
  if (silent.length > 0) {
    const which = silent.map((a) => `${a.host} (${a.error})`).join('; ');
    throw new GcRefusal(`Cannot tell which images are in use, so deleting nothing: Docker did not answer on ${which}`, 'in-use-unknown');
  }
  const images: ImagesInUse = new Map();
  const manifests = new Map<string, string[]>();
  const add = (map: Map<string, string[]>, key: string, use: string) => map.set(key, [...(map.get(key) ?? []), use]);
  for (const { host, containers = [], services = [] } of answers) {
    for (const c of containers) {
      const name = (c.Names?.[0] ?? c.Id.slice(0, 12)).replace(/^\//, '');
      add(images, c.ImageID, `${host} container ${name} (${c.State === 'running' ? 'running' : c.State || 'not running'})`);
    }
    for (const { digest, use } of services) add(manifests, digest, `${host} ${use}`);
  }
  return { images, manifests };
}

function withTimeout<T>(promise: Promise<T>, ms: number): Promise<T> {
  let timer: NodeJS.Timeout | undefined;
  const timeout = new Promise<never>((_, reject) => {
    timer = setTimeout(() => reject(new Error(`no answer within ${ms / 1000}s`)), ms);
  });
  return Promise.race([promise, timeout]).finally(() => clearTimeout(timer));
}
