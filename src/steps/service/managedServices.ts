import { parseImageRef, shortDigest } from '../../model/imageRef.js';
import type { SwarmService } from '../../adapters/engineServices.js';

/** A Swarm service whose image is `REGISTRY/REPO:ROLLOUT_TAG`, with or without a pinned digest. */
export interface ManagedService {
  id: string;
  name: string;
  repository: string;
  /** `REGISTRY/REPO:TAG`, without the digest. */
  ref: string;
  /** The digest the spec pins; undefined when the spec names the tag alone. */
  pinned?: string;
  /** Set when an update is running (Swarm's `updating` or a rollback): such a service is reported, not fought over. */
  busy?: string;
}

/** States in which Swarm itself is still moving the service. */
const BUSY = new Set(['updating', 'rollback_started']);

/** The services freshen manages on this manager: the registry's and the rollout tag's, unless labelled `freshen.enable=false`. */
export function managedServices(services: readonly SwarmService[], registry: string, tag: string): ManagedService[] {
  return services.flatMap((service) => {
    const image = service.Spec.TaskTemplate.ContainerSpec?.Image;
    if (image === undefined || service.Spec.Labels?.['freshen.enable'] === 'false') return [];
    const parsed = parseImageRef(image);
    if (parsed.registry !== registry || parsed.tag !== tag) return [];
    const state = service.UpdateStatus?.State;
    return [
      {
        id: service.ID,
        name: service.Spec.Name,
        repository: parsed.repository,
        ref: `${registry}/${parsed.repository}:${tag}`,
        ...(parsed.digest !== undefined ? { pinned: parsed.digest } : {}),
        ...(state !== undefined && BUSY.has(state) ? { busy: state } : {}),
      },
    ];
  });
}

export const updateSentence = (service: ManagedService, digest: string): string =>
  `Update service ${service.name} to ${service.ref}@${shortDigest(digest)} (was ${service.pinned !== undefined ? shortDigest(service.pinned) : 'unpinned'})`;
