// The pure parts of an OCI image layout (https://github.com/opencontainers/image-spec/blob/main/image-layout.md): the
// `oci-layout` marker and `index.json`, whose entries name their tags with an annotation.
import { MEDIA_TYPES } from './registryFormats.js';
import { isSha256Digest } from '../model/imageRef.js';

/** The annotation that names a tagged manifest in `index.json`; freshen writes `repository:tag` so one layout holds many repositories. */
export const REF_NAME_ANNOTATION = 'org.opencontainers.image.ref.name';

/**
 * On an `index.json` entry that points at an OCI twin (ociTwin.ts): the digest and media type of the manifest the source
 * served, which the layout keeps too, so a restore writes the original bytes under their original digest.
 */
export const ORIGINAL_DIGEST_ANNOTATION = 'org.freshen.original.digest';
export const ORIGINAL_MEDIA_TYPE_ANNOTATION = 'org.freshen.original.media-type';

/** Content of the `oci-layout` file. */
export const OCI_LAYOUT_MARKER = { imageLayoutVersion: '1.0.0' } as const;

/** A tag held in a layout: which manifest it names (the source's own), and the twin `index.json` points at instead, if any. */
export interface LayoutRef {
  repository: string;
  tag: string;
  digest: string;
  mediaType: string;
  size: number;
  twin?: { digest: string; mediaType: string; size: number };
}

/** `index.json` as read: only the fields freshen uses are typed; everything else is kept as it was. */
export interface LayoutIndex {
  schemaVersion: number;
  mediaType?: string;
  manifests: Array<{ mediaType?: string; digest?: string; size?: number; annotations?: Record<string, string> } & Record<string, unknown>>;
  [key: string]: unknown;
}

export const emptyLayoutIndex = (): LayoutIndex => ({ schemaVersion: 2, mediaType: MEDIA_TYPES.ociIndex, manifests: [] });

/** `team/api:prod` → `{repository: 'team/api', tag: 'prod'}`; undefined for a bare tag or anything else (a repository has no `:`). */
export function parseRefName(name: string | undefined): { repository: string; tag: string } | undefined {
  const match = /^([a-z0-9][a-z0-9._/-]*):([A-Za-z0-9_][A-Za-z0-9_.-]{0,127})$/.exec(name ?? '');
  return match === null ? undefined : { repository: match[1]!, tag: match[2]! };
}

export const refName = (ref: { repository: string; tag: string }): string => `${ref.repository}:${ref.tag}`;

/** Validates parsed `index.json` content; throws a sentence naming `file` when it is not an image index. */
export function asLayoutIndex(value: unknown, file: string): LayoutIndex {
  const index = value as Partial<LayoutIndex> | null;
  if (typeof index !== 'object' || index === null || index.schemaVersion !== 2 || !Array.isArray(index.manifests)) {
    throw new Error(`${file} is not an OCI image index (schemaVersion 2 with a manifests list)`);
  }
  return index as LayoutIndex;
}

/** The tags a layout's index names (entries without a `repository:tag` name are not tags freshen can restore). */
export function layoutRefs(index: LayoutIndex): LayoutRef[] {
  return index.manifests.flatMap((entry) => {
    const name = parseRefName(entry.annotations?.[REF_NAME_ANNOTATION]);
    if (name === undefined || typeof entry.digest !== 'string') return [];
    const listed = { digest: entry.digest, mediaType: entry.mediaType ?? MEDIA_TYPES.ociManifest, size: entry.size ?? 0 };
    const original = entry.annotations?.[ORIGINAL_DIGEST_ANNOTATION];
    if (original === undefined || !isSha256Digest(original)) return [{ ...name, ...listed }];
    const mediaType = entry.annotations?.[ORIGINAL_MEDIA_TYPE_ANNOTATION] ?? MEDIA_TYPES.dockerManifest;
    return [{ ...name, digest: original, mediaType, size: 0, twin: listed }];
  });
}

/**
 * The index with `refs` written in: an entry whose name is already there is replaced in place, new ones are appended in the
 * order given; every other entry and field is kept as it was (a layout may hold tags of other runs, or of other tools).
 */
export function mergeLayoutIndex(index: LayoutIndex, refs: LayoutRef[]): LayoutIndex {
  const entryOf = (ref: LayoutRef) => ({
    mediaType: (ref.twin ?? ref).mediaType,
    digest: (ref.twin ?? ref).digest,
    size: (ref.twin ?? ref).size,
    annotations: {
      [REF_NAME_ANNOTATION]: refName(ref),
      ...(ref.twin === undefined ? {} : { [ORIGINAL_DIGEST_ANNOTATION]: ref.digest, [ORIGINAL_MEDIA_TYPE_ANNOTATION]: ref.mediaType }),
    },
  });
  const othersOf = (annotations: Record<string, string> | undefined): Record<string, string> =>
    Object.fromEntries(Object.entries(annotations ?? {}).filter(([key]) => key !== ORIGINAL_DIGEST_ANNOTATION && key !== ORIGINAL_MEDIA_TYPE_ANNOTATION));
  const byName = new Map(refs.map((ref) => [refName(ref), ref]));
  const manifests = index.manifests.map((entry) => {
    const name = entry.annotations?.[REF_NAME_ANNOTATION];
    const ref = name === undefined ? undefined : byName.get(name);
    if (ref === undefined) return entry;
    byName.delete(name!);
    const fresh = entryOf(ref);
    return { ...entry, ...fresh, annotations: { ...othersOf(entry.annotations), ...fresh.annotations } };
  });
  return { ...index, mediaType: index.mediaType ?? MEDIA_TYPES.ociIndex, manifests: [...manifests, ...[...byName.values()].map(entryOf)] };
}
