import type Docker from 'dockerode';
import type { ProbeAttempt } from '../containers/health.js';
import type { ContainerCreateOptions, ContainerInspect, EndpointSpec, NetworkConnection } from '../containers/types.js';
import { fromPodmanInspect } from '../containers/podman.js';
import { isPodmanEngine } from './engineKind.js';
import {
  createContainer,
  execProbe,
  inspectAllContainers,
  podmanPods,
  inspectContainer,
  isNotFound,
  localImage,
  removeContainer,
  renameContainer,
  startContainer,
  stopContainer,
  tailLogs,
  type LocalImage,
} from './engineContainers.js';
import {
  inspectService,
  listServices,
  listTasks,
  swarmNodes,
  taskLogs,
  updateService,
  type SwarmNode,
  type SwarmService,
  type SwarmTask,
} from './engineServices.js';
import { buildImage, engineCall, localImageId, pullImage, pushImage, tagImage, type BuildRequest } from './engineImages.js';
import type { BuildOutcome, TransferOutcome } from './engineOutput.js';
import { loadPatchedImage } from './enginePatch.js';
import { runThrowaway, withImageFiles, type ImageFiles, type RunOptions, type RunOutcome } from './engineThrowaway.js';

/** Credentials for a pull or push, as the engine takes them (`X-Registry-Auth`). */
export type EngineAuth = Docker.AuthConfig;

/** A container as the engine lists it (no inspect): enough to know which image it uses. */
export interface ContainerSummary {
  Id: string;
  Names: string[];
  Image: string;
  ImageID: string;
  State: string;
  Labels?: Record<string, string> | null;
}

/** A local image as the engine lists it. */
export interface ImageSummary {
  Id: string;
  RepoTags?: string[] | null;
  RepoDigests?: string[] | null;
  Size: number;
  Created: number;
}

/**
 * The Docker Engine as the steps use it: every operation they need and nothing else. One policy for all of them: a connection
 * failure is an UnreachableError (the host is reported unreachable); "no such container or image" is `undefined` where a
 * lookup can miss; anything else the engine says is an Error with its message. Steps receive an Engine, never dockerode, so
 * every step can be unit-tested against a fake (test/support/fakeEngine.ts).
 */
export interface Engine {
  inspectAllContainers(): Promise<ContainerInspect[]>;
  inspectContainer(idOrName: string): Promise<ContainerInspect | undefined>;
  listContainers(): Promise<ContainerSummary[]>;
  createContainer(spec: ContainerCreateOptions, networks: NetworkConnection[]): Promise<string>;
  startContainer(id: string): Promise<void>;
  stopContainer(id: string, timeoutSeconds: number): Promise<void>;
  restartContainer(id: string, timeoutSeconds: number): Promise<void>;
  renameContainer(id: string, name: string): Promise<void>;
  removeContainer(id: string): Promise<void>;
  /** Takes a container off a network: its address and DNS names there are gone at once, before it stops. */
  disconnectNetwork(id: string, network: string): Promise<void>;
  connectNetwork(id: string, network: string, endpoint: EndpointSpec): Promise<void>;
  tailLogs(id: string, tty: boolean, count?: number): Promise<string[]>;
  /** Runs `cmd` in a running container and waits at most `timeoutMs` (the probe of a health gate). */
  exec(id: string, cmd: string[], timeoutMs: number): Promise<ProbeAttempt>;

  /** The engine's own platform (`linux`/`amd64`), whose image of a multi-platform index is the one that matters here. */
  platform(): Promise<Platform>;
  localImage(ref: string): Promise<LocalImage | undefined>;
  localImageId(ref: string): Promise<string | undefined>;
  listImages(): Promise<ImageSummary[]>;
  /** Pulls `ref`; resolves to the manifest digest the engine reports. */
  pullImage(ref: string, auth: EngineAuth, signal: AbortSignal): Promise<string | undefined>;
  pushImage(ref: string, auth: EngineAuth, signal: AbortSignal): Promise<TransferOutcome>;
  buildImage(context: NodeJS.ReadableStream, request: BuildRequest, signal: AbortSignal, progress: (line: string) => void): Promise<BuildOutcome>;
  tagImage(imageId: string, ref: string): Promise<void>;
  /** Removes a tag or an image; one that is already gone is not an error. */
  removeImage(refOrId: string): Promise<void>;

  /** Reads files of an image through a container that is created, never started, and removed. */
  withImageFiles<T>(image: string, read: (files: ImageFiles) => Promise<T>): Promise<T>;
  /** Runs a script as root in a new container of `image`, then removes it. */
  runThrowaway(image: string, script: string, options: RunOptions): Promise<RunOutcome>;
  /** Loads an image from `config` whose layers the engine holds already (patch's committed layer on the original's); returns its ID. */
  loadPatchedImage(config: Buffer, layerCount: number, tag: string): Promise<string>;

  /** Swarm services: every service (undefined when the engine is no swarm manager), one service (undefined when gone), an update, a service's tasks. */
  listServices(): Promise<SwarmService[] | undefined>;
  inspectService(id: string): Promise<SwarmService | undefined>;
  updateService(id: string, version: number, spec: SwarmService['Spec'], auth: EngineAuth): Promise<void>;
  listTasks(serviceId: string): Promise<SwarmTask[]>;
  /** The swarm's nodes, and which can take new tasks. */
  swarmNodes(): Promise<SwarmNode[]>;
  /** The last `count` log lines of a task, on whichever node it ran. */
  taskLogs(id: string, count: number): Promise<string[]>;
}

/** The Engine over a dockerode client. */
/** An OS and CPU architecture, as image indexes name them. */
export interface Platform {
  os: string;
  architecture: string;
}

export function dockerodeEngine(docker: Docker): Engine {
  // One policy for every call: a connection failure is UnreachableError.
  const call = engineCall;
  // Podman's inspect is read as Docker's (containers/podman.ts); Docker's is taken as it is.
  const podman = isPodmanEngine(docker);
  const asDocker = podman ? fromPodmanInspect : (container: ContainerInspect) => container;
  return {
    inspectAllContainers: () =>
      call('listing containers', async () => {
        const all = (await inspectAllContainers(docker)).map(asDocker);
        if (!podman) return all;
        const pods = await podmanPods(docker);
        return all.map((container) => (pods.has(container.Id) ? { ...container, PodmanPod: pods.get(container.Id)! } : container));
      }),
    inspectContainer: (idOrName) =>
      call(`inspecting ${idOrName}`, async () => {
        const found = await inspectContainer(docker, idOrName);
        return found && asDocker(found);
      }),
    listContainers: () => call('listing containers', () => docker.listContainers({ all: true }) as Promise<ContainerSummary[]>),
    createContainer: (spec, networks) => call(`creating ${spec.name ?? 'a container'}`, () => createContainer(docker, spec, networks)),
    startContainer: (id) => call(`starting ${id}`, () => startContainer(docker, id)),
    stopContainer: (id, timeoutSeconds) => call(`stopping ${id}`, () => stopContainer(docker, id, timeoutSeconds)),
    restartContainer: (id, timeoutSeconds) => call(`restarting ${id}`, () => docker.getContainer(id).restart({ t: timeoutSeconds })),
    renameContainer: (id, name) => call(`renaming ${id}`, () => renameContainer(docker, id, name)),
    removeContainer: (id) => call(`removing ${id}`, () => removeContainer(docker, id)),
    connectNetwork: (id, network, endpoint) =>
      call(`connecting ${id} to ${network}`, () => docker.getNetwork(network).connect({ Container: id, EndpointConfig: endpoint })),
    disconnectNetwork: (id, network) =>
      call(`disconnecting ${id} from ${network}`, () => docker.getNetwork(network).disconnect({ Container: id, Force: true })),
    tailLogs: (id, tty, count) => call(`reading the logs of ${id}`, () => tailLogs(docker, id, tty, count)),
    exec: (id, cmd, timeoutMs) => execProbe(docker, id, cmd, timeoutMs),
    platform: () =>
      call('asking its platform', async () => {
        const version = (await docker.version()) as { Os?: string; Arch?: string };
        return { os: version.Os ?? 'linux', architecture: version.Arch ?? 'amd64' };
      }),
    localImage: (ref) => call(`inspecting ${ref}`, () => localImage(docker, ref)),
    localImageId: (ref) => localImageId(docker, ref),
    listImages: () => call('listing images', () => docker.listImages() as Promise<ImageSummary[]>),
    pullImage: (ref, auth, signal) => pullImage(docker, ref, auth, signal),
    pushImage: (ref, auth, signal) => pushImage(docker, ref, auth, signal),
    buildImage: (context, request, signal, progress) => buildImage(docker, context, request, signal, progress),
    tagImage: (imageId, ref) => call(`tagging ${ref}`, () => tagImage(docker, imageId, ref)),
    removeImage: (refOrId) =>
      call(`removing ${refOrId}`, async () => {
        try {
          await docker.getImage(refOrId).remove();
        } catch (error) {
          if (!isNotFound(error)) throw error;
        }
      }),
    withImageFiles: (image, read) => withImageFiles(docker, image, read),
    runThrowaway: (image, script, options) => runThrowaway(docker, image, script, options),
    loadPatchedImage: (config, layerCount, tag) => loadPatchedImage(docker, config, layerCount, tag),
    listServices: () => call('listing services', () => listServices(docker)),
    inspectService: (id) => call(`inspecting service ${id}`, () => inspectService(docker, id)),
    updateService: (id, version, spec, auth) => call(`updating service ${spec.Name}`, () => updateService(docker, id, version, spec, auth)),
    listTasks: (serviceId) => call(`listing the tasks of service ${serviceId}`, () => listTasks(docker, serviceId)),
    swarmNodes: () => call('listing the swarm nodes', () => swarmNodes(docker)),
    taskLogs: (id, count) => call(`reading the logs of task ${id}`, () => taskLogs(docker, id, count)),
  };
}
