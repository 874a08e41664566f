// Inventories and helpers for gc tests against a registry of the test's own (test/support/ownRegistry.ts).
import { readdirSync, statSync, existsSync } from 'node:fs';
import { join } from 'node:path';
import type Docker from 'dockerode';
import type { Host, Inventory } from '../../src/model/inventory.js';
import { LAB_DIR, REPO_ROOT, SSH, labSocket } from './lab.js';
import type { OwnRegistry } from './ownRegistry.js';

/** How gc protects the sweep: the registry read-only (serving pulls) or stopped. */
export type SweepMode = 'readonly' | 'stopped';

/** `registry_gc` for an own registry, run over the lab sshd. */
export function ownRegistryGc(registry: OwnRegistry, mode: SweepMode): Record<string, string> {
  const [before, after] = mode === 'readonly' ? ['readonly on', 'readonly off'] : ['stop', 'start'];
  return {
    before: `${registry.ctl} ${before}`,
    command: `docker-registry garbage-collect ${registry.config} --delete-untagged`,
    after: `${registry.ctl} ${after}`,
    data_dir: registry.dataDir,
  };
}

/** An inventory of `reg` (the own registry's host, over the lab sshd) and the given lab Docker hosts. */
export function ownRegistryInventory(registry: OwnRegistry, mode: SweepMode, dockerHosts: Array<'web2' | 'web3'>): { inventory: Inventory; reg: Host } {
  const reg: Host = {
    name: 'reg',
    groups: ['all', 'registries'],
    vars: {
      registry: registry.name,
      ssh: { host: SSH.host, port: SSH.port, user: SSH.user, identity_file: SSH.identityFile, known_hosts: SSH.knownHosts },
      registry_gc: ownRegistryGc(registry, mode),
    },
  };
  const hosts: Host[] = [
    reg,
    ...dockerHosts.map((name): Host => ({ name, groups: ['all', 'web'], vars: { registry: registry.name, docker: { host: `unix://${labSocket(name)}` } } })),
  ];
  return {
    reg,
    inventory: { file: `${REPO_ROOT}/inventories/lab.yml`, groups: new Map(), hosts: new Map(hosts.map((h) => [h.name, h])) },
  };
}

const MANIFEST_ACCEPT = 'application/vnd.docker.distribution.manifest.v2+json, application/vnd.oci.image.manifest.v1+json';

/** A manifest's digest, media type and blobs (the manifest itself, config, layers) with their sizes, straight over HTTP. */
export async function manifestBlobsOver(
  url: string,
  repository: string,
  reference: string,
): Promise<{ digest: string; blobs: Map<string, number> } | undefined> {
  const response = await fetch(`${url}/v2/${repository}/manifests/${reference}`, { headers: { accept: MANIFEST_ACCEPT } });
  if (response.status !== 200) return undefined;
  const raw = Buffer.from(await response.arrayBuffer());
  const digest = response.headers.get('docker-content-digest')!;
  const body = JSON.parse(raw.toString('utf8')) as { config: { digest: string; size: number }; layers: Array<{ digest: string; size: number }> };
  return {
    digest,
    blobs: new Map([[digest, raw.length], [body.config.digest, body.config.size], ...body.layers.map((l) => [l.digest, l.size] as [string, number])]),
  };
}

/** Tag → digest of a repository, straight over HTTP. */
export async function tagDigestsOver(url: string, repository: string): Promise<Record<string, string>> {
  const response = await fetch(`${url}/v2/${repository}/tags/list`);
  if (response.status !== 200) return {};
  const tags = ((await response.json()) as { tags: string[] | null }).tags ?? [];
  const entries = await Promise.all(
    tags.map(async (tag) => {
      const head = await fetch(`${url}/v2/${repository}/manifests/${tag}`, { method: 'HEAD', headers: { accept: MANIFEST_ACCEPT } });
      return [tag, head.headers.get('docker-content-digest') ?? ''] as const;
    }),
  );
  return Object.fromEntries(entries.filter(([, d]) => d !== ''));
}

/** Pulls a reference on an engine. */
export async function pullRef(docker: Docker, ref: string): Promise<void> {
  const stream = await docker.pull(ref, { authconfig: {} });
  await new Promise<void>((resolve, reject) => docker.modem.followProgress(stream, (error: Error | null) => (error ? reject(error) : resolve())));
}

/** Every blob the filesystem driver holds (digest → bytes of its data file). */
export function blobsOnDisk(dataDir: string): Map<string, number> {
  const root = join(dataDir, 'docker/registry/v2/blobs/sha256');
  const blobs = new Map<string, number>();
  if (!existsSync(root)) return blobs;
  for (const prefix of readdirSync(root)) {
    for (const hex of readdirSync(join(root, prefix))) {
      const file = join(root, prefix, hex, 'data');
      if (existsSync(file)) blobs.set(`sha256:${hex}`, statSync(file).size);
    }
  }
  return blobs;
}

export { LAB_DIR };
