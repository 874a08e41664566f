import { createRegistryClient, type ClosableRegistryClient } from '../../adapters/registry.js';
import { registryAuth } from '../../adapters/engineImages.js';
import { withDockerCredentials } from '../../adapters/dockerCredentials.js';
import type { EngineAuth } from '../../adapters/engine.js';
import type { RegistryClient } from '../../adapters/types.js';
import { readBlob } from '../../adapters/referrers.js';
import { parseImageRef } from '../../model/imageRef.js';
import { registrySettings } from '../../model/inventory.js';

// Where an upstream image lives: the host's own registry (its settings and credentials), or another one, reached with
// Docker's credentials for that registry alone.

/** What an upstream reference names now. */
export interface UpstreamImage {
  /** Image ID (config digest): what a patch records and compares. */
  id: string;
  /** Digest of what the reference names (an index for a multi-platform image), for `org.opencontainers.image.base.digest`. */
  digest: string;
  /** How many layers the original has (its patch adds one). */
  layers: number;
}

const MAX_CONFIG_BYTES = 8 << 20;

/** Registry settings of another registry than the host's: its name only (Docker Hub's API lives at registry-1.docker.io). */
const otherSettings = (name: string): Record<string, unknown> => ({
  registry: name,
  ...(name === 'docker.io' ? { registry_url: 'https://registry-1.docker.io' } : {}),
});

/** Clients for upstream registries, one per registry, closed together. */
export class UpstreamRegistries {
  private readonly others = new Map<string, ClosableRegistryClient>();

  constructor(
    private readonly own: RegistryClient,
    private readonly vars: Record<string, unknown>,
    private readonly signal: AbortSignal,
  ) {}

  private async client(name: string): Promise<RegistryClient> {
    if (name === this.own.name) return this.own;
    const known = this.others.get(name);
    if (known) return known;
    const settings = await withDockerCredentials(registrySettings(otherSettings(name)));
    const client = createRegistryClient(settings!, { signal: this.signal });
    this.others.set(name, client);
    return client;
  }

  /** What `ref` names now in its registry; undefined when the registry does not serve it. */
  async lookUp(ref: string): Promise<UpstreamImage | undefined> {
    const parsed = parseImageRef(ref);
    const client = await this.client(parsed.registry);
    const config = await client.imageConfig(parsed.repository, parsed.digest ?? parsed.tag ?? 'latest');
    if (config === undefined) return undefined;
    const diffIds = (config.config.rootfs as { diff_ids?: unknown[] } | undefined)?.diff_ids;
    return { id: config.configDigest, digest: config.referenceDigest, layers: Array.isArray(diffIds) ? diffIds.length : 0 };
  }

  /** The upstream's config blob, byte for byte (checked against `id`, its digest): the config a patch keeps. */
  async originalConfig(ref: string, id: string): Promise<Buffer> {
    const parsed = parseImageRef(ref);
    return readBlob(await this.client(parsed.registry), parsed.repository, id, MAX_CONFIG_BYTES);
  }

  /** The `X-Registry-Auth` for pulling `ref`: the host's registry credentials for its own registry, Docker's for another. */
  async pullAuth(ref: string): Promise<EngineAuth> {
    const name = parseImageRef(ref).registry;
    return registryAuth(await withDockerCredentials(registrySettings(name === this.own.name ? this.vars : otherSettings(name))));
  }

  close(): void {
    for (const client of this.others.values()) client.close();
  }
}
