import type Docker from 'dockerode';
import { connectionTimeouts, registrySettings, type DockerEndpoint, type Inventory, type SshEndpoint } from '../model/inventory.js';
import { closeDocker, connectDocker } from './docker.js';
import { dockerodeEngine, type Engine } from './engine.js';
import { buildRegistryConfig, registryAuth } from './engineImages.js';
import { withDockerCredentials } from './dockerCredentials.js';
import { createRegistryClient, type ClosableRegistryClient, type RegistryClientOptions } from './registry.js';
import { Limiter } from '../shared/limiter.js';
import { defaultCacheDir, diskConfigCache, type ConfigCache } from './configCache.js';
import type { RegistrySettings } from '../model/inventory.js';
import { connectSsh, type Ssh2Session } from './ssh.js';
import type { HostConnections, RegistryClient } from './types.js';

/** `docker: unix:///…` is accepted as shorthand for `docker: { host: unix:///… }`. */
function endpointOf<T extends object>(value: unknown, hostName: string, variable: string, required: string): T {
  const endpoint = typeof value === 'string' ? { host: value } : value;
  if (typeof endpoint !== 'object' || endpoint === null) throw new Error(`host ${hostName} has no \`${variable}\` endpoint`);
  if (typeof (endpoint as Record<string, unknown>)[required] !== 'string') {
    throw new Error(`host ${hostName} has a \`${variable}\` endpoint without \`${required}\``);
  }
  return endpoint as T;
}

/** Variables naming another registry than the host's: its name only (Docker Hub's API lives at registry-1.docker.io). */
const otherRegistryVars = (name: string): Record<string, unknown> => ({
  registry: name,
  ...(name === 'docker.io' ? { registry_url: 'https://registry-1.docker.io' } : {}),
});

/** Requests in flight to one registry at a time, unless `registry_concurrency` says otherwise. */
export const DEFAULT_REGISTRY_CONCURRENCY = 8;

/** One host's connections: each opened on first use, kept for the run, reopened only after a failure or a drop. */
class LazyHostConnections implements HostConnections {
  private dockerClient?: Promise<Docker>;
  private sshSession?: Promise<Ssh2Session>;
  private registryClient?: ClosableRegistryClient;
  /** Other registries' clients (by name, and by the settings a step gave): made once, closed with the rest. */
  private readonly named = new Map<string, Promise<ClosableRegistryClient>>();
  private readonly given = new Map<string, ClosableRegistryClient>();

  constructor(
    private readonly hostName: string,
    private readonly vars: () => Record<string, unknown>,
    private readonly registryOptions: (settings: RegistrySettings) => RegistryClientOptions,
    /** The run's interrupt: a connect that hangs gives up at once on the first Ctrl-C. */
    private readonly signal?: AbortSignal,
  ) {}

  private get interrupt(): { signal?: AbortSignal } {
    return this.signal !== undefined ? { signal: this.signal } : {};
  }

  async engine(): Promise<Engine> {
    return dockerodeEngine(await this.docker());
  }

  async engineAuth(): Promise<Docker.AuthConfig> {
    return registryAuth(await withDockerCredentials(registrySettings(this.vars())));
  }

  otherRegistry(name: string): Promise<RegistryClient> {
    let client = this.named.get(name);
    if (client === undefined) {
      client = withDockerCredentials(registrySettings(otherRegistryVars(name))).then((settings) =>
        createRegistryClient(settings!, this.registryOptions(settings!)),
      );
      this.named.set(name, client);
    }
    return client;
  }

  async engineBuildConfig(): Promise<Docker.RegistryConfig | undefined> {
    return buildRegistryConfig(await withDockerCredentials(registrySettings(this.vars())));
  }

  async otherEngineAuth(name: string): Promise<Docker.AuthConfig> {
    return registryAuth(await withDockerCredentials(registrySettings(otherRegistryVars(name))));
  }

  registryWith(settings: RegistrySettings): RegistryClient {
    const key = JSON.stringify(settings);
    let client = this.given.get(key);
    if (client === undefined) {
      client = createRegistryClient(settings, this.registryOptions(settings));
      this.given.set(key, client);
    }
    return client;
  }

  docker(): Promise<Docker> {
    if (this.dockerClient === undefined) {
      const timeouts = connectionTimeouts(this.vars());
      const opening = Promise.resolve().then(() =>
        connectDocker(endpointOf<DockerEndpoint>(this.vars().docker, this.hostName, 'docker', 'host'), {
          pingTimeoutMs: timeouts.engine,
          sshTimeoutMs: timeouts.ssh,
          ...this.interrupt,
        }),
      );
      // A failed attempt is not kept: the next step may try again.
      this.dockerClient = opening.catch((error: unknown) => {
        this.dockerClient = undefined;
        throw error;
      });
    }
    return this.dockerClient;
  }

  async ssh(): Promise<Ssh2Session> {
    const pending = this.sshSession;
    if (pending !== undefined) {
      const session = await pending.catch(() => undefined);
      if (session?.isOpen === true) return session;
      // Another caller already replaced a failed or dropped session while we waited.
      if (this.sshSession !== pending) return this.ssh();
    }
    const opening = Promise.resolve().then(() =>
      connectSsh(endpointOf<SshEndpoint>(this.vars().ssh, this.hostName, 'ssh', 'host'), {
        readyTimeoutMs: connectionTimeouts(this.vars()).ssh,
        ...this.interrupt,
      }),
    );
    this.sshSession = opening;
    opening.catch(() => {
      if (this.sshSession === opening) this.sshSession = undefined;
    });
    return opening;
  }

  registry(): RegistryClient {
    if (this.registryClient === undefined) {
      const settings = registrySettings(this.vars());
      if (settings === undefined) throw new Error(`host ${this.hostName} has no \`registry\` variable (the registry's host:port)`);
      this.registryClient = createRegistryClient(settings, { ...this.registryOptions(settings), timeoutMs: connectionTimeouts(this.vars()).registry });
    }
    return this.registryClient;
  }

  async close(): Promise<void> {
    const [docker, ssh] = await Promise.all([this.dockerClient?.catch(() => undefined), this.sshSession?.catch(() => undefined)]);
    this.dockerClient = undefined;
    this.sshSession = undefined;
    this.registryClient?.close();
    this.registryClient = undefined;
    const named = await Promise.all([...this.named.values()].map((client) => client.catch(() => undefined)));
    for (const client of [...named, ...this.given.values()]) client?.close();
    this.named.clear();
    this.given.clear();
    await Promise.all([docker !== undefined ? closeDocker(docker) : undefined, ssh?.close()]);
  }
}

/**
 * The connections of every host of a run: one Docker client, one SSH session and one registry client per host and set of
 * variables, made lazily. Two plays that give a host the same variables share its connections; a play whose `vars` name another
 * registry or engine gets connections of its own, so a step never names one registry while talking to another.
 */
export class ConnectionPool {
  private readonly hosts = new Map<string, LazyHostConnections>();
  /** One per registry (by its URL), shared by every host's client of it: the bound is the registry's, not a host's. */
  private readonly limiters = new Map<string, Limiter>();
  private readonly configCache: ConfigCache;

  /**
   * `signal`: the run's interrupt, which aborts registry requests in flight. `check`: the run writes nothing, so the config
   * cache is only read. `cacheDir`: where the config cache lives (default `defaultCacheDir()`).
   */
  constructor(
    private readonly inventory: Inventory,
    private readonly options: { signal?: AbortSignal; check?: boolean; cacheDir?: string } = {},
  ) {
    this.configCache = diskConfigCache({ dir: options.cacheDir ?? defaultCacheDir(), writable: options.check !== true });
  }

  private registryOptions(settings: RegistrySettings): RegistryClientOptions {
    let limiter = this.limiters.get(settings.url);
    if (limiter === undefined) {
      limiter = new Limiter(settings.concurrency ?? DEFAULT_REGISTRY_CONCURRENCY);
      this.limiters.set(settings.url, limiter);
    }
    return { limiter, configCache: this.configCache, ...(this.options.signal !== undefined ? { signal: this.options.signal } : {}) };
  }

  /** `vars`: the host's variables as `resolveVariables` layers them for the step at hand. */
  of(hostName: string, vars: Record<string, unknown>): HostConnections {
    if (!this.inventory.hosts.has(hostName)) throw new Error(`host ${hostName} is not in the inventory ${this.inventory.file}`);
    const key = `${hostName}\0${JSON.stringify(vars)}`;
    let connections = this.hosts.get(key);
    if (connections === undefined) {
      const snapshot = structuredClone(vars);
      connections = new LazyHostConnections(
        hostName,
        () => snapshot,
        (settings) => this.registryOptions(settings),
        this.options.signal,
      );
      this.hosts.set(key, connections);
    }
    return connections;
  }

  /** Closes everything that was opened; never throws, so it can run in a `finally`. */
  async closeAll(): Promise<void> {
    const all = [...this.hosts.values()];
    this.hosts.clear();
    await Promise.all(all.map((connections) => connections.close().catch(() => undefined)));
  }
}
