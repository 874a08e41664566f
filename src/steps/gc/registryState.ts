import type { RegistryClient } from '../../adapters/types.js';
import { mapLimit } from '../../shared/mapLimit.js';
import type { TaggedDigest } from './retention.js';

/** A managed repository's tags with the manifest digest each points at. */
export interface RepositoryTags {
  repository: string;
  tags: TaggedDigest[];
}

/** Every repository in the catalog that carries the rollout tag, with each tag resolved to its digest (HEAD requests). */
export async function readManagedRepositories(registry: RegistryClient, rolloutTag: string): Promise<RepositoryTags[]> {
  const catalog = await registry.catalog();
  const listed = await mapLimit(catalog, 4, async (repository) => ({ repository, tags: await registry.tags(repository) }));
  const managed = listed.filter((r) => r.tags.includes(rolloutTag));
  return mapLimit(managed, 2, async ({ repository, tags }) => {
    const resolved = await mapLimit(tags, 4, async (tag) => ({ tag, digest: await registry.manifestDigest(repository, tag) }));
    // A tag deleted between listing and HEAD simply drops out.
    return { repository, tags: resolved.filter((t): t is TaggedDigest => t.digest !== undefined) };
  });
}
