import type { Engine } from '../adapters/engine.js';

/** A digest a Swarm service pins, and how, e.g. `service api (previous spec, the rollback target)`. */
export interface ServicePin {
  digest: string;
  /** The service's name. */
  service: string;
  use: string;
}

/**
 * On a swarm manager: the digests each service pins now, the one its previous spec pins (what a rollback returns to) and
 * those its tasks still meant to run pin (mid-update, on other nodes). None on an engine that is no manager. gc and prune
 * keep them.
 */
export async function servicePins(engine: Engine): Promise<ServicePin[]> {
  const found: ServicePin[] = [];
  const pinned = (image: string | undefined) => (image?.includes('@') ? image.slice(image.indexOf('@') + 1) : undefined);
  for (const service of (await engine.listServices()) ?? []) {
    const name = service.Spec.Name;
    const current = pinned(service.Spec.TaskTemplate.ContainerSpec?.Image);
    if (current) found.push({ digest: current, service: name, use: `service ${name} (current spec)` });
    const previous = pinned(service.PreviousSpec?.TaskTemplate?.ContainerSpec?.Image);
    if (previous) found.push({ digest: previous, service: name, use: `service ${name} (previous spec, the rollback target)` });
    for (const task of await engine.listTasks(service.ID)) {
      const image = pinned(task.Spec?.ContainerSpec?.Image);
      if (image && task.DesiredState === 'running') found.push({ digest: image, service: name, use: `service ${name} (task ${task.ID.slice(0, 12)})` });
    }
  }
  return found;
}
