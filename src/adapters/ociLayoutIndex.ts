// The pure parts of an OCI image layout (https://github.com/opencontainers/image-spec/blob/main/image-layout.md): the
// `oci-layout` marker and `index.json`, whose entries name their tags with an annotation.
import { MEDIA_TYPES } from './registryFormats.js';

/** The annotation that names a tagged manifest in `index.json`; freshen writes `repository:tag` so one layout holds many repositories. */
export const REF_NAME_ANNOTATION = 'org.opencontainers.image.ref.name';

/** Content of the `oci-layout` file. */
export const OCI_LAYOUT_MARKER = { imageLayoutVersion: '1.0.0' } as const;

/** A tag held in a layout: which manifest it names. */
export interface LayoutRef {
  repository: string;
  tag: string;
  digest: string;
  mediaType: string;
  size: number;
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
    return [{ ...name, digest: entry.digest, mediaType: entry.mediaType ?? MEDIA_TYPES.ociManifest, size: entry.size ?? 0 }];
  });
}

/**
 * The index with `refs` written in: an entry whose name is already there is replaced in place, new ones are appended in the
 * order given; every other entry and field is kept as it was (a layout may hold tags of other runs, or of other tools).
 */
export function mergeLayoutIndex(index: LayoutIndex, refs: LayoutRef[]): LayoutIndex {
  const entryOf = (ref: LayoutRef) => ({
    mediaType: ref.mediaType,
    digest: ref.digest,
    size: ref.size,
    annotations: { [REF_NAME_ANNOTATION]: refName(ref) },
  });
  const byName = new Map(refs.map((ref) => [refName(ref), ref]));
  const manifests = index.manifests.map((entry) => {
    const name = entry.annotations?.[REF_NAME_ANNOTATION];
    const ref = name === undefined ? undefined : byName.get(name);
    if (ref === undefined) return entry;
    byName.delete(name!);
    return { ...entry, ...entryOf(ref), annotations: { ...entry.annotations, [REF_NAME_ANNOTATION]: refName(ref) } };
  });
  return { ...index, mediaType: index.mediaType ?? MEDIA_TYPES.ociIndex, manifests: [...manifests, ...[...byName.values()].map(entryOf)] };
}
