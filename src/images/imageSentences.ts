import { packageChangeLines, type PackageChanges } from './packages.js';
import { shortDigest } from '../model/imageRef.js';
import type { ManagedImage } from './managedImage.js';
import type { DiscoverDetails } from '../model/stepDetails.js';

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

/** discover's machine-readable verdicts, in build order. */
export function discoverDetails(images: readonly ManagedImage[]): DiscoverDetails {
  return {
    images: images.map((image) => ({
      repository: image.repository,
      ref: image.ref,
      stale: image.stale,
      reasons: image.reasons,
      explanations: image.explanations,
      ...(image.finalBase !== undefined ? { final_base: image.finalBase } : {}),
      ...(image.waitingUntil !== undefined ? { cooldown_until: new Date(image.waitingUntil).toISOString() } : {}),
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

/** How many package lines a note lists before it says how many more there are (the JSON report has them all). */
const PACKAGE_LINES_SHOWN = 40;

/**
 * `Packages of REF, against the build it replaces: 2 changed, 1 added` and one line per package
 * (`perl-base 5.36.0-7+deb12u1 → 5.36.0-7+deb12u2`), or that they are the same.
 */
export function packagesChangedNote(ref: string, changes: PackageChanges): string {
  const lines = packageChangeLines(changes);
  if (lines.length === 0) return `Packages of ${ref}: the same as in the build it replaces`;
  const counts = [
    changes.changed.length > 0 ? `${changes.changed.length} changed` : '',
    changes.added.length > 0 ? `${changes.added.length} added` : '',
    changes.removed.length > 0 ? `${changes.removed.length} removed` : '',
  ].filter(Boolean);
  const more = lines.length > PACKAGE_LINES_SHOWN ? [`… and ${lines.length - PACKAGE_LINES_SHOWN} more (all in the JSON report)`] : [];
  return [`Packages of ${ref}, against the build it replaces: ${counts.join(', ')}`, ...lines.slice(0, PACKAGE_LINES_SHOWN).map((l) => `  ${l}`), ...more].join(
    '\n',
  );
}
