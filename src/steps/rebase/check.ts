import { Readable } from 'node:stream';
import { listRegistryLayer } from '../../adapters/layerListing.js';
import { sha256Digest } from '../../adapters/registryFormats.js';
import { readBlob } from '../../adapters/referrers.js';
import type { RegistryClient, RegistryManifest } from '../../adapters/types.js';
import type { LayerEntry } from '../../rebase/layerEntries.js';
import { changedPaths, rebaseSafety, refusal, treeOf } from '../../rebase/safety.js';
import { findSeam, layerStackOf, type Seam } from '../../rebase/seam.js';
import { splicedConfig, splicedManifest } from '../../rebase/splice.js';
import { PACKAGE_FILES, basePackages, filesAfter, type BasePackages, type ListedLayer } from '../../rebase/basePackages.js';

// Whether an image can be moved onto a new base without a rebuild, read from the registry alone: the image's and both bases'
// configs, and the layers needed to know what the new base changed and what the image's own layers touch. Nothing is
// pulled into an engine and nothing is written by the check; the `rebase` step plans with it and applies with writeRebased.

const MAX_CONFIG_BYTES = 8 << 20;

interface Layer {
  mediaType: string;
  digest: string;
  size: number;
}

/** A passed check carries what it read (the manifest and the three configs), so the write reads nothing again. */
export type RebaseCheck =
  | {
      ok: true;
      seam: Extract<Seam, { ok: true }>;
      baseChanged: number;
      oldBaseLayers: Layer[];
      newBaseLayers: Layer[];
      ownLayers: Layer[];
      manifest: RegistryManifest;
      configs: { image: Record<string, unknown>; oldBase: Record<string, unknown>; newBase: Record<string, unknown> };
      newBaseDigest: string;
      /** The new base's image ID (its config digest), what the provenance label records. */
      newBaseId: string;
      /** The installed packages of the old and the new base, read from their layers (the image's own cannot touch them). */
      packages: { oldBase: BasePackages; newBase: BasePackages };
    }
  | { ok: false; reason: string };

/**
 * Listings of layers by blob digest, shared by the checks of one plan: a hundred images on one base read the base's layers
 * once. A listing is of content (the digest is checked as it streams), so sharing it across repositories is safe.
 */
export type LayerListings = Map<string, Promise<ListedLayer>>;

interface ImageAt {
  repository: string;
  /** A tag or a manifest digest. */
  reference: string;
}

/** A single-platform image's manifest and parsed config; an index is refused (one platform at a time is not built yet). */
async function imageOf(
  registry: RegistryClient,
  at: ImageAt,
): Promise<{ manifest: RegistryManifest; layers: Layer[]; config: Record<string, unknown> } | { reason: string }> {
  const manifest = await registry.manifest(at.repository, at.reference);
  if (manifest === undefined) return { reason: `${registry.name}/${at.repository}:${at.reference} is not in the registry` };
  const config = manifest.body.config as { digest?: string } | undefined;
  if (typeof config?.digest !== 'string' || !Array.isArray(manifest.body.layers))
    return { reason: `${at.repository}@${manifest.digest} is not a single-platform image` };
  const bytes = await readBlob(registry, at.repository, config.digest, MAX_CONFIG_BYTES);
  return { manifest, layers: manifest.body.layers as Layer[], config: JSON.parse(bytes.toString('utf8')) as Record<string, unknown> };
}

/**
 * Checks `image` (built on the base whose image ID is `oldBaseId`, in `baseRepository`) against the new base `newBase`: the
 * seam, then the trees of the old and new base (layers they share by digest are listed once), then the image's own layers
 * against what changed. Each listed layer's diff ID is held to the config's, so what is judged is what the image names.
 */
export async function checkRebase(
  registry: RegistryClient,
  image: ImageAt,
  baseRepository: string,
  oldBaseId: string,
  newBase: ImageAt,
  signal?: AbortSignal,
  listed: LayerListings = new Map(),
): Promise<RebaseCheck> {
  const found = await imageOf(registry, image);
  if ('reason' in found) return { ok: false, reason: found.reason };
  const oldConfig = JSON.parse((await readBlob(registry, baseRepository, oldBaseId, MAX_CONFIG_BYTES)).toString('utf8')) as Record<string, unknown>;
  const stack = layerStackOf(found.config);
  const oldStack = layerStackOf(oldConfig);
  if (stack === undefined || oldStack === undefined) return { ok: false, reason: "the image's or the old base's config lists no layers" };
  const seam = findSeam(stack, oldStack);
  if (!seam.ok) return seam;
  const next = await imageOf(registry, newBase);
  if ('reason' in next) return { ok: false, reason: next.reason };
  const newStack = layerStackOf(next.config);
  if (newStack === undefined || newStack.diffIds.length !== next.layers.length) return { ok: false, reason: "the new base's config does not match its layers" };

  // Each layer is read once, however many of the stacks (and of the images checked with the same `listed`) name it; the
  // package files are kept from every one (small files).
  const list = (repository: string, layer: Layer, diffId: string): Promise<ListedLayer> => {
    const known = listed.get(layer.digest);
    if (known !== undefined) return known;
    const reading = listRegistryLayer(registry, repository, layer, signal, PACKAGE_FILES).then(({ entries, diffId: read, kept }) => {
      if (read !== diffId) throw new Error(`layer ${layer.digest} of ${repository} unpacks to ${read}, not the ${diffId} its config names`);
      return { entries, kept };
    });
    listed.set(layer.digest, reading);
    return reading;
  };
  const oldLayers = await Promise.all(found.layers.slice(0, seam.baseLayers).map((l, i) => list(image.repository, l, oldStack.diffIds[i]!)));
  const newLayers = await Promise.all(next.layers.map((l, i) => list(newBase.repository, l, newStack.diffIds[i]!)));
  const entriesOf = (layers: ListedLayer[]): LayerEntry[][] => layers.map((l) => [...l.entries]);
  const oldTree = treeOf(entriesOf(oldLayers));
  const newTree = treeOf(entriesOf(newLayers));
  const baseChanged = changedPaths(oldTree, newTree);
  const ownLayers = found.layers.slice(seam.baseLayers);
  const own = entriesOf(await Promise.all(ownLayers.map((l, i) => list(image.repository, l, seam.ownDiffIds[i]!))));
  const safety = rebaseSafety(own, baseChanged);
  if (!safety.ok) return { ok: false, reason: refusal(safety) };
  return {
    ok: true,
    seam,
    baseChanged: baseChanged.size,
    oldBaseLayers: found.layers.slice(0, seam.baseLayers),
    newBaseLayers: next.layers,
    ownLayers,
    manifest: found.manifest,
    configs: { image: found.config, oldBase: oldConfig, newBase: next.config },
    newBaseDigest: next.manifest.digest,
    newBaseId: (next.manifest.body.config as { digest: string }).digest,
    packages: {
      oldBase: basePackages(filesAfter(oldLayers), new Set(oldTree.keys())),
      newBase: basePackages(filesAfter(newLayers), new Set(newTree.keys())),
    },
  };
}

/** What a rebase wrote: the new manifest's digest under `tag`, and which inherited config values followed the new base. */
export interface Rebased {
  digest: string;
  configDigest: string;
  followed: string[];
  /** What went up: the config once and the manifest per tag (no layer). */
  bytesUploaded: number;
}

/** Where and how a passed check's image is written. */
export interface RebaseWrite {
  /** The image's repository, and the tags the rebased manifest gets, in order. */
  repository: string;
  tags: readonly string[];
  /** The old base's image ID (recorded as what the image was rebased from). */
  oldBaseId: string;
  /** The new base's repository (its layers are mounted from there) and the name the base label gives it. */
  baseRepository: string;
  baseName: string;
  created: Date;
  /** Further labels on the config (null removes one). */
  labels?: Readonly<Record<string, string | null>>;
}

/**
 * Writes the rebased image of a passed check: its config (uploaded, a few kilobytes), the new base's layers mounted into the
 * image's repository from the base's (never uploaded again), and the manifest under each tag. No layer is built or pulled.
 */
export async function writeRebased(registry: RegistryClient, check: Extract<RebaseCheck, { ok: true }>, write: RebaseWrite): Promise<Rebased> {
  const { repository, tags } = write;
  const { config, followed } = splicedConfig({
    image: check.configs.image,
    seam: check.seam,
    oldBase: check.configs.oldBase,
    newBase: check.configs.newBase,
    newBaseDigest: check.newBaseDigest,
    newBaseName: write.baseName,
    oldBaseId: write.oldBaseId,
    created: write.created,
    ...(write.labels !== undefined ? { labels: write.labels } : {}),
  });
  const configBytes = Buffer.from(JSON.stringify(config));
  const configDigest = sha256Digest(configBytes);
  if ((await registry.blobSize(repository, configDigest)) === undefined) {
    await registry.uploadBlob(repository, configDigest, configBytes.length, Readable.from([configBytes]));
  }
  for (const layer of check.newBaseLayers) {
    if ((await registry.blobSize(repository, layer.digest)) !== undefined) continue;
    if (!(await registry.mountBlob(repository, layer.digest, write.baseRepository))) {
      throw new Error(`the registry would not mount ${layer.digest} from ${write.baseRepository} into ${repository}`);
    }
  }
  const configType = (check.manifest.body.config as { mediaType: string }).mediaType;
  const spliced = splicedManifest(
    check.manifest.body,
    { mediaType: configType, digest: configDigest, size: configBytes.length },
    check.newBaseLayers,
    check.seam.baseLayers,
  );
  if (!spliced.ok) throw new Error(spliced.reason);
  const raw = Buffer.from(JSON.stringify(spliced.manifest));
  let digest = '';
  for (const tag of tags) digest = await registry.putManifest(repository, tag, { mediaType: spliced.manifest.mediaType as string, raw });
  return { digest, configDigest, followed, bytesUploaded: configBytes.length + raw.length * tags.length };
}
