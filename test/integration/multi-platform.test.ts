// Multi-platform images: the rollout tag names an index with a linux/amd64 and a linux/arm64 image. An update of the arm64
// image alone changes the index's digest, but not the lab hosts' (amd64) image: pull fetches nothing and start restarts
// nothing. An update of the amd64 image is rolled out.
import { Readable } from 'node:stream';
import { createHash, randomBytes } from 'node:crypto';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createRegistryClient } from '../../src/adapters/registry.js';
import { REGISTRY, REGISTRY_URL, buildBusyboxImage, labDocker, labSocket, pushImage, removeContainers } from '../support/lab.js';
import { freshen, readReport, tempDir, writePlaybook, writeOneHostInventory } from './rollout.helpers.js';
import { deleteManifests, pullOn, removeImages } from './steps-rollout.helpers.js';

const REPO = 't-multi/app';
const TAG = 't-multi';
const REF = `${REGISTRY}/${REPO}:${TAG}`;
const APP = 't-multi-app';
const INDEX = 'application/vnd.oci.image.index.v1+json';
const build1 = labDocker('build1');
const web2 = labDocker('web2');
const registry = createRegistryClient({ name: REGISTRY, url: REGISTRY_URL });
const pushed: string[] = [];
let dir: string;
let inventory: string;
let playbook: string;

/** Fresh digests on every run, so images an earlier run left on web2 cannot stand in. */
const NONCE = randomBytes(4).toString('hex');
const sha256 = (bytes: Buffer): string => `sha256:${createHash('sha256').update(bytes).digest('hex')}`;

/** Builds and pushes an amd64 image under a tag of its own; returns its manifest (raw, media type, digest) and image ID. */
async function amd64Image(version: number): Promise<{ raw: Buffer; mediaType: string; digest: string; id: string }> {
  const ref = `${REGISTRY}/${REPO}:amd64-${version}`;
  const id = await buildBusyboxImage(build1, ref, {
    lines: [`LABEL t-multi.version=${version}-${NONCE}`, 'CMD ["/bin/sh", "-c", "trap \'exit 0\' TERM; while true; do sleep 1; done"]'],
  });
  pushed.push(await pushImage(build1, ref));
  const manifest = (await registry.manifest(REPO, `amd64-${version}`))!;
  return { raw: manifest.raw, mediaType: manifest.mediaType, digest: manifest.digest, id };
}

/** An arm64 image made from the amd64 one's layers with a config of its own (the lab cannot run it; nothing here does). */
async function arm64Image(from: { raw: Buffer }, version: number): Promise<{ raw: Buffer; mediaType: string; digest: string }> {
  const manifest = JSON.parse(from.raw.toString('utf8')) as { config: { digest: string; size: number; mediaType: string } };
  const stream = await registry.openBlob(REPO, manifest.config.digest);
  const chunks: Buffer[] = [];
  for await (const chunk of stream.stream) chunks.push(chunk as Buffer);
  const config = JSON.parse(Buffer.concat(chunks).toString('utf8')) as { architecture: string; config: { Labels?: Record<string, string> } };
  config.architecture = 'arm64';
  config.config.Labels = { ...config.config.Labels, 't-multi.arm64': String(version) };
  const configBytes = Buffer.from(JSON.stringify(config));
  await registry.uploadBlob(REPO, sha256(configBytes), configBytes.length, Readable.from([configBytes]));
  const raw = Buffer.from(JSON.stringify({ ...manifest, config: { ...manifest.config, digest: sha256(configBytes), size: configBytes.length } }));
  const mediaType = (JSON.parse(from.raw.toString('utf8')) as { mediaType: string }).mediaType;
  const digest = await registry.putManifest(REPO, sha256(raw), { mediaType, raw });
  pushed.push(digest);
  return { raw, mediaType, digest };
}

/** Points the rollout tag at an index of the two images. */
async function publishIndex(
  amd64: { raw: Buffer; mediaType: string; digest: string },
  arm64: { raw: Buffer; mediaType: string; digest: string },
): Promise<string> {
  const entry = (m: typeof amd64, architecture: string) => ({
    mediaType: m.mediaType,
    digest: m.digest,
    size: m.raw.length,
    platform: { os: 'linux', architecture },
  });
  const raw = Buffer.from(JSON.stringify({ schemaVersion: 2, mediaType: INDEX, manifests: [entry(amd64, 'amd64'), entry(arm64, 'arm64')] }));
  const digest = await registry.putManifest(REPO, TAG, { mediaType: INDEX, raw });
  pushed.push(digest);
  return digest;
}

const rollout = async (json: string) => {
  const r = await freshen(['run', playbook, '-i', inventory, '--json', join(dir, json)], join(dir, 'locks'));
  return { ...r, report: await readReport(join(dir, json)) };
};

let amd64v1: Awaited<ReturnType<typeof amd64Image>>;

beforeAll(async () => {
  dir = await tempDir('t-multi-');
  inventory = await writeOneHostInventory(dir, TAG, 'web2', `unix://${labSocket('web2')}`);
  playbook = await writePlaybook(dir, 'rollout.yml', '- name: Roll out\n  hosts: web2\n  steps: [pull, stop, { start: { settle: 1s } }]\n');
  amd64v1 = await amd64Image(1);
  await publishIndex(amd64v1, await arm64Image(amd64v1, 1));
  await web2
    .getContainer(APP)
    .remove({ force: true })
    .catch(() => undefined);
  await pullOn(web2, REF);
  await (await web2.createContainer({ name: APP, Image: REF, HostConfig: { NetworkMode: 'none' } })).start();
}, 300_000);

afterAll(async () => {
  await removeContainers(web2, APP);
  await removeImages(web2, REPO).catch(() => undefined);
  await deleteManifests(REPO, pushed);
  registry.close();
});

describe('an index of two platforms under the rollout tag', () => {
  it('an update of the other platform only: pull fetches nothing, start restarts nothing', async () => {
    const before = await web2.getContainer(APP).inspect();
    const oldIndex = await registry.manifestDigest(REPO, TAG);
    const newIndex = await publishIndex(amd64v1, await arm64Image(amd64v1, 2));
    expect(newIndex).not.toBe(oldIndex);
    const r = await rollout('other-platform.json');
    expect(r.code, r.stdout + r.stderr).toBe(0);
    expect(r.report.recap.web2?.changed).toBe(0);
    expect(r.report.plays[0]!.hosts.web2![0]!.notes.join('\n')).toContain(`${REF} is up to date for this host's platform`);
    const after = await web2.getContainer(APP).inspect();
    expect(after.Id).toBe(before.Id);
    expect(after.State.StartedAt).toBe(before.State.StartedAt);
  });

  it("an update of this host's platform is rolled out", async () => {
    const amd64v2 = await amd64Image(2);
    await publishIndex(amd64v2, await arm64Image(amd64v2, 3));
    const r = await rollout('own-platform.json');
    expect(r.code, r.stdout + r.stderr).toBe(0);
    expect((await web2.getContainer(APP).inspect()).Image).toBe(amd64v2.id);
  });
});
