import { parseImageRef, shortDigest } from '../../model/imageRef.js';
import { formatBytes } from '../../shared/bytes.js';

/** An image on a host, as `GET /images/json` lists it. */
export interface HostImage {
  id: string;
  /** `registry/repo:tag`; Docker's `<none>:<none>` left out. */
  tags: string[];
  /** `registry/repo@sha256:…`: a pulled image keeps these after its tag moved on. */
  digests: string[];
  /** Unix seconds: the build time. */
  created: number;
  size: number;
}

/** A container on a host, any state. */
export interface HostContainer {
  name: string;
  imageId: string;
  /** `Config.Image`, the reference it was created from. */
  configImage: string;
  state: string;
  /** The Swarm service whose task this container is (label `com.docker.swarm.service.name`). */
  swarmService?: string;
}

/** What prune looks at on one host, and its options. */
export interface PruneInput {
  host: string;
  registry: string;
  rolloutTag: string;
  images: HostImage[];
  containers: HostContainer[];
  /** Repository globs below the registry (`team/*`); empty means every repository of the registry. */
  repositories: string[];
  /** Keep each managed container's previous image, for a rollback. */
  keepPrevious: boolean;
  /** Digests Swarm services pin (on a manager): their current and previous specs' images are kept. */
  servicePins?: ReadonlyArray<{ digest: string; service: string; use: string }>;
}

/** One image prune removes: the names to untag, then the ID. */
export interface ImageRemoval {
  id: string;
  /** The name shown: a tag, else a digest reference. */
  name: string;
  tags: string[];
  size: number;
}

export interface PrunePlan {
  host: string;
  removals: ImageRemoval[];
  /** Why images in scope are kept. */
  kept: string[];
}

/** `t-prune/*` → a RegExp; `*` matches any characters, `/` included. */
export const repositoryGlob = (glob: string): RegExp =>
  new RegExp(
    `^${glob
      .split('*')
      .map((part) => part.replace(/[.+?^${}()|[\]\\]/g, '\\$&'))
      .join('.*')}$`,
  );

/** The repository below `registry` that a reference names, or undefined for another registry. */
function repositoryOf(reference: string, registry: string): string | undefined {
  if (!reference.startsWith(`${registry}/`)) return undefined;
  const ref = parseImageRef(reference);
  return ref.registry === registry ? ref.repository : undefined;
}

/**
 * The repository an image belongs to, when every name it has is in the registry and one repository matching the globs;
 * undefined means out of scope (another registry's image, a build intermediate with no name, an image named twice).
 */
export function imageRepository(image: HostImage, registry: string, globs: RegExp[]): string | undefined {
  const names = [...image.tags, ...image.digests];
  const repositories = new Set(names.map((n) => repositoryOf(n, registry)));
  if (names.length === 0 || repositories.size !== 1) return undefined;
  const [repository] = repositories;
  if (repository === undefined) return undefined;
  return globs.length === 0 || globs.some((g) => g.test(repository)) ? repository : undefined;
}

const displayName = (image: HostImage): string => [...image.tags].sort()[0] ?? [...image.digests].sort()[0] ?? image.id;
const short = (id: string): string => `${shortDigest(id)}`;

/**
 * Which images in scope to remove: those no container uses (any state) that are not the previous image of a managed
 * container. The previous image of a container is the newest (by build time) other image of its repository on the host,
 * which after a normal rollout is the one it ran before. Removals come oldest first.
 */
export function planPrune(input: PruneInput): PrunePlan {
  const globs = input.repositories.map(repositoryGlob);
  const users = new Map<string, string[]>();
  for (const c of input.containers) users.set(c.imageId, [...(users.get(c.imageId) ?? []), `${c.name} (${c.state || 'created'})`]);

  const inScope = input.images
    .map((image) => ({ image, repository: imageRepository(image, input.registry, globs) }))
    .filter((x): x is { image: HostImage; repository: string } => x.repository !== undefined);

  const previous = new Map<string, string[]>();
  const pinnedServices = new Set((input.servicePins ?? []).map((pin) => pin.service));
  if (input.keepPrevious) {
    for (const c of input.containers) {
      const ref = parseImageRef(c.configImage);
      if (ref.registry !== input.registry || ref.tag !== input.rolloutTag) continue;
      // A managed container names the tag alone. A Swarm task always pins a digest (that is how Swarm runs a tag); where
      // its service's specs are known (a manager) they say what to keep, and on a worker, which cannot read them, the
      // running task's image is what says which came before: the newest older build of the repository on this node.
      const task = c.swarmService !== undefined;
      if (task ? c.state !== 'running' || pinnedServices.has(c.swarmService!) : ref.digest !== undefined) continue;
      const who = task ? `service ${c.swarmService} (task ${c.name})` : `container ${c.name}`;
      const current = inScope.find((x) => x.image.id === c.imageId)?.image.created ?? Infinity;
      const candidates = inScope
        .filter((x) => x.repository === ref.repository && x.image.id !== c.imageId && (!task || x.image.created < current))
        .sort((a, b) => b.image.created - a.image.created);
      const newest = candidates[0];
      if (newest) previous.set(newest.image.id, [...(previous.get(newest.image.id) ?? []), who]);
    }
  }

  const pinnedBy = (image: HostImage): string[] =>
    (input.servicePins ?? []).filter((pin) => image.digests.some((d) => d.endsWith(`@${pin.digest}`))).map((pin) => pin.use);

  const removals: ImageRemoval[] = [];
  const kept: string[] = [];
  for (const { image } of [...inScope].sort((a, b) => a.image.created - b.image.created || a.image.id.localeCompare(b.image.id))) {
    const name = `${displayName(image)} (${short(image.id)})`;
    const usedBy = users.get(image.id);
    const previousOf = previous.get(image.id);
    if (usedBy) kept.push(`Kept ${name} on ${input.host}: used by container ${usedBy.join(', ')}`);
    // On a manager the specs say why, which beats what the node's tasks suggest.
    else if (pinnedBy(image).length > 0) kept.push(`Kept ${name} on ${input.host}: pinned by ${[...new Set(pinnedBy(image))].join(', ')}`);
    else if (previousOf) kept.push(`Kept ${name} on ${input.host}: previous image of ${previousOf.join(', ')}, for a rollback`);
    else removals.push({ id: image.id, name: displayName(image), tags: image.tags, size: image.size });
  }
  return { host: input.host, removals, kept };
}

/** `Remove image 127.0.0.1:5055/lab/web:20261101-0300 (3f2a…, 1.2 MiB) from web3`; past tense once done. */
export const removalSentence = (host: string, r: ImageRemoval, done: boolean): string =>
  `${done ? 'Removed' : 'Remove'} image ${r.name} (${short(r.id)}, ${formatBytes(r.size)}) from ${host}`;
