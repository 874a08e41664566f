import { parseImageRef } from '../model/imageRef.js';
import type { ManagedImage, PackageProbeFacts } from './managedImage.js';
import { buildOrder, treeDependencies } from './graph.js';
import type { ProvenanceRead } from './provenance.js';
import { verdictNote } from './imageSentences.js';
import { staleVerdict } from './staleness.js';

/** A managed tree image with what discover looked up about it. */
export interface ImageFacts {
  repository: string;
  dir: string;
  /** Whether the registry serves `repository:tag`. */
  published: boolean;
  /** Image ID (config digest) the registry serves as `repository:tag`. */
  prodImageId?: string;
  provenance?: ProvenanceRead;
  bases: string[];
  /** The final stage's base (`scratch` included). */
  finalBase?: string;
  contextDigest: string;
  /** When the prod image was built (ISO 8601). */
  created?: string;
  packages?: PackageProbeFacts;
}

/** The tree, looked up: discover's plan is computed from this alone. */
export interface TreeFacts {
  registry: string;
  tag: string;
  force: boolean | readonly string[];
  buildArgs: Record<string, string>;
  images: ImageFacts[];
  /** The registry's image ID for each base that is not a tree image (undefined: absent); foreign bases have no key. */
  baseIds: ReadonlyMap<string, string | undefined>;
  maxAgeMs?: number;
  now?: Date;
  /** discover's `cooldown`, and when each looked-up base's current image was created (its config's `created`). */
  cooldownMs?: number;
  baseCreated?: ReadonlyMap<string, string>;
}

export type TreeAssessment = { ok: true; images: ManagedImage[]; notes: string[] } | { ok: false; error: string };

/** The base references discover must look up in the registry: those in this registry that are not tree images. */
export function externalBasesToLookUp(images: readonly Pick<ImageFacts, 'bases'>[], registry: string, tag: string, tree: ReadonlySet<string>): string[] {
  const refs = images.flatMap((image) =>
    image.bases.filter((base) => parseImageRef(base).registry === registry && treeDependencies([base], registry, tag, tree).length === 0),
  );
  return [...new Set(refs)].sort();
}

/**
 * Orders the managed images so bases come first and gives each its verdict (a note per image, in build order); an in-tree
 * base's staleness carries to its dependents.
 */
export function assessTree(facts: TreeFacts): TreeAssessment {
  const tree = new Set(facts.images.map((i) => i.repository));
  const byRepository = new Map(facts.images.map((i) => [i.repository, i]));
  const dependsOn = new Map(facts.images.map((i) => [i.repository, treeDependencies(i.bases, facts.registry, facts.tag, tree)]));
  const order = buildOrder([...dependsOn].map(([repository, deps]) => ({ repository, dependsOn: deps })));
  if (!order.ok) return { ok: false, error: `the tree's images depend on each other in a cycle: ${order.cycle.join(' → ')}` };

  const notes: string[] = [];
  const forced = new Set(facts.force === true ? tree : facts.force === false ? [] : facts.force);
  for (const name of forced) if (!tree.has(name)) notes.push(`force names ${name}, which is not a managed image of the tree`);

  const stale = new Set<string>();
  const images: ManagedImage[] = [];
  for (const repository of order.order) {
    const image = byRepository.get(repository)!;
    const ref = `${facts.registry}/${repository}:${facts.tag}`;
    const rebuiltBases = new Set<string>();
    const currentBaseIds = new Map(facts.baseIds);
    for (const base of image.bases) {
      const [dep] = treeDependencies([base], facts.registry, facts.tag, tree);
      if (dep === undefined) continue;
      if (stale.has(dep)) rebuiltBases.add(base);
      else currentBaseIds.set(base, byRepository.get(dep)!.prodImageId);
    }
    const verdict = staleVerdict({
      ref,
      published: image.published,
      forced: forced.has(repository),
      ...(image.provenance ? { provenance: image.provenance } : {}),
      bases: image.bases,
      rebuiltBases,
      currentBaseIds,
      contextDigest: image.contextDigest,
      ...(image.finalBase !== undefined ? { finalBase: image.finalBase } : {}),
      ...(facts.maxAgeMs !== undefined ? { maxAgeMs: facts.maxAgeMs } : {}),
      ...(image.created !== undefined ? { created: image.created } : {}),
      ...(facts.now !== undefined ? { now: facts.now } : {}),
      ...(image.packages !== undefined ? { packages: image.packages } : {}),
      ...(facts.cooldownMs !== undefined ? { cooldownMs: facts.cooldownMs } : {}),
      ...(facts.baseCreated !== undefined ? { baseCreated: facts.baseCreated } : {}),
    });
    if (verdict.stale) stale.add(repository);
    const managed: ManagedImage = {
      repository,
      dir: image.dir,
      ref,
      tag: facts.tag,
      bases: image.bases,
      dependsOn: dependsOn.get(repository)!,
      contextDigest: image.contextDigest,
      stale: verdict.stale,
      reasons: verdict.reasons,
      explanations: verdict.explanations,
      buildArgs: facts.buildArgs,
      ...(image.finalBase !== undefined ? { finalBase: image.finalBase } : {}),
      ...(image.packages !== undefined ? { packages: image.packages } : {}),
      ...(verdict.waitingUntil !== undefined ? { waitingUntil: verdict.waitingUntil } : {}),
    };
    images.push(managed);
    notes.push(verdictNote(managed), ...verdict.notes.map((n) => `${repository}: ${n}`));
  }
  return { ok: true, images, notes };
}
