// Helpers of the faithful-recreation test (recreate.test.ts): reading inspect answers the way the assertions compare them.
import type Docker from 'dockerode';
import { execIn } from './steps-rollout.helpers.js';

/** Any inspect answer, read by dotted path. */
export type Inspect = Record<string, unknown>;

/** The value at a dotted path (`HostConfig.Ulimits`) of an inspect answer. */
export const at = (inspect: Inspect, path: string): unknown =>
  path.split('.').reduce<unknown>((value, key) => (value as Record<string, unknown> | undefined)?.[key], inspect);

/** A container's mounts as comparable values: volumes by name, binds by source, sorted by destination. */
export function mountsOf(inspect: Inspect): Array<Record<string, unknown>> {
  const mounts = (inspect.Mounts ?? []) as Array<Record<string, unknown>>;
  return mounts
    .map((m) => ({ Type: m.Type, Destination: m.Destination, RW: m.RW, ...(m.Type === 'volume' ? { Name: m.Name } : { Source: m.Source }) }))
    .sort((a, b) => String(a.Destination).localeCompare(String(b.Destination)));
}

/** The network aliases a user gave a container on `network` (Docker adds the short ID itself). */
export function aliasesOf(inspect: Inspect, network: string): string[] {
  const networks = at(inspect, 'NetworkSettings.Networks') as Record<string, { Aliases?: string[] | null }> | undefined;
  const id = String(inspect.Id).slice(0, 12);
  return (networks?.[network]?.Aliases ?? []).filter((alias) => alias !== id).sort();
}

/** The namespace (network unless asked) a running container's PID 1 is in (`net:[4026…]`), read inside the container. */
export const netNamespace = async (docker: Docker, name: string, kind: 'net' | 'pid' | 'ipc' = 'net'): Promise<string> =>
  (await execIn(docker, name, ['readlink', `/proc/1/ns/${kind}`])).trim();

/** Inspects a container as a plain object. */
export const inspectOf = async (docker: Docker, name: string): Promise<Inspect> => (await docker.getContainer(name).inspect()) as unknown as Inspect;
