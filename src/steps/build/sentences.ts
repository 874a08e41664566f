import { shortDigest } from '../../model/imageRef.js';
import type { ManagedImage } from '../../runner/facts.js';

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
