// gc against the lab: registry 127.0.0.1:5055, registry1's registry_gc over the lab sshd, every lab dockerd asked what runs.
// Only repositories carrying the rollout tag are managed, so this file uses its own rollout tag (`t-gc-prod`) and leaves the
// lab's and other tests' repositories alone; the sweep itself is registry-wide, as it is in production.
import { existsSync, readFileSync, statSync } from 'node:fs';
import { randomBytes } from 'node:crypto';
import type Docker from 'dockerode';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { reasonOf } from '../../src/model/results.js';
import { loadInventory } from '../../src/load/index.js';
import type { Host, Inventory } from '../../src/model/inventory.js';
import type { StepResult } from '../../src/model/results.js';
import { runStep, planStep } from '../../src/runner/runStep.js';
import { gcStep } from '../../src/steps/gc/gc.js';
import { LAB_DIR, LAB_INVENTORY, REGISTRY, REGISTRY_URL, buildBusyboxImage, labDocker, pushImage, removeContainers, runLabScript } from '../support/lab.js';
import { makeStepContext } from '../support/stepContext.js';

const REPO = 't-gc/app';
const PROBE_REPO = 't-gc/probe';
const ROLLOUT_TAG = 't-gc-prod';
const CONTAINER = 't-gc-old';
const DATA_DIR = `${LAB_DIR}/registry/data`;
const DATESTAMPS = ['20261101-0300', '20261102-0300', '20261103-0300', '20261104-0300', '20261105-0300'];
const IN_USE_TAG = '20261102-0300';
const OPTIONS = { keep: 2 };
const MANIFEST_ACCEPT = [
  'application/vnd.docker.distribution.manifest.v2+json',
  'application/vnd.docker.distribution.manifest.list.v2+json',
  'application/vnd.oci.image.manifest.v1+json',
  'application/vnd.oci.image.index.v1+json',
].join(', ');

// The registry seen directly over HTTP, independent of the adapter under test.
async function tagDigests(repository: string): Promise<Record<string, string>> {
  const response = await fetch(`${REGISTRY_URL}/v2/${repository}/tags/list`);
  if (response.status === 404) return {};
  const tags = ((await response.json()) as { tags: string[] | null }).tags ?? [];
  const entries = await Promise.all(tags.map(async (tag) => [tag, await manifestDigest(repository, tag)] as const));
  return Object.fromEntries(entries.filter((entry): entry is readonly [string, string] => entry[1] !== undefined));
}

async function manifestDigest(repository: string, reference: string): Promise<string | undefined> {
  const response = await fetch(`${REGISTRY_URL}/v2/${repository}/manifests/${reference}`, { method: 'HEAD', headers: { accept: MANIFEST_ACCEPT } });
  return response.status === 200 ? (response.headers.get('docker-content-digest') ?? undefined) : undefined;
}

async function deleteRepository(repository: string): Promise<void> {
  for (const digest of new Set(Object.values(await tagDigests(repository)))) {
    await fetch(`${REGISTRY_URL}/v2/${repository}/manifests/${digest}`, { method: 'DELETE' });
  }
}

// Other tests push to the shared registry meanwhile, so bytes are measured on this file's own blobs, not the whole store.
async function blobsOf(repository: string, digest: string): Promise<string[]> {
  const response = await fetch(`${REGISTRY_URL}/v2/${repository}/manifests/${digest}`, { headers: { accept: MANIFEST_ACCEPT } });
  const manifest = (await response.json()) as { config: { digest: string }; layers: Array<{ digest: string }> };
  return [digest, manifest.config.digest, ...manifest.layers.map((l) => l.digest)];
}

const blobFile = (digest: string): string => `${DATA_DIR}/docker/registry/v2/blobs/sha256/${digest.slice(7, 9)}/${digest.slice(7)}/data`;
const onDisk = (digest: string): boolean => existsSync(blobFile(digest));
const bytesOnDisk = (digests: Iterable<string>): number => [...new Set(digests)].reduce((sum, d) => sum + (onDisk(d) ? statSync(blobFile(d)).size : 0), 0);
const registryPid = (): string => readFileSync(`${LAB_DIR}/registry/registry.pid`, 'utf8').trim();

async function pull(docker: Docker, ref: string): Promise<void> {
  const stream = await docker.pull(ref, { authconfig: {} });
  await new Promise<void>((resolve, reject) => docker.modem.followProgress(stream, (error: Error | null) => (error ? reject(error) : resolve())));
}

let inventory: Inventory;
let registry1: Host;
const digests: Record<string, string> = {};
const blobs: Record<string, string[]> = {};
const allBlobs = (): string[] => Object.values(blobs).flat();

async function gc(check: boolean, inv: Inventory = inventory): Promise<{ result: StepResult; progress: string[] }> {
  const { ctx, progress, close } = makeStepContext({ host: registry1, inventory: inv, vars: { rollout_tag: ROLLOUT_TAG }, check });
  try {
    return { result: await runStep(gcStep, ctx, OPTIONS), progress };
  } finally {
    await close();
  }
}

const deletion = (tag: string, past: boolean): string => `${past ? 'Deleted' : 'Delete'} ${REGISTRY}/${REPO}@${digests[tag]} (tags ${tag})`;

beforeAll(async () => {
  const loaded = await loadInventory(LAB_INVENTORY);
  if (!loaded.value) throw new Error(`cannot load ${LAB_INVENTORY}: ${JSON.stringify(loaded)}`);
  inventory = loaded.value;
  registry1 = inventory.hosts.get('registry1')!;

  const build1 = labDocker('build1');
  const web2 = labDocker('web2');
  await removeContainers(web2, 't-gc-');
  await deleteRepository(REPO);
  await deleteRepository(PROBE_REPO);

  // Five distinct images, each with its own incompressible layer, so deleting one frees bytes a sweep can measure.
  for (const tag of DATESTAMPS) {
    const ref = `${REGISTRY}/${REPO}:${tag}`;
    await buildBusyboxImage(build1, ref, { lines: ['COPY payload /payload'], files: { payload: randomBytes(96 * 1024).toString('base64') } });
    digests[tag] = await pushImage(build1, ref);
    blobs[tag] = await blobsOf(REPO, digests[tag]);
  }
  const newest = DATESTAMPS[DATESTAMPS.length - 1]!;
  await build1.getImage(`${REGISTRY}/${REPO}:${newest}`).tag({ repo: `${REGISTRY}/${REPO}`, tag: ROLLOUT_TAG });
  await pushImage(build1, `${REGISTRY}/${REPO}:${ROLLOUT_TAG}`);

  // web2 still runs an old build: gc must keep it.
  const oldRef = `${REGISTRY}/${REPO}:${IN_USE_TAG}`;
  await pull(web2, oldRef);
  const container = await web2.createContainer({ name: CONTAINER, Image: oldRef, Cmd: ['/bin/sleep', '3600'], HostConfig: { NetworkMode: 'none' } });
  await container.start();
});

afterAll(async () => {
  // Whatever happened above, the shared lab keeps its registry.
  if ((await fetch(`${REGISTRY_URL}/v2/`).catch(() => undefined))?.status !== 200) await runLabScript(['registry', 'start']);
  const web2 = labDocker('web2');
  const build1 = labDocker('build1');
  await removeContainers(web2, 't-gc-');
  const refs = [...DATESTAMPS, ROLLOUT_TAG].map((tag) => `${REGISTRY}/${REPO}:${tag}`).concat(`${REGISTRY}/${PROBE_REPO}:again`);
  for (const [docker, ref] of refs.flatMap(
    (ref) =>
      [
        [web2, ref],
        [build1, ref],
      ] as const,
  )) {
    await docker
      .getImage(ref)
      .remove({ force: true })
      .catch(() => undefined);
  }
  await deleteRepository(REPO);
  await deleteRepository(PROBE_REPO);
});

describe('gc against the lab registry', () => {
  it('check: lists the expiring digests, keeps the one web2 runs, estimates the bytes, touches nothing', async () => {
    const tagsBefore = await tagDigests(REPO);
    const bytesBefore = bytesOnDisk(allBlobs());
    const pidBefore = registryPid();

    const { result } = await gc(true);

    expect(result.status).toBe('changed');
    const sweep = result.actions.filter((a) => a.startsWith('Collect garbage on registry1: '));
    expect(result.actions.filter((a) => a.startsWith('Delete '))).toEqual([deletion('20261101-0300', false), deletion('20261103-0300', false)]);
    expect(sweep).toHaveLength(1);
    // Two layers of ~97 KiB each (gzipped base64 of 96 KiB of noise) go with the two deletions.
    const estimate = /would free up to ([\d.]+) (KiB|MiB)/.exec(sweep[0]!);
    expect(estimate).not.toBeNull();
    expect(Number(estimate![1]) * (estimate![2] === 'MiB' ? 1024 : 1)).toBeGreaterThanOrEqual(150);
    expect(result.notes).toContain(`Kept ${REGISTRY}/${REPO}@${digests[IN_USE_TAG]} (tags ${IN_USE_TAG}): in use: web2 container ${CONTAINER} (running)`);

    expect(await tagDigests(REPO)).toEqual(tagsBefore);
    expect(allBlobs().filter((d) => !onDisk(d))).toEqual([]);
    expect(bytesOnDisk(allBlobs())).toBe(bytesBefore);
    // Never stopped: the same registry process still serves.
    expect(registryPid()).toBe(pidBefore);
  });

  it('refuses to delete anything when a Docker host cannot be asked what it runs', async () => {
    const ghost: Host = { name: 't-gc-ghost', groups: ['all'], vars: { registry: REGISTRY, docker: { host: `unix://${LAB_DIR}/t-gc-ghost/docker.sock` } } };
    const withGhost: Inventory = { ...inventory, hosts: new Map(inventory.hosts).set(ghost.name, ghost) };
    const tagsBefore = await tagDigests(REPO);

    const { ctx, close } = makeStepContext({ host: registry1, inventory: withGhost, vars: { rollout_tag: ROLLOUT_TAG }, check: false });
    try {
      await expect(planStep(gcStep, ctx, OPTIONS)).rejects.toMatchObject({ code: 'in-use-unknown', message: expect.stringContaining('t-gc-ghost') });
    } finally {
      await close();
    }
    const { result } = await gc(false, withGhost);
    expect(result.status).toBe('failed');
    expect(reasonOf(result)).toContain('t-gc-ghost');
    expect(result.actions).toEqual([]);

    expect(await tagDigests(REPO)).toEqual(tagsBefore);
  });

  it('does nothing on a host without registry_gc, and refuses registry_gc without ssh', async () => {
    const web2 = inventory.hosts.get('web2')!;
    const plain = makeStepContext({ host: web2, inventory, vars: { rollout_tag: ROLLOUT_TAG } });
    try {
      expect(await runStep(gcStep, plain.ctx, OPTIONS)).toEqual({
        status: 'skipped',
        actions: [],
        notes: [],
        reason: 'web2 has no registry_gc: not a registry host',
      });
    } finally {
      await plain.close();
    }
    const { ssh: _ssh, ...withoutSsh } = registry1.vars;
    const noSsh = makeStepContext({ host: { ...registry1, vars: withoutSsh }, inventory, vars: { rollout_tag: ROLLOUT_TAG } });
    try {
      await expect(planStep(gcStep, noSsh.ctx, OPTIONS)).rejects.toMatchObject({ code: 'no-ssh' });
    } finally {
      await noSsh.close();
    }
  });

  it('apply: deletes the expiring digests, keeps the in-use one and the rollout tag, frees bytes, registry accepts pushes', async () => {
    const bytesBefore = bytesOnDisk(allBlobs());
    const pidBefore = registryPid();

    const { result, progress } = await gc(false);

    expect(result.status, JSON.stringify({ result, progress })).toBe('changed');
    expect(result.actions.slice(0, 2)).toEqual([deletion('20261101-0300', true), deletion('20261103-0300', true)]);
    expect(result.actions[2]).toMatch(/^Collected garbage on registry1: removed \d+ blobs? and \d+ untagged manifests?$/);
    expect(result.actions[3]).toMatch(/^Freed [\d.]+ (B|KiB|MiB) on registry1 \([\d.]+ (B|KiB|MiB|GiB) → [\d.]+ (B|KiB|MiB|GiB)\)$/);
    expect(result.notes).toContain(`Kept ${REGISTRY}/${REPO}@${digests[IN_USE_TAG]} (tags ${IN_USE_TAG}): in use: web2 container ${CONTAINER} (running)`);

    expect(await tagDigests(REPO)).toEqual({
      [IN_USE_TAG]: digests[IN_USE_TAG],
      '20261104-0300': digests['20261104-0300'],
      '20261105-0300': digests['20261105-0300'],
      [ROLLOUT_TAG]: digests['20261105-0300'],
    });
    expect(await manifestDigest(REPO, digests['20261101-0300']!)).toBeUndefined();
    expect(await manifestDigest(REPO, digests['20261103-0300']!)).toBeUndefined();
    // The blobs only the deleted builds used are gone from disk; every blob of a kept build is still there.
    const shared = new Set([...blobs[IN_USE_TAG]!, ...blobs['20261104-0300']!, ...blobs['20261105-0300']!]);
    const expired = [...blobs['20261101-0300']!, ...blobs['20261103-0300']!].filter((d) => !shared.has(d));
    expect(expired).toHaveLength(6);
    expect(expired.filter(onDisk)).toEqual([]);
    expect([...shared].filter((d) => !onDisk(d))).toEqual([]);
    expect(bytesOnDisk(allBlobs())).toBeLessThan(bytesBefore - 150 * 1024);
    // Stopped for the sweep and started again (`after`), so its blob cache starts empty.
    expect(registryPid()).not.toBe(pidBefore);

    // The registry is back, and its blob cache does not claim the swept layers: re-pushing a deleted build uploads them again.
    expect((await fetch(`${REGISTRY_URL}/v2/`)).status).toBe(200);
    const build1 = labDocker('build1');
    const probeRef = `${REGISTRY}/${PROBE_REPO}:again`;
    await build1.getImage(`${REGISTRY}/${REPO}:20261101-0300`).tag({ repo: `${REGISTRY}/${PROBE_REPO}`, tag: 'again' });
    expect(await pushImage(build1, probeRef)).toBe(digests['20261101-0300']);
    const manifest = (await (await fetch(`${REGISTRY_URL}/v2/${PROBE_REPO}/manifests/again`, { headers: { accept: MANIFEST_ACCEPT } })).json()) as {
      config: { digest: string };
      layers: Array<{ digest: string }>;
    };
    for (const blob of [manifest.config.digest, ...manifest.layers.map((l) => l.digest)]) {
      const response = await fetch(`${REGISTRY_URL}/v2/${PROBE_REPO}/blobs/${blob}`);
      expect(response.status, blob).toBe(200);
      await response.arrayBuffer();
    }
  });

  it('apply again: nothing to delete, nothing to collect → ok', async () => {
    const tagsBefore = await tagDigests(REPO);
    // Other test files share this registry and may leave garbage meanwhile (in CI they run one at a time): that may cost a
    // sweep or two, but gc never deletes anything again and settles to ok.
    const results: StepResult[] = [];
    for (let attempt = 0; attempt < 3 && results.at(-1)?.status !== 'ok'; attempt++) results.push((await gc(false)).result);
    expect(results.flatMap((r) => r.actions).filter((a) => !/^(Collected garbage|Freed) /.test(a))).toEqual([]);
    expect(results.at(-1)!.status, JSON.stringify(results)).toBe('ok');
    expect(results.at(-1)!.actions).toEqual([]);
    expect(await tagDigests(REPO)).toEqual(tagsBefore);
  });
});
