import type { Files } from '../../images/files.js';
import type { HostConnections } from '../../adapters/types.js';
import { mapLimit } from '../../shared/mapLimit.js';
import type { StepContext } from '../types.js';
import { globMatcher } from '../../shared/glob.js';
import type { BackupEndpoint, BackupOptions } from './backupOptions.js';
import { blobKey, changedTags, neededBlobs, neededManifests, planCopy, tagKey, type CopyPlan, type ManifestNode, type SourceTag } from './planCopy.js';
import { upToDateSentence } from './backupSentences.js';
import { layoutStore, registryStore, type ImageStore } from './stores.js';

const READS_IN_FLIGHT = 8;

/** What one backup would do: both ends, the source's manifests (kept to be written byte for byte) and the copy plan. */
export interface BackupPlan {
  options: BackupOptions;
  source: ImageStore;
  destination: ImageStore;
  manifests: Map<string, ManifestNode>;
  copy: CopyPlan;
  notes: string[];
}

/** The other end: a layout on disk, or a registry through the host's connections (which own its client and close it). */
function storeOf(endpoint: BackupEndpoint, chunkSize: number | undefined, connections: HostConnections, files: Files): ImageStore {
  if (endpoint.kind === 'oci_layout') return layoutStore(files.ociLayout(endpoint.dir));
  return registryStore(connections.registryWith(endpoint.settings), { chunkSize });
}

/** Reads the source's selected tags and manifests (children of indexes too), then what the destination lacks; writes nothing. */
export async function planBackup(ctx: StepContext, options: BackupOptions): Promise<BackupPlan> {
  const own = registryStore(ctx.connections.registry(), { chunkSize: options.chunkSize });
  const other = storeOf(options.other, options.chunkSize, ctx.connections, ctx.files);
  const [source, destination] = options.direction === 'to' ? [own, other] : [other, own];
  if (options.other.kind === 'oci_layout' && options.direction === 'from' && !(await ctx.files.ociLayout(options.other.dir).exists())) {
    throw new Error(`backup: ${options.other.dir} is not an OCI image layout (no oci-layout file)`);
  }
  ctx.progress(`Reading repositories and tags from ${source.label}`);
  const repositories = (await source.repositories()).filter(globMatcher(options.repositories)).sort();
  const wantTag = globMatcher(options.tags);
  const tags: SourceTag[] = [];
  const manifests = new Map<string, ManifestNode>();
  for (const repository of repositories) {
    const names = (await source.tags(repository)).filter(wantTag).sort();
    const found = await mapLimit(names, READS_IN_FLIGHT, async (tag) => ({ tag, node: await source.manifest(repository, tag) }));
    for (const { tag, node } of found) {
      // Deleted between the listing and the read: nothing to copy.
      if (node === undefined) continue;
      tags.push({ repository, tag, digest: node.digest });
      await readChildren(source, repository, node, manifests);
    }
  }
  ctx.progress(`Comparing ${tags.length} tags with ${destination.label}`);
  const destDigests = await mapLimit(tags, READS_IN_FLIGHT, (t) => destination.tagDigest(t.repository, t.tag));
  const destTags = new Map(tags.map((t, i) => [tagKey(t), destDigests[i]]));
  const candidates = neededManifests(changedTags(tags, destTags), manifests);
  const present = await mapLimit(candidates, READS_IN_FLIGHT, (m) => destination.hasManifest(m.repository, m.digest));
  const presentManifests = new Set(candidates.filter((_, i) => present[i]).map((m) => `${m.repository}@${m.digest}`));
  const missing = candidates.filter((_, i) => !present[i]);
  const blobs = neededBlobs(missing, manifests, destination.sharedBlobs);
  const sizes = await mapLimit(blobs, READS_IN_FLIGHT, (b) => destination.blobSize(b.repository, b.digest));
  const presentBlobs = new Set(blobs.filter((_, i) => sizes[i] !== undefined).map((b) => blobKey(b.repository, b.digest, destination.sharedBlobs)));
  const copy = planCopy({ tags, destTags, manifests, presentManifests, presentBlobs, sharedBlobs: destination.sharedBlobs });
  const notes = copy.upToDate > 0 ? [upToDateSentence(destination.label, copy.upToDate)] : [];
  if (tags.length === 0) notes.push(`No tags of ${source.label} match the backup's repositories and tags`);
  return { options, source, destination, manifests, copy, notes };
}

/** Reads an index's child manifests (recursively) into `manifests`. */
async function readChildren(source: ImageStore, repository: string, node: ManifestNode, manifests: Map<string, ManifestNode>): Promise<void> {
  manifests.set(node.digest, node);
  for (const child of node.children) {
    if (manifests.has(child.digest)) continue;
    const read = await source.manifest(repository, child.digest, child.mediaType);
    if (read === undefined) throw new Error(`${source.label} lists ${child.digest} in ${repository}@${node.digest} but does not serve it`);
    await readChildren(source, repository, read, manifests);
  }
}
