// gc's safe sweep against a registry of this file's own (not the shared lab registry): read-only during the sweep, then
// stopped during the sweep, each restarted after; never a sweep while this run pushes; pushes work after each sweep.
import { randomBytes } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { StepResult } from '../../src/model/results.js';
import { newRunState, type RunState } from '../../src/steps/facts.js';
import { runStep } from '../../src/runner/runStep.js';
import { gcStep } from '../../src/steps/gc/gc.js';
import { buildBusyboxImage, labDocker, pushImage } from '../support/lab.js';
import { startOwnRegistry, type OwnRegistry } from '../support/ownRegistry.js';
import { blobsOnDisk, manifestBlobsOver, ownRegistryInventory, tagDigestsOver, type SweepMode } from '../support/ownRegistryGc.js';
import { makeStepContext } from '../support/stepContext.js';

const REPO = 't-gcsafe/app';
let registry: OwnRegistry;
const digests: Record<string, string> = {};
const pushedRefs: string[] = [];

async function publish(tag: string, alsoProd: boolean): Promise<void> {
  const build1 = labDocker('build1');
  const ref = `${registry.name}/${REPO}:${tag}`;
  await buildBusyboxImage(build1, ref, { lines: ['COPY payload /payload'], files: { payload: randomBytes(48 * 1024).toString('base64') } });
  digests[tag] = await pushImage(build1, ref);
  pushedRefs.push(ref);
  if (alsoProd) {
    await build1.getImage(ref).tag({ repo: `${registry.name}/${REPO}`, tag: 'prod' });
    await pushImage(build1, `${registry.name}/${REPO}:prod`);
  }
}

async function gc(mode: SweepMode, options: Record<string, unknown>, run: RunState = newRunState()): Promise<StepResult> {
  const { inventory, reg } = ownRegistryInventory(registry, mode, ['web2']);
  const { ctx, close } = makeStepContext({ host: reg, inventory, run });
  try {
    return await runStep(gcStep, ctx, options);
  } finally {
    await close();
  }
}

const uploadStatus = async (): Promise<number> => {
  const response = await fetch(`${registry.url}/v2/${REPO}/blobs/uploads/`, { method: 'POST' });
  await response.arrayBuffer();
  return response.status;
};

/** A push after a sweep really uploads: the registry serves every blob of the pushed manifest. */
async function pushWorks(tag: string): Promise<void> {
  await publish(tag, true);
  const manifest = await manifestBlobsOver(registry.url, REPO, tag);
  expect(manifest?.digest).toBe(digests[tag]);
  // Config and layers: the manifest itself is stored as a blob but served only under /manifests/.
  for (const blob of [...manifest!.blobs.keys()].filter((d) => d !== manifest!.digest)) {
    const response = await fetch(`${registry.url}/v2/${REPO}/blobs/${blob}`);
    expect(response.status, blob).toBe(200);
    await response.arrayBuffer();
  }
}

beforeAll(async () => {
  registry = await startOwnRegistry('t-gcsafe');
  await publish('20261101-0300', false);
  await publish('20261102-0300', false);
  await publish('20261103-0300', true);
}, 120_000);

afterAll(async () => {
  for (const ref of pushedRefs.concat(`${registry?.name}/${REPO}:prod`))
    await labDocker('build1')
      .getImage(ref)
      .remove({ force: true })
      .catch(() => undefined);
  await registry?.destroy();
});

describe('gc with a safe sweep, on a registry of its own', () => {
  it('read-only mode serves pulls and refuses uploads; off again, uploads work', async () => {
    await registry.run('readonly', 'on');
    try {
      expect(await uploadStatus()).not.toBe(202);
      expect((await manifestBlobsOver(registry.url, REPO, 'prod'))?.digest).toBe(digests['20261103-0300']);
    } finally {
      await registry.run('readonly', 'off');
    }
    expect(await uploadStatus()).toBe(202);
  });

  it('never sweeps while this run is pushing: deletes, waits push_wait, then fails without touching the registry', async () => {
    const pid = await registry.pid();
    const onDisk = blobsOnDisk(registry.dataDir);
    const run = newRunState();
    let finishPush = (): void => undefined;
    void run.pushes.upload(() => new Promise<void>((resolve) => (finishPush = resolve)));
    const result = await gc('readonly', { keep: 2, push_wait: '1s' }, run);
    finishPush();
    expect(result).toMatchObject({
      status: 'failed',
      code: 'push-in-flight',
      actions: [`Deleted ${registry.name}/${REPO}@${digests['20261101-0300']} (tags 20261101-0300)`],
    });
    expect(await registry.pid()).toBe(pid);
    expect(blobsOnDisk(registry.dataDir)).toEqual(onDisk);
  });

  it('read-only sweep: collects what the deletion left, restarts the registry writable; pushes work after', async () => {
    const pid = await registry.pid();
    const before = blobsOnDisk(registry.dataDir);
    const result = await gc('readonly', { keep: 2 });
    expect(result.status, JSON.stringify(result)).toBe('changed');
    expect(result.actions[0]).toMatch(/^Collected garbage on reg: removed [1-9]\d* blobs? and \d+ untagged manifests?$/);
    expect(result.actions[1]).toMatch(/^Freed [\d.]+ KiB on reg /);
    expect(await registry.pid()).not.toBe(pid);
    const after = blobsOnDisk(registry.dataDir);
    expect(after.size).toBeLessThan(before.size);
    expect(after.has(digests['20261101-0300']!)).toBe(false);
    expect(await uploadStatus()).toBe(202);
    await pushWorks('20261104-0300');
  });

  it('stopped sweep: deletes past retention, sweeps with the registry stopped, starts it again; pushes work after', async () => {
    const pid = await registry.pid();
    const result = await gc('stopped', { keep: 2 });
    expect(result.status, JSON.stringify(result)).toBe('changed');
    expect(result.actions[0]).toBe(`Deleted ${registry.name}/${REPO}@${digests['20261102-0300']} (tags 20261102-0300)`);
    expect(result.actions[1]).toMatch(/^Collected garbage on reg: removed [1-9]\d* blobs? and \d+ untagged manifests?$/);
    expect(await registry.pid()).not.toBe(pid);
    expect(Object.keys(await tagDigestsOver(registry.url, REPO)).sort()).toEqual(['20261103-0300', '20261104-0300', 'prod']);
    // Every blob left on disk belongs to a kept manifest, and every blob of a kept manifest is on disk.
    const kept = new Set<string>();
    for (const tag of ['20261103-0300', '20261104-0300']) for (const blob of (await manifestBlobsOver(registry.url, REPO, tag))!.blobs.keys()) kept.add(blob);
    expect([...blobsOnDisk(registry.dataDir).keys()].sort()).toEqual([...kept].sort());
    await pushWorks('20261105-0300');
  });

  it('again (nothing past retention after one more deletion and sweep): ok', async () => {
    expect((await gc('stopped', { keep: 3 })).status).toBe('ok');
  });
});
