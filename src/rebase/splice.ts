import type { HistoryEntry, Seam } from './seam.js';

// The rebased image as values: its config (the image's own, with the new base's layers and history under its own, and the
// inherited values that follow the base) and its manifest (the new base's layer blobs, then the image's own, unchanged). No
// layer is rebuilt or re-uploaded: only a config and a manifest are new. Pure.

type Json = Record<string, unknown>;

/** A blob a manifest names. */
export interface Descriptor {
  mediaType: string;
  digest: string;
  size: number;
  annotations?: Record<string, string>;
}

export const DOCKER_MANIFEST = 'application/vnd.docker.distribution.manifest.v2+json';
export const OCI_MANIFEST = 'application/vnd.oci.image.manifest.v1+json';

/** The gzip layer type in each manifest family; layers are moved between families by this name alone (same bytes). */
const GZIP_LAYER: Readonly<Record<string, string>> = {
  [DOCKER_MANIFEST]: 'application/vnd.docker.image.rootfs.diff.tar.gzip',
  [OCI_MANIFEST]: 'application/vnd.oci.image.layer.v1.tar+gzip',
};

/** Labels a rebased image carries: what it was built on, and what it stands on now. */
export const LABEL_REBASED_FROM = 'org.freshen.rebase.from';
const LABEL_BASE_DIGEST = 'org.opencontainers.image.base.digest';
const LABEL_BASE_NAME = 'org.opencontainers.image.base.name';
const LABEL_CREATED = 'org.opencontainers.image.created';

const same = (a: unknown, b: unknown): boolean => JSON.stringify(a) === JSON.stringify(b);
const envMap = (env: unknown): Map<string, string> =>
  new Map((Array.isArray(env) ? (env as string[]) : []).map((e) => [e.slice(0, e.indexOf('=') < 0 ? e.length : e.indexOf('=')), e] as const));

/**
 * What the image's container config becomes on the new base. The rule: a value the image inherited from the old base (equal
 * to the old base's) follows the new base, as a rebuild would inherit it; a value the image set itself stays. Env and labels
 * go by variable and by label; every other key (Entrypoint, Cmd, User, WorkingDir, ExposedPorts, Volumes, StopSignal, Shell,
 * Healthcheck) whole. Returns the keys whose value followed the base.
 */
export function inheritedConfig(image: Json, oldBase: Json, newBase: Json): { config: Json; followed: string[] } {
  const config: Json = { ...image };
  const followed: string[] = [];
  const keys = new Set([...Object.keys(image), ...Object.keys(oldBase), ...Object.keys(newBase)]);
  for (const key of keys) {
    if (key === 'Env' || key === 'Labels') continue;
    if (same(image[key], oldBase[key]) && !same(oldBase[key], newBase[key])) {
      if (newBase[key] === undefined) delete config[key];
      else config[key] = newBase[key];
      followed.push(key);
    }
  }
  const [env, envFollowed] = mergeInherited(envMap(image.Env), envMap(oldBase.Env), envMap(newBase.Env));
  if (env.size > 0 || image.Env !== undefined) config.Env = [...env.values()];
  followed.push(...envFollowed.map((name) => `Env ${name}`));
  const labels = (value: unknown) => new Map(Object.entries((value ?? {}) as Record<string, string>));
  const [merged, labelsFollowed] = mergeInherited(labels(image.Labels), labels(oldBase.Labels), labels(newBase.Labels));
  if (merged.size > 0 || image.Labels !== undefined) config.Labels = Object.fromEntries(merged);
  followed.push(...labelsFollowed.map((name) => `label ${name}`));
  return { config, followed };
}

/** Per name: inherited (equal to the old base's) follows the new base, present or gone; the image's own stay; the new base's new ones come in. */
function mergeInherited<V>(image: Map<string, V>, oldBase: Map<string, V>, newBase: Map<string, V>): [Map<string, V>, string[]] {
  const merged = new Map<string, V>();
  const followed: string[] = [];
  for (const [name, value] of image) {
    const inherited = oldBase.has(name) && same(oldBase.get(name), value);
    if (!inherited || same(oldBase.get(name), newBase.get(name))) merged.set(name, value);
    else {
      followed.push(name);
      if (newBase.has(name)) merged.set(name, newBase.get(name)!);
    }
  }
  for (const [name, value] of newBase) {
    if (!merged.has(name) && !oldBase.has(name)) {
      merged.set(name, value);
      followed.push(name);
    }
  }
  return [merged, followed];
}

export interface SpliceInput {
  /** The image's config JSON as parsed, and its seam on the old base. */
  image: Json;
  seam: Extract<Seam, { ok: true }>;
  oldBase: Json;
  newBase: Json;
  /** The new base's manifest digest and reference, for the OCI base labels. */
  newBaseDigest: string;
  newBaseName: string;
  /** The old base's image ID, recorded in LABEL_REBASED_FROM. */
  oldBaseId: string;
  created: Date;
  /** Further labels the caller sets (provenance, package lists); null removes the label. */
  labels?: Readonly<Record<string, string | null>>;
}

/** The rebased image's config: the image's own, with the new base's rootfs and history under its own, and inherited values followed. */
export function splicedConfig(input: SpliceInput): { config: Json; followed: string[] } {
  const newRootfs = (input.newBase.rootfs ?? {}) as { diff_ids?: string[] };
  const newHistory = (Array.isArray(input.newBase.history) ? input.newBase.history : []) as HistoryEntry[];
  const own = (input.image.config ?? {}) as Json;
  const { config, followed } = inheritedConfig(own, (input.oldBase.config ?? {}) as Json, (input.newBase.config ?? {}) as Json);
  config.Labels = {
    ...((config.Labels ?? {}) as Record<string, string>),
    [LABEL_REBASED_FROM]: input.oldBaseId,
    [LABEL_BASE_DIGEST]: input.newBaseDigest,
    [LABEL_BASE_NAME]: input.newBaseName,
    [LABEL_CREATED]: input.created.toISOString(),
  };
  for (const [name, value] of Object.entries(input.labels ?? {})) {
    const labels = config.Labels as Record<string, string>;
    if (value === null) delete labels[name];
    else labels[name] = value;
  }
  return {
    config: {
      ...input.image,
      created: input.created.toISOString(),
      config,
      rootfs: { type: 'layers', diff_ids: [...(newRootfs.diff_ids ?? []), ...input.seam.ownDiffIds] },
      history: [...newHistory, ...input.seam.ownHistory],
    },
    followed,
  };
}

/**
 * The rebased image's manifest in the image's own manifest type: its config, the new base's layers, then the image's own
 * (the same blobs). A layer whose type has no name in that family (zstd in a Docker manifest) cannot be moved: refused.
 */
export function splicedManifest(
  imageManifest: Json,
  config: Descriptor,
  newBaseLayers: readonly Descriptor[],
  baseLayers: number,
): { ok: true; manifest: Json } | { ok: false; reason: string } {
  const mediaType = (imageManifest.mediaType as string | undefined) ?? OCI_MANIFEST;
  const gzip = GZIP_LAYER[mediaType];
  if (gzip === undefined) return { ok: false, reason: `a ${mediaType} manifest cannot be rebased` };
  const known = new Set(Object.values(GZIP_LAYER));
  const moved: Descriptor[] = [];
  for (const layer of newBaseLayers) {
    if (layer.mediaType !== gzip && !known.has(layer.mediaType))
      return { ok: false, reason: `the new base has a ${layer.mediaType} layer, which a ${mediaType} manifest cannot name` };
    moved.push({ ...layer, mediaType: gzip });
  }
  const own = ((imageManifest.layers ?? []) as Descriptor[]).slice(baseLayers);
  return { ok: true, manifest: { ...imageManifest, schemaVersion: 2, mediaType, config, layers: [...moved, ...own] } };
}
