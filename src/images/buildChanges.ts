import { shortDigest } from '../model/imageRef.js';
import { LABEL_PACKAGE_LIST, decodePackageList, packageChangeLines, packageChanges } from './packages.js';
import { readProvenance } from './provenance.js';
import { visibleControls } from '../shared/terminalText.js';

// How one build differs from another, from what each records (provenance and package-list labels). Pure.

const short = (digest: string): string => (digest.startsWith('sha256:') ? `${shortDigest(digest)}…` : digest);

/** `base REF: 1a2b… → 3c4d…` for each base whose image differs between two builds (or is used by one only). */
export function baseDifferences(built: Readonly<Record<string, string>>, prod: Readonly<Record<string, string>>): string[] {
  return [...new Set([...Object.keys(built), ...Object.keys(prod)])]
    .sort()
    .filter((base) => built[base] !== prod[base])
    .map((base) => `base ${visibleControls(base)}: ${prod[base] ? short(prod[base]) : 'not used'} → ${built[base] ? short(built[base]) : 'not used'}`);
}

/** Why the newer of two builds differs, and its package changes (one line each); what neither records is left out. */
export interface BuildChanges {
  reasons: string[];
  packages: string[];
}

type Labels = Readonly<Record<string, string>> | null | undefined;

/** What changed from the build labelled `before` to the one labelled `after` (labels are an image's, so a peer's text). */
export function buildChanges(before: Labels, after: Labels): BuildChanges {
  const old = readProvenance(before);
  const now = readProvenance(after);
  const reasons: string[] = [];
  if (old.ok && now.ok) {
    reasons.push(...baseDifferences(now.value.bases, old.value.bases));
    if (old.value.contextDigest !== now.value.contextDigest) {
      reasons.push(`build context ${short(visibleControls(old.value.contextDigest))} → ${short(visibleControls(now.value.contextDigest))}`);
    }
  }
  const listOf = (labels: Labels) => (labels?.[LABEL_PACKAGE_LIST] !== undefined ? decodePackageList(labels[LABEL_PACKAGE_LIST]) : undefined);
  const [oldList, newList] = [listOf(before), listOf(after)];
  const packages = oldList !== undefined && newList !== undefined ? packageChangeLines(packageChanges(oldList, newList)) : [];
  if (packages.length > 0) reasons.push(`${packages.length} package${packages.length === 1 ? '' : 's'} changed`);
  return { reasons, packages };
}
