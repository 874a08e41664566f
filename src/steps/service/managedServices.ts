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
  /** Replicas wanted, and at most how many per node (`max_replicas_per_node`), when the spec says. */
  replicas?: number;
  maxPerNode?: number;
}

/**
 * Why a start-first update of the service would never finish, if it would not: each new task needs a slot beside its old
 * one, and with `max_replicas_per_node` × ready nodes no more than the replicas there is none, so a task stays pending.
 */
export function startFirstDeadlock(service: ManagedService, nodes: number): string | undefined {
  if (service.replicas === undefined || service.maxPerNode === undefined || service.maxPerNode === 0) return undefined;
  if (service.maxPerNode * nodes > service.replicas) return undefined;
  return `${service.name}: order start-first cannot finish with ${service.replicas} replicas at most ${service.maxPerNode} per node on ${nodes} ready node${nodes === 1 ? '' : 's'} (a new task has no node to start on); use order: stop-first, or raise max_replicas_per_node`;
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
        ...(service.Spec.Mode?.Replicated?.Replicas !== undefined ? { replicas: service.Spec.Mode.Replicated.Replicas } : {}),
        ...(service.Spec.TaskTemplate.Placement?.MaxReplicas !== undefined ? { maxPerNode: service.Spec.TaskTemplate.Placement.MaxReplicas } : {}),
      },
    ];
  });
}

/** `Update service api to REF@abc (was def)`; without a digest, the build a push of this run is planned to make. */
export const updateSentence = (service: ManagedService, digest: string | undefined): string =>
  `Update service ${service.name} to ${digest !== undefined ? `${service.ref}@${shortDigest(digest)}` : `${service.ref} (a new build, planned by push)`} (was ${service.pinned !== undefined ? shortDigest(service.pinned) : 'unpinned'})`;
