import type Docker from 'dockerode';
import type { Readable } from 'node:stream';
import type { Engine } from './engine.js';
import type { RegistrySettings } from '../model/inventory.js';

/** Output of one command run over SSH. */
export interface ExecResult {
  code: number;
  stdout: string;
  stderr: string;
}

/** One SSH connection to a host, reused for every command of a run. */
export interface SshSession {
  exec(command: string, options?: { signal?: AbortSignal; timeoutMs?: number }): Promise<ExecResult>;
  close(): Promise<void>;
}

/** A manifest as the registry served it. */
export interface RegistryManifest {
  digest: string;
  mediaType: string;
  /** Raw bytes, so a manifest can be put back byte for byte (its digest depends on them). */
  raw: Buffer;
  body: Record<string, unknown>;
}

/** An image's config blob: its digest is the image ID Docker shows locally. */
export interface RegistryImageConfig {
  /** Digest of the manifest that was resolved (the platform manifest for an index). */
  manifestDigest: string;
  /** Digest of what the reference itself names (the index, for a multi-platform image): what a HEAD of it would answer. */
  referenceDigest: string;
  /** The config blob's digest, equal to the local image ID. */
  configDigest: string;
  config: { created?: string; config?: { Labels?: Record<string, string> | null } } & Record<string, unknown>;
}

/** The Docker Registry HTTP API v2 / OCI distribution API, the calls freshen needs. */
export interface RegistryClient {
  /** `host[:port]`, the image name prefix. */
  readonly name: string;
  ping(): Promise<void>;
  catalog(): Promise<string[]>;
  /** Tags of a repository; empty when the repository does not exist. */
  tags(repository: string): Promise<string[]>;
  /** HEAD on a manifest: its digest, or undefined when absent. */
  manifestDigest(repository: string, reference: string): Promise<string | undefined>;
  manifest(repository: string, reference: string): Promise<RegistryManifest | undefined>;
  /** Follows an index to the linux/amd64 (or only) manifest, then fetches the config blob. */
  /** The image's config; of an index, that of `platform`'s image (default linux/amd64). */
  imageConfig(repository: string, reference: string, platform?: { os: string; architecture: string }): Promise<RegistryImageConfig | undefined>;
  putManifest(repository: string, reference: string, manifest: Pick<RegistryManifest, 'mediaType' | 'raw'>): Promise<string>;
  /**
   * The referrers API (`GET /v2/<name>/referrers/<digest>`): the descriptors of the manifests whose `subject` is `digest`, or
   * undefined when the registry does not have the API (distribution 2.8), where the referrers tag fallback applies.
   */
  referrers(repository: string, digest: string): Promise<Array<Record<string, unknown>> | undefined>;
  /** Deletes a manifest by digest (which untags every tag pointing at it). */
  deleteManifest(repository: string, digest: string): Promise<void>;
  /** HEAD on a blob: its size, or undefined when the repository does not hold it. */
  blobSize(repository: string, digest: string): Promise<number | undefined>;
  /** GET a blob as a stream (redirects followed), unverified: the caller checks the digest as it reads. */
  openBlob(repository: string, digest: string): Promise<BlobStream>;
  /**
   * Uploads a blob from a stream, verified by sha256 as it flows (a mismatch aborts the upload): one monolithic PUT, or PATCH
   * chunks of `chunkSize` bytes (each held in memory) when the blob is bigger than that.
   */
  uploadBlob(repository: string, digest: string, size: number, content: Readable, options?: { chunkSize?: number }): Promise<void>;
  /** Cross-repository mount of a blob the registry holds in `fromRepository`; false when the registry would not mount it. */
  mountBlob(repository: string, digest: string, fromRepository: string): Promise<boolean>;
}

/** A blob being read. */
export interface BlobStream {
  /** Content-Length of the answer, when the registry sent one. */
  size: number | undefined;
  stream: Readable;
}

/** The connections of one host, opened lazily and reused across steps; closed by the runner at the end. */
export interface HostConnections {
  /** The host's Docker Engine as the steps use it. */
  engine(): Promise<Engine>;
  /** The raw dockerode client, for adapters and lab tests; steps use `engine()`. */
  docker(): Promise<Docker>;
  ssh(): Promise<SshSession>;
  registry(): RegistryClient;
  /**
   * What the engine sends to the host's registry when it pulls or pushes: the inventory's `registry_auth`, else what Docker's
   * credential store holds for that registry, else nothing. Read when asked, so a step that never pulls never reads the store.
   */
  engineAuth(): Promise<Docker.AuthConfig>;
  /**
   * Another registry than the host's, by name (a patch's upstream, `docker.io` included): one client per registry for the
   * host's connections, with Docker's credentials for that registry alone and the run's limiter for its address.
   */
  otherRegistry(name: string): Promise<RegistryClient>;
  /** What the engine sends when it pulls from another registry: Docker's credentials for that registry alone, else nothing. */
  otherEngineAuth(name: string): Promise<Docker.AuthConfig>;
  /** What a build sends so the engine can pull its bases from the host's registry (`X-Registry-Config`), if it needs any. */
  engineBuildConfig(): Promise<Docker.RegistryConfig | undefined>;
  /** A registry a step's options describe in full (backup's other end): its own client, closed with the host's connections. */
  registryWith(settings: RegistrySettings): RegistryClient;
  close(): Promise<void>;
}
