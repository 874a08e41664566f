import type Docker from 'dockerode';
import { demuxLogs, lastLines } from '../containers/logs.js';

/** What the service step reads of a Swarm service (GET /services/{id}). */
export interface SwarmService {
  ID: string;
  Version: { Index: number };
  UpdatedAt?: string;
  Spec: {
    Name: string;
    Labels?: Record<string, string> | null;
    TaskTemplate: { ContainerSpec?: { Image?: string }; Placement?: { MaxReplicas?: number } } & Record<string, unknown>;
    Mode?: { Replicated?: { Replicas?: number } } & Record<string, unknown>;
    UpdateConfig?: Record<string, unknown>;
  } & Record<string, unknown>;
  UpdateStatus?: { State?: string; Message?: string; StartedAt?: string; CompletedAt?: string } | null;
  /** The spec before the last update: what a rollback returns to. */
  PreviousSpec?: { TaskTemplate?: { ContainerSpec?: { Image?: string } } } | null;
}

/** A task of a service, as far as a failed update's reason needs it. */
export interface SwarmTask {
  ID: string;
  DesiredState?: string;
  NodeID?: string;
  Status?: { State?: string; Err?: string; Timestamp?: string; ContainerStatus?: { ContainerID?: string; ExitCode?: number } };
  Spec?: { ContainerSpec?: { Image?: string } };
}

/** Every service; undefined on an engine that is not a swarm manager (it answers 503). */
export async function listServices(docker: Docker): Promise<SwarmService[] | undefined> {
  try {
    return (await docker.listServices()) as unknown as SwarmService[];
  } catch (error) {
    if ((error as { statusCode?: number }).statusCode === 503) return undefined;
    throw error;
  }
}

export async function inspectService(docker: Docker, id: string): Promise<SwarmService | undefined> {
  try {
    return (await docker.getService(id).inspect()) as unknown as SwarmService;
  } catch (error) {
    if ((error as { statusCode?: number }).statusCode === 404) return undefined;
    throw error;
  }
}

/** POST /services/{id}/update at `version` with the registry's credentials, so every node can pull (and later updates keep them). */
export async function updateService(docker: Docker, id: string, version: number, spec: SwarmService['Spec'], auth: Docker.AuthConfig): Promise<void> {
  const service = docker.getService(id);
  // dockerode's (auth, options) form sends X-Registry-Auth; _query and _body keep the version out of the spec and the spec out of the URL.
  const update = service.update as unknown as (auth: Docker.AuthConfig, options: { _query: { version: number }; _body: unknown }) => Promise<unknown>;
  await update.call(service, auth, { _query: { version }, _body: spec });
}

/** A node of the swarm; `ready` when it is ready and active (where new tasks can go). */
export interface SwarmNode {
  id: string;
  hostname: string;
  ready: boolean;
}

export async function swarmNodes(docker: Docker): Promise<SwarmNode[]> {
  const nodes = (await docker.listNodes()) as Array<{
    ID: string;
    Description?: { Hostname?: string };
    Status?: { State?: string };
    Spec?: { Availability?: string };
  }>;
  return nodes.map((n) => ({
    id: n.ID,
    hostname: n.Description?.Hostname ?? n.ID.slice(0, 12),
    ready: n.Status?.State === 'ready' && (n.Spec?.Availability ?? 'active') === 'active',
  }));
}

/** The last `count` lines a task's container wrote, through the manager (GET /tasks/{id}/logs), whichever node ran it. */
export async function taskLogs(docker: Docker, id: string, count: number): Promise<string[]> {
  // dockerode has Task.logs, its type definitions do not.
  const task = docker.getTask(id) as unknown as { logs(options: Record<string, unknown>): Promise<Buffer> };
  const body = await task.logs({ stdout: true, stderr: true, tail: count, follow: false });
  return lastLines(demuxLogs(body, false), count);
}

export async function listTasks(docker: Docker, serviceId: string): Promise<SwarmTask[]> {
  return (await docker.listTasks({ filters: { service: [serviceId] } })) as unknown as SwarmTask[];
}
