// The other way to run retention: ten builds pushed with no gc in between, then one `gc: { keep: 3 }` at the end, on a
// registry of this file's own, with web2 running build 2. The disk must end up exactly as with a gc after every cycle
// (retention-cycles.test.ts): the blobs of the newest three builds and build 2, nothing else. Numbers: docs/registry.md.
import { randomBytes } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { runStep } from '../../src/runner/runStep.js';
import { gcStep } from '../../src/steps/gc/gc.js';
import { buildBusyboxImage, labDocker, pushImage, removeContainers, removeImageReferences } from '../support/lab.js';
import { startOwnRegistry, type OwnRegistry } from '../support/ownRegistry.js';
import { blobsOnDisk, manifestBlobsOver, ownRegistryInventory, pullRef, tagDigestsOver } from '../support/ownRegistryGc.js';
import { makeStepContext } from '../support/stepContext.js';

const REPO = 't-reto/app';
const CONTAINER = 't-reto-build2';
const datestamp = (cycle: number): string => `202611${String(cycle).padStart(2, '0')}-0300`;
const sum = (m: Map<string, number>): number => [...m.values()].reduce((a, b) => a + b, 0);
let registry: OwnRegistry;

beforeAll(async () => {
  await removeContainers(labDocker('web2'), 't-reto-');
  registry = await startOwnRegistry('t-reto');
}, 60_000);

afterAll(async () => {
  await removeContainers(labDocker('web2'), 't-reto-');
  for (const docker of [labDocker('web2'), labDocker('build1')]) await removeImageReferences(docker, (name) => name.startsWith(`${registry?.name}/`));
  await registry?.destroy();
});

describe('ten builds, then one gc with keep: 3', () => {
  it('leaves exactly the blobs of the kept manifests, build 2 among them', async () => {
    const build1 = labDocker('build1');
    for (let cycle = 1; cycle <= 10; cycle++) {
      const ref = `${registry.name}/${REPO}:${datestamp(cycle)}`;
      await buildBusyboxImage(build1, ref, { lines: ['COPY payload /payload'], files: { payload: randomBytes(192 * 1024).toString('base64') } });
      await pushImage(build1, ref);
      await build1.getImage(ref).tag({ repo: `${registry.name}/${REPO}`, tag: 'prod' });
      await pushImage(build1, `${registry.name}/${REPO}:prod`);
      await build1
        .getImage(ref)
        .remove()
        .catch(() => undefined);
    }
    const web2 = labDocker('web2');
    await pullRef(web2, `${registry.name}/${REPO}:${datestamp(2)}`);
    await (
      await web2.createContainer({
        name: CONTAINER,
        Image: `${registry.name}/${REPO}:${datestamp(2)}`,
        Cmd: ['/bin/sleep', '3600'],
        HostConfig: { NetworkMode: 'none' },
      })
    ).start();
    const before = blobsOnDisk(registry.dataDir);

    const { inventory, reg } = ownRegistryInventory(registry, 'readonly', ['web2']);
    const { ctx, close } = makeStepContext({ host: reg, inventory });
    const result = await runStep(gcStep, ctx, { keep: 3 }).finally(close);
    expect(result.status, JSON.stringify(result)).toBe('changed');
    expect(result.actions.filter((a) => a.startsWith('Deleted '))).toHaveLength(6);
    expect(result.notes.some((n) => n.includes(`(tags ${datestamp(2)}): in use: web2 container ${CONTAINER} (running)`))).toBe(true);

    const kept = ['20261102-0300', '20261108-0300', '20261109-0300', '20261110-0300', 'prod'];
    expect(Object.keys(await tagDigestsOver(registry.url, REPO)).sort()).toEqual(kept);
    const expected = new Map<string, number>();
    for (const tag of kept) for (const [digest, size] of (await manifestBlobsOver(registry.url, REPO, tag))!.blobs) expected.set(digest, size);
    const after = blobsOnDisk(registry.dataDir);
    expect([...after.keys()].sort()).toEqual([...expected.keys()].sort());
    expect(sum(after)).toBe(sum(expected));
    if (process.env.FRESHEN_RETENTION_NUMBERS)
      console.log(
        JSON.stringify({ blobsBefore: before.size, bytesBefore: sum(before), blobsAfter: after.size, bytesAfter: sum(after), actions: result.actions }),
      );
  }, 120_000);
});
