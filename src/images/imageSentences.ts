import { shortDigest } from '../model/imageRef.js';
import type { ManagedImage } from './managedImage.js';

/** `sha256:0123456789ab…`, how results show an image ID or digest. */
export const shownDigest = (digest: string): string => `sha256:${shortDigest(digest)}…`;

/** discover's note for one image: its verdict in a line. */
export function verdictNote(image: Pick<ManagedImage, 'repository' | 'stale' | 'reasons' | 'explanations'>): string {
  if (!image.stale) return `${image.repository}: fresh`;
  return `${image.repository}: stale (${image.reasons.join(', ')}): ${image.explanations.join('; ')}`;
}

/**
 * Why an image is (re)built, to follow "because". Before the build the explanations say it all; after it, a base rebuilt
 * in this run is named as such (`rebuiltBases`: the references of the bases this run has built).
 */
export function becauseClause(image: Pick<ManagedImage, 'bases' | 'reasons' | 'explanations'>, rebuiltBases?: ReadonlySet<string>): string {
  return image.reasons
    .map((reason, i) => {
      const rebuilt = rebuiltBases ? image.bases.filter((b) => rebuiltBases.has(b)) : [];
      if (reason === 'base-rebuilt' && rebuilt.length > 0) return rebuilt.map((b) => `base ${b} was rebuilt`).join('; ');
      return image.explanations[i] ?? reason;
    })
    .join('; ');
}

/** rebuild's check-mode sentence for one image. */
export function plannedBuildSentence(image: Pick<ManagedImage, 'ref' | 'bases' | 'reasons' | 'explanations'>, dateRef: string): string {
  return `Build ${image.ref} and ${dateRef} because ${becauseClause(image)}`;
}

/** rebuild's note for a build discarded because its content equals prod's. */
export function identicalSentence(ref: string, prodImageId: string): string {
  return `${ref}: rebuilt, identical content (same bases, build context and packages as prod ${shownDigest(prodImageId)}); not pushed`;
}

/** rebuild's action for one image it built. */
export function builtSentence(
  image: Pick<ManagedImage, 'ref' | 'bases' | 'reasons' | 'explanations'>,
  imageId: string,
  dateRef: string,
  rebuiltBases: ReadonlySet<string>,
): string {
  const dateTag = dateRef.slice(dateRef.lastIndexOf(':'));
  return `Built ${image.ref} (${shownDigest(imageId)}, also ${dateTag}) because ${becauseClause(image, rebuiltBases)}`;
}

/** One image's verdict for machines (the JSON report's `details.images`). */
export interface ImageVerdictDetails {
  repository: string;
  ref: string;
  stale: boolean;
  reasons: ManagedImage['reasons'];
  explanations: string[];
  /** The final stage's base: the one a rebase is about. */
  final_base?: string;
  packages?: { manager: string; os?: string; outdated: number; list: string[] } | { problem: string };
}

/** discover's machine-readable verdicts, in build order. */
export function discoverDetails(images: readonly ManagedImage[]): { images: ImageVerdictDetails[] } {
  return {
    images: images.map((image) => ({
      repository: image.repository,
      ref: image.ref,
      stale: image.stale,
      reasons: image.reasons,
      explanations: image.explanations,
      ...(image.finalBase !== undefined ? { final_base: image.finalBase } : {}),
      ...(image.packages === undefined
        ? {}
        : image.packages.ok
          ? {
              packages: {
                manager: image.packages.manager,
                ...(image.packages.os ? { os: image.packages.os } : {}),
                outdated: image.packages.outdated.length,
                list: image.packages.outdated.map(shownPackage),
              },
            }
          : { packages: { problem: image.packages.problem } }),
    })),
  };
}

const shownPackage = (p: { name: string; installed?: string; available?: string }): string =>
  p.installed && p.available ? `${p.name} ${p.installed} → ${p.available}` : p.available ? `${p.name} → ${p.available}` : p.name;
