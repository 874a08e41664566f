import type { EngineAuth } from '../../adapters/engine.js';
import type { HostConnections, RegistryClient } from '../../adapters/types.js';
import { readBlob } from '../../adapters/referrers.js';
import { parseImageRef } from '../../model/imageRef.js';
import { imageCreated } from '../../images/provenance.js';

// Where an upstream image lives: the host's own registry (its settings and credentials), or another one, reached through the
// host's connections with Docker's credentials for that registry alone.

/** What an upstream reference names now. */
export interface UpstreamImage {
  /** Image ID (config digest): what a patch records and compares. */
  id: string;
  /** Digest of what the reference names (an index for a multi-platform image), for `org.opencontainers.image.base.digest`. */
  digest: string;
  /** How many layers the original has (its patch adds one). */
  layers: number;
  /** When it was made (`org.opencontainers.image.created`, else the config's `created`): what the cooldown judges. */
  created?: string;
}

const MAX_CONFIG_BYTES = 8 << 20;

/** Clients for upstream registries: the host's own, or another through the host's connections (one client per registry). */
export class UpstreamRegistries {
  constructor(private readonly connections: HostConnections) {}

  private client(name: string): Promise<RegistryClient> {
    const own = this.connections.registry();
    return name === own.name ? Promise.resolve(own) : this.connections.otherRegistry(name);
  }

  /** What `ref` names now in its registry; undefined when the registry does not serve it. */
  async lookUp(ref: string): Promise<UpstreamImage | undefined> {
    const parsed = parseImageRef(ref);
    const client = await this.client(parsed.registry);
    const config = await client.imageConfig(parsed.repository, parsed.digest ?? parsed.tag ?? 'latest');
    if (config === undefined) return undefined;
    const diffIds = (config.config.rootfs as { diff_ids?: unknown[] } | undefined)?.diff_ids;
    const created = imageCreated(config.config);
    return {
      id: config.configDigest,
      digest: config.referenceDigest,
      layers: Array.isArray(diffIds) ? diffIds.length : 0,
      ...(created !== undefined ? { created } : {}),
    };
  }

  /** The upstream's config blob, byte for byte (checked against `id`, its digest): the config a patch keeps. */
  async originalConfig(ref: string, id: string): Promise<Buffer> {
    const parsed = parseImageRef(ref);
    return readBlob(await this.client(parsed.registry), parsed.repository, id, MAX_CONFIG_BYTES);
  }

  /** The `X-Registry-Auth` for pulling `ref`: the host's registry credentials for its own registry, Docker's for another. */
  pullAuth(ref: string): Promise<EngineAuth> {
    const name = parseImageRef(ref).registry;
    return name === this.connections.registry().name ? this.connections.engineAuth() : this.connections.otherEngineAuth(name);
  }
}
