// In-memory stand-ins for the Docker Engine and the registry, for unit tests of each step's plan and apply beside its lab tests.
// They keep just enough state to answer what the steps ask, and record every call that writes, so a test can assert that a
// check run wrote nothing and that apply did exactly what the plan said.
import { createHash } from 'node:crypto';
import type { SwarmNode, SwarmService, SwarmTask } from '../../src/adapters/engineServices.js';
import type { ContainerSummary, Engine, EngineAuth, ImageSummary } from '../../src/adapters/engine.js';
import type { LocalImage } from '../../src/adapters/engineContainers.js';
import type { BuildRequest } from '../../src/adapters/engineImages.js';
import type { BuildOutcome } from '../../src/adapters/engineOutput.js';
import type { ImageFiles, RunOutcome } from '../../src/adapters/engineThrowaway.js';
import { Readable } from 'node:stream';
import type { BlobStream, HostConnections, RegistryClient, RegistryImageConfig, RegistryManifest } from '../../src/adapters/types.js';
import type { ContainerConfig, ContainerCreateOptions, ContainerInspect } from '../../src/containers/types.js';
import { registrySettings, type DockerEndpoint, type Host } from '../../src/model/inventory.js';
import { buildRegistryConfig, registryAuth } from '../../src/adapters/engineImages.js';
import type { GuardedContainer } from '../../src/containers/guardScript.js';
import type { GuardPlaced, GuardSite, HostGuard } from '../../src/containers/hostGuardPort.js';
import { newRunState, type HostFacts, type RunState } from '../../src/steps/facts.js';
import type { StepContext } from '../../src/steps/types.js';
import type { Files } from '../../src/images/files.js';
import { localFiles } from '../../src/adapters/localFiles.js';

const sha = (text: string): string => `sha256:${createHash('sha256').update(text).digest('hex')}`;
const notFound = (what: string): Error => Object.assign(new Error(`no such ${what}`), { statusCode: 404 });

/** An image in the fake engine. */
export interface FakeImage {
  id: string;
  tags: string[];
  repoDigests: string[];
  config: ContainerConfig;
  size: number;
  /** Seconds since the epoch, as the engine lists it. */
  created: number;
}

/** What a pull of a reference brings: the image and the manifest digest the registry serves it under. */
export type FakeRemote = (ref: string) => { image: Omit<FakeImage, 'tags' | 'repoDigests' | 'created'>; digest: string } | undefined;

export class FakeEngine implements Engine {
  /** The credentials each pull was sent with. */
  readonly pullAuths: Array<EngineAuth | undefined> = [];
  readonly containers = new Map<string, ContainerInspect>();
  readonly images = new Map<string, FakeImage>();
  /** Every call that changes something, in order: `pull REF`, `rename ID NAME`, `stop ID`, … */
  readonly writes: string[] = [];
  private counter = 0;

  constructor(
    private readonly remote: FakeRemote = () => undefined,
    /** Where pushes land: the image is published there under its reference's repository and tag. */
    private readonly pushTarget?: FakeRegistry,
  ) {}

  /** Adds an image with its tags (and the repo digests it was pulled by); returns its ID. */
  addImage(image: Partial<FakeImage> & { tags: string[] }): string {
    const id = image.id ?? sha(`image ${++this.counter}`);
    for (const other of this.images.values()) other.tags = other.tags.filter((t) => !image.tags.includes(t));
    this.images.set(id, {
      id,
      tags: image.tags,
      repoDigests: image.repoDigests ?? [],
      config: image.config ?? {},
      size: image.size ?? 1000,
      created: image.created ?? 0,
    });
    return id;
  }

  /** Adds a container of `ref` running (or not) the image the engine has for it. */
  addContainer(name: string, ref: string, options: { running?: boolean; config?: ContainerConfig; image?: string } = {}): string {
    const id = sha(`container ${name} ${++this.counter}`).slice(7);
    const imageId = options.image ?? this.imageOf(ref)?.id ?? sha(`unknown ${ref}`);
    const running = options.running ?? true;
    this.containers.set(id, {
      Id: id,
      Name: `/${name}`,
      Image: imageId,
      RestartCount: 0,
      State: { Status: running ? 'running' : 'exited', Running: running, StartedAt: '2026-12-01T00:00:00Z' },
      Config: { ...options.config, Image: ref, Labels: options.config?.Labels ?? {} },
      HostConfig: { NetworkMode: 'none' },
      Mounts: [],
      NetworkSettings: { Networks: {} },
    });
    return id;
  }

  imageOf(ref: string): FakeImage | undefined {
    if (this.images.has(ref)) return this.images.get(ref);
    return [...this.images.values()].find((image) => image.tags.includes(ref));
  }

  private container(idOrName: string): ContainerInspect {
    const found = this.containers.get(idOrName) ?? [...this.containers.values()].find((c) => c.Name === `/${idOrName}`);
    if (!found) throw notFound(`container ${idOrName}`);
    return found;
  }

  async inspectAllContainers(): Promise<ContainerInspect[]> {
    return [...this.containers.values()].map((c) => structuredClone(c));
  }
  async inspectContainer(idOrName: string): Promise<ContainerInspect | undefined> {
    try {
      return structuredClone(this.container(idOrName));
    } catch {
      return undefined;
    }
  }
  async listContainers(): Promise<ContainerSummary[]> {
    return [...this.containers.values()].map((c) => ({ Id: c.Id, Names: [c.Name], Image: c.Config.Image, ImageID: c.Image, State: c.State.Status }));
  }
  async createContainer(spec: ContainerCreateOptions): Promise<string> {
    if ([...this.containers.values()].some((c) => c.Name === `/${spec.name}`)) throw Object.assign(new Error(`name ${spec.name} in use`), { statusCode: 409 });
    const { name, HostConfig, NetworkingConfig: _networking, Image, ...config } = spec;
    const id = sha(`container ${name} ${++this.counter}`).slice(7);
    const image = this.imageOf(Image);
    if (!image) throw notFound(`image ${Image}`);
    this.writes.push(`create ${name} ${Image}`);
    this.containers.set(id, {
      Id: id,
      Name: `/${name}`,
      Image: image.id,
      RestartCount: 0,
      State: { Status: 'created', Running: false },
      Config: { ...image.config, ...config, Image, Labels: { ...image.config.Labels, ...config.Labels } },
      HostConfig,
      Mounts: [],
      NetworkSettings: { Networks: {} },
    });
    return id;
  }
  async startContainer(id: string): Promise<void> {
    const c = this.container(id);
    this.writes.push(`start ${c.Name.slice(1)}`);
    c.State = { ...c.State, Status: 'running', Running: true, StartedAt: new Date().toISOString() };
  }
  async stopContainer(id: string): Promise<void> {
    const c = this.container(id);
    this.writes.push(`stop ${c.Name.slice(1)}`);
    c.State = { ...c.State, Status: 'exited', Running: false, ExitCode: 0 };
  }
  async restartContainer(id: string): Promise<void> {
    const c = this.container(id);
    this.writes.push(`restart ${c.Name.slice(1)}`);
    c.State = { ...c.State, Status: 'running', Running: true };
  }
  async renameContainer(id: string, name: string): Promise<void> {
    const c = this.container(id);
    this.writes.push(`rename ${c.Name.slice(1)} ${name}`);
    c.Name = `/${name}`;
  }
  async connectNetwork(id: string, network: string): Promise<void> {
    this.writes.push(`connect ${this.container(id).Name.slice(1)} ${network}`);
  }
  async disconnectNetwork(id: string, network: string): Promise<void> {
    const c = this.container(id);
    this.writes.push(`disconnect ${c.Name.slice(1)} ${network}`);
    if (c.NetworkSettings?.Networks) delete c.NetworkSettings.Networks[network];
  }
  async removeContainer(id: string): Promise<void> {
    const c = this.container(id);
    this.writes.push(`remove ${c.Name.slice(1)}`);
    this.containers.delete(c.Id);
  }
  async tailLogs(): Promise<string[]> {
    return [];
  }
  async exec(): Promise<{ exitCode: number; output: string }> {
    return { exitCode: 0, output: '' };
  }
  async listServices(): Promise<SwarmService[] | undefined> {
    return undefined;
  }
  async inspectService(_id: string): Promise<SwarmService | undefined> {
    return undefined;
  }
  async updateService(_id: string, _version: number, _spec: SwarmService['Spec'], _auth?: unknown): Promise<void> {
    throw new Error('the fake engine is no swarm manager');
  }
  async listTasks(_serviceId?: string): Promise<SwarmTask[]> {
    return [];
  }
  async swarmNodes(): Promise<SwarmNode[]> {
    return [{ id: 'node-1', hostname: 'node-1', ready: true }];
  }
  async taskLogs(_id: string, _count: number): Promise<string[]> {
    return [];
  }
  async platform(): Promise<{ os: string; architecture: string }> {
    return { os: 'linux', architecture: 'amd64' };
  }
  async localImage(ref: string): Promise<LocalImage | undefined> {
    const image = this.imageOf(ref);
    return image && { Id: image.id, RepoDigests: image.repoDigests, Config: image.config };
  }
  async localImageId(ref: string): Promise<string | undefined> {
    return this.imageOf(ref)?.id;
  }
  async listImages(): Promise<ImageSummary[]> {
    return [...this.images.values()].map((i) => ({ Id: i.id, RepoTags: i.tags, RepoDigests: i.repoDigests, Size: i.size, Created: i.created }));
  }
  async pullImage(ref: string, auth?: EngineAuth): Promise<string | undefined> {
    this.pullAuths.push(auth);
    const pulled = this.remote(ref);
    if (!pulled) throw new Error(`pulling ${ref} failed: manifest unknown`);
    this.writes.push(`pull ${ref}`);
    const repository = ref.slice(0, ref.lastIndexOf(':'));
    const existing = this.images.get(pulled.image.id);
    const repoDigests = [...new Set([...(existing?.repoDigests ?? []), `${repository}@${pulled.digest}`])];
    this.addImage({ ...pulled.image, tags: [...new Set([...(existing?.tags ?? []), ref])], repoDigests });
    return pulled.digest;
  }
  async pushImage(ref: string): Promise<{ digest?: string }> {
    const image = this.imageOf(ref);
    if (!image) throw notFound(`image ${ref}`);
    this.writes.push(`push ${ref}`);
    if (!this.pushTarget) return { digest: sha(`manifest of ${image.id}`) };
    const path = ref.slice(this.pushTarget.name.length + 1);
    const at = path.lastIndexOf(':');
    return { digest: this.pushTarget.publish(path.slice(0, at), path.slice(at + 1), image.id, image.config.Labels ?? {}) };
  }
  /** Builds an image with the request's labels (and the base's config) and tags it; the context is read and dropped. */
  async buildImage(context: NodeJS.ReadableStream, request: BuildRequest): Promise<BuildOutcome> {
    const chunks: Buffer[] = [];
    for await (const chunk of context) chunks.push(Buffer.isBuffer(chunk) ? chunk : Buffer.from(chunk));
    // The Dockerfile travels uncompressed in the tar: a build FROM a local image inherits its labels, as Docker's does.
    const base = /(?:^|\0)FROM (\S+)/m.exec(Buffer.concat(chunks).toString('latin1'))?.[1];
    const inherited = (base && this.imageOf(base)?.config.Labels) || {};
    this.writes.push(`build ${request.tag}`);
    const id = this.addImage({ tags: [request.tag], config: { Labels: { ...inherited, ...request.labels } } });
    return { imageId: id, lines: [] };
  }
  async tagImage(imageId: string, ref: string): Promise<void> {
    const image = this.imageOf(imageId);
    if (!image) throw notFound(`image ${imageId}`);
    this.writes.push(`tag ${ref}`);
    for (const other of this.images.values()) other.tags = other.tags.filter((t) => t !== ref);
    image.tags.push(ref);
  }
  async removeImage(refOrId: string): Promise<void> {
    const image = this.imageOf(refOrId);
    if (!image) return;
    this.writes.push(`rmi ${refOrId}`);
    if (image.id === refOrId) this.images.delete(image.id);
    else image.tags = image.tags.filter((t) => t !== refOrId);
  }
  /** Image ID (or reference) → path → content: what `withImageFiles` shows; an image not listed has no files. */
  readonly files = new Map<string, Record<string, string>>();

  async withImageFiles<T>(image: string, read: (files: ImageFiles) => Promise<T>): Promise<T> {
    const files = this.files.get(this.imageOf(image)?.id ?? image) ?? {};
    return read({ read: async (path) => (path in files ? Buffer.from(files[path]!) : undefined), exists: async (path) => path in files });
  }
  async runThrowaway(): Promise<RunOutcome> {
    return { ok: false, error: 'the fake engine runs no containers' };
  }
  async loadPatchedImage(): Promise<string> {
    throw new Error('the fake engine loads no images');
  }
}

/** One manifest in the fake registry: the image config digest (the image ID) and the labels its config carries. */
interface FakeManifest {
  digest: string;
  configDigest: string;
  labels: Record<string, string>;
  created: string;
  raw: Buffer;
}

export class FakeRegistry implements RegistryClient {
  readonly repositories = new Map<string, Map<string, FakeManifest>>();
  /** Blob digest → content: every manifest's config and one layer, and what was uploaded. */
  readonly blobs = new Map<string, Buffer>();
  readonly writes: string[] = [];

  constructor(readonly name = 'registry.test:5000') {}

  /** Tags `repository:tag` with an image (ID `configDigest`); returns the manifest digest. */
  publish(repository: string, tag: string, configDigest: string, labels: Record<string, string> = {}, created = '2026-11-01T00:00:00Z'): string {
    const config = Buffer.from(JSON.stringify({ created, config: { Labels: labels }, id: configDigest }));
    const layer = Buffer.from(`layer of ${configDigest}`);
    const blob = (content: Buffer): { digest: string; size: number } => {
      const digest = `sha256:${createHash('sha256').update(content).digest('hex')}`;
      this.blobs.set(digest, content);
      return { digest, size: content.length };
    };
    const raw = Buffer.from(
      JSON.stringify({
        schemaVersion: 2,
        mediaType: 'application/vnd.oci.image.manifest.v1+json',
        // The fake keeps the image ID it was told, so steps compare it as Docker's config digest.
        config: { mediaType: 'application/vnd.oci.image.config.v1+json', ...blob(config), image: configDigest },
        layers: [{ mediaType: 'application/vnd.oci.image.layer.v1.tar', ...blob(layer) }],
      }),
    );
    const manifest = { digest: `sha256:${createHash('sha256').update(raw).digest('hex')}`, configDigest, labels, created, raw };
    const tags = this.repositories.get(repository) ?? new Map<string, FakeManifest>();
    tags.set(tag, manifest);
    this.repositories.set(repository, tags);
    return manifest.digest;
  }

  private find(repository: string, reference: string): FakeManifest | undefined {
    const tags = this.repositories.get(repository);
    if (!tags) return undefined;
    return tags.get(reference) ?? [...tags.values()].find((m) => m.digest === reference);
  }

  async ping(): Promise<void> {}
  async catalog(): Promise<string[]> {
    return [...this.repositories.keys()].filter((r) => this.repositories.get(r)!.size > 0).sort();
  }
  async tags(repository: string): Promise<string[]> {
    // A manifest put by digest is stored untagged, as the registry does.
    return [...(this.repositories.get(repository)?.keys() ?? [])].filter((t) => !t.startsWith('sha256:')).sort();
  }
  async manifestDigest(repository: string, reference: string): Promise<string | undefined> {
    return this.find(repository, reference)?.digest;
  }
  async manifest(repository: string, reference: string): Promise<RegistryManifest | undefined> {
    const m = this.find(repository, reference);
    return (
      m && {
        digest: m.digest,
        mediaType: (JSON.parse(m.raw.toString()) as { mediaType?: string }).mediaType ?? 'application/vnd.oci.image.manifest.v1+json',
        raw: m.raw,
        body: JSON.parse(m.raw.toString()) as Record<string, unknown>,
      }
    );
  }
  async imageConfig(repository: string, reference: string): Promise<RegistryImageConfig | undefined> {
    const m = this.find(repository, reference);
    return (
      m && { manifestDigest: m.digest, referenceDigest: m.digest, configDigest: m.configDigest, config: { created: m.created, config: { Labels: m.labels } } }
    );
  }
  async putManifest(repository: string, reference: string, manifest: Pick<RegistryManifest, 'mediaType' | 'raw'>): Promise<string> {
    const digest = `sha256:${createHash('sha256').update(manifest.raw).digest('hex')}`;
    const body = JSON.parse(manifest.raw.toString()) as { config?: { digest: string; image?: string } };
    // An index (the referrers fallback tag) has no config; an artifact's config is `{}`.
    const config = body.config === undefined ? Buffer.from('{}') : this.blobs.get(body.config.digest);
    if (!config) throw new Error(`manifest ${digest} references a config blob the fake registry does not have`);
    const parsed = JSON.parse(config.toString()) as { created?: string; config?: { Labels: Record<string, string> } };
    this.writes.push(`put ${repository}:${reference}`);
    const tags = this.repositories.get(repository) ?? new Map<string, FakeManifest>();
    tags.set(reference, {
      digest,
      configDigest: body.config?.image ?? body.config?.digest ?? digest,
      labels: parsed.config?.Labels ?? {},
      created: parsed.created ?? '',
      raw: manifest.raw,
    });
    this.repositories.set(repository, tags);
    return digest;
  }
  async deleteManifest(repository: string, digest: string): Promise<void> {
    const tags = this.repositories.get(repository);
    this.writes.push(`delete ${repository}@${digest}`);
    for (const [tag, m] of [...(tags ?? [])]) if (m.digest === digest) tags!.delete(tag);
  }
  async blobSize(_repository: string, digest: string): Promise<number | undefined> {
    return this.blobs.get(digest)?.length;
  }
  async openBlob(_repository: string, digest: string): Promise<BlobStream> {
    const content = this.blobs.get(digest);
    if (!content) throw Object.assign(new Error(`blob ${digest} unknown`), { status: 404 });
    return { size: content.length, stream: Readable.from([content]) };
  }
  async uploadBlob(repository: string, digest: string, _size: number, content: Readable): Promise<void> {
    const chunks: Buffer[] = [];
    for await (const chunk of content) chunks.push(Buffer.isBuffer(chunk) ? chunk : Buffer.from(chunk as string));
    this.writes.push(`upload ${repository}@${digest}`);
    this.blobs.set(digest, Buffer.concat(chunks));
  }
  async mountBlob(): Promise<boolean> {
    return false;
  }
  async referrers(): Promise<Array<Record<string, unknown>> | undefined> {
    return undefined;
  }
}

/**
 * The host guard without a shell: a guard can run wherever the engine is on a unix:// or ssh:// address (as the real one
 * decides), placing records what it would watch, `lose` makes a renewal find it gone, and release forgets it.
 */
export class FakeGuard implements HostGuard {
  readonly placed = new Map<string, { site: GuardSite; containers: readonly GuardedContainer[]; deadlineSeconds: number }>();
  readonly released: string[] = [];
  private readonly gone = new Set<string>();

  siteFor(endpoint: DockerEndpoint): GuardSite | { why: string } {
    if (endpoint.host.startsWith('unix://')) return { via: 'local', dockerHost: endpoint.host };
    if (endpoint.host.startsWith('ssh://')) return { via: 'ssh', dockerHost: 'unix:///var/run/docker.sock', endpoint };
    return { why: `its engine is reached over ${endpoint.host}, and a guard needs a shell beside the engine (unix:// or ssh://)` };
  }
  keyFor(hostName: string): string {
    return `guard-${hostName}`;
  }
  async place(key: string, site: GuardSite, containers: readonly GuardedContainer[], deadlineSeconds: number): Promise<GuardPlaced> {
    this.placed.set(key, { site, containers, deadlineSeconds });
    return { placed: true, dir: `/fake/guards/${key}` };
  }
  lose(key: string): void {
    this.gone.add(key);
  }
  lost(key: string): boolean {
    return this.gone.has(key);
  }
  async release(key: string): Promise<void> {
    if (this.placed.delete(key)) this.released.push(key);
  }
}

/** A StepContext over fakes: `host` with `vars`, its engine and registry; other hosts' engines through `others`. */
export function fakeContext(options: {
  engine?: FakeEngine;
  registry?: FakeRegistry;
  /** Other registries by name (an upstream, a backup's other end); asking for any other fails. */
  registries?: Record<string, FakeRegistry>;
  vars?: Record<string, unknown>;
  check?: boolean;
  facts?: HostFacts;
  run?: RunState;
  host?: string;
  /** Other inventory hosts, each with its own engine (gc asks every engine what it runs). */
  others?: Record<string, FakeEngine>;
  /** Variables of those other hosts beside the registry and engine (their rollout tag). */
  otherVars?: Record<string, Record<string, unknown>>;
  playbookDir?: string;
  guard?: FakeGuard;
  /** The files steps read; this machine's unless a test hands in its own. */
  files?: Files;
  /** The wall clock; Date.now unless a test hands in its own. */
  now?: () => number;
}): StepContext & { progressLines: string[] } {
  const engine = options.engine ?? new FakeEngine();
  const registry = options.registry ?? new FakeRegistry();
  const name = options.host ?? 'web1';
  const vars = { registry: registry.name, docker: { host: 'unix:///fake.sock' }, ...options.vars };
  const hosts = new Map<string, Host>([[name, { name, groups: ['all'], vars }]]);
  for (const other of Object.keys(options.others ?? {}))
    hosts.set(other, {
      name: other,
      groups: ['all'],
      vars: { registry: registry.name, docker: { host: 'unix:///other.sock' }, ...options.otherVars?.[other] },
    });
  const otherRegistry = (other: string): FakeRegistry => {
    const found = options.registries?.[other];
    if (found === undefined) throw new Error(`no fake registry ${other} in this test`);
    return found;
  };
  const connections = (own: FakeEngine): HostConnections => ({
    engine: async () => own,
    docker: () => Promise.reject(new Error('unit tests use the fake engine')),
    ssh: () => Promise.reject(new Error('no SSH in unit tests')),
    registry: () => registry,
    // The inventory's registry_auth, as the real one sends it; Docker's credential store is not read in unit tests.
    engineAuth: async () => registryAuth(registrySettings(vars)),
    otherRegistry: async (other) => otherRegistry(other),
    // Another registry's credentials come from Docker's store alone, which unit tests do not read: none.
    otherEngineAuth: async () => ({}),
    engineBuildConfig: async () => buildRegistryConfig(registrySettings(vars)),
    registryWith: (settings) => otherRegistry(settings.name),
    close: async () => undefined,
  });
  const progressLines: string[] = [];
  return {
    host: hosts.get(name)!,
    vars,
    check: options.check ?? false,
    playbookDir: options.playbookDir ?? '/nonexistent',
    inventory: { file: 'fake-inventory.yml', groups: new Map(), hosts },
    connections: connections(engine),
    connectionsOf: (other) => connections(other === name ? engine : (options.others?.[other] ?? new FakeEngine())),
    facts: options.facts ?? {},
    run: options.run ?? newRunState(),
    guard: options.guard ?? new FakeGuard(),
    files: options.files ?? localFiles,
    signal: new AbortController().signal,
    progress: (line) => void progressLines.push(line),
    now: options.now ?? Date.now,
    progressLines,
  };
}
