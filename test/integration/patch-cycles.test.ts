// patch cycles against the lab, beside patch.test.ts: the lab's Debian upstream (`lab.sh debian`) patched again and again
// into a registry of this file's own (bench/patch-cycles.mjs runs ten, against ten `docker commit` cycles); then gc
// keeps the SBOMs of the kept builds, and backup and restore carry an SBOM to a second registry. A file of its own so that
// its cycles run beside patch.test.ts.
import { randomBytes } from 'node:crypto';
import { mkdir, rm } from 'node:fs/promises';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { readNewestArtifact } from '../../src/adapters/referrers.js';
import { createRegistryClient } from '../../src/adapters/registry.js';
import { SBOM_MEDIA_TYPE } from '../../src/images/sbom.js';
import { runStep } from '../../src/runner/runStep.js';
import { backupStep } from '../../src/steps/backup/backup.js';
import { gcStep } from '../../src/steps/gc/gc.js';
import { cycloneDxErrors } from '../support/cycloneDx.js';
import { runLabScript } from '../support/lab.js';
import { startOwnRegistry, type OwnRegistry } from '../support/ownRegistry.js';
import { blobsOnDisk, ownRegistryInventory } from '../support/ownRegistryGc.js';
import { labHost, makeStepContext } from '../support/stepContext.js';
import { docker, imageFacts, patchAndPush, removePatchImages, UPSTREAM } from './patch.helpers.js';
import { tempDir } from './rollout.helpers.js';

const NONCE = randomBytes(3).toString('hex');
const REPO = `t-patch-cycles-${NONCE}/debian`;
// Two show it: a second patch of the same upstream stays one layer and the same size. That `docker commit` cycles grow is
// Docker's behaviour, not freshen's: bench/patch-cycles.mjs measures ten of each, side by side, for docs/patching.md.
const CYCLES = 2;
let own: OwnRegistry;
let restored: OwnRegistry;
let work: string;

const ownClient = () => createRegistryClient({ name: own.name, url: own.url });

beforeAll(async () => {
  const lab = await runLabScript(['debian']);
  expect(lab.code, lab.stderr).toBe(0);
  [own, restored] = await Promise.all([startOwnRegistry('t-patch-cycles'), startOwnRegistry('t-patch-restored')]);
  work = await tempDir('t-patch-cycles-');
  await docker('build1', ['pull', '-q', UPSTREAM]);
}, 300_000);

afterAll(async () => {
  await removePatchImages([own?.name, restored?.name], `t-patch-cycles-${NONCE}`);
  await Promise.all([own?.destroy(), restored?.destroy()]);
  await rm(work, { recursive: true, force: true });
});

describe('patch cycles', () => {
  it(`${CYCLES} patch cycles keep one patch layer and the size`, async () => {
    const upstream = await imageFacts('build1', UPSTREAM);
    const patchSizes: number[] = [];
    for (let cycle = 0; cycle < CYCLES; cycle++) {
      // Forced each time (max_age, identical results kept; no probe needed) so every cycle really patches and pushes.
      const [patch, push] = await patchAndPush(own.name, work, { images: [{ from: UPSTREAM, to: REPO }], max_age: '1ms', skip_identical: false, probe: false });
      expect(patch!.status, JSON.stringify(patch)).toBe('changed');
      expect(push!.status, JSON.stringify(push)).toBe('changed');
      const facts = await imageFacts('build1', `${own.name}/${REPO}:prod`);
      expect(facts.layers).toBe(upstream.layers + 1);
      patchSizes.push(facts.size);
    }
    const spread = Math.max(...patchSizes) / Math.min(...patchSizes);
    expect(spread).toBeLessThan(1.03);
  }, 900_000);

  it('gc keeps the SBOMs of the kept builds and deletes them with their images; the sweep keeps them readable', async () => {
    const client = ownClient();
    const datestampsBefore = (await client.tags(REPO)).filter((t) => /^\d{8}-\d{4}/.test(t));
    const { inventory: inv, reg } = ownRegistryInventory(own, 'stopped', ['web2']);
    const { ctx, close } = makeStepContext({ host: reg, inventory: inv });
    try {
      const result = await runStep(gcStep, ctx, { keep: 1 });
      expect(result.status, JSON.stringify(result)).toBe('changed');
    } finally {
      await close();
    }
    const tags = await client.tags(REPO);
    const kept = tags.filter((t) => /^\d{8}-\d{4}/.test(t));
    expect(kept.length).toBeLessThan(datestampsBefore.length);
    const subjects = new Set(await Promise.all(['prod', ...kept].map(async (t) => (await client.manifestDigest(REPO, t))!)));
    // Every tag of a subject belongs to a kept image, and every kept image (patched) still has its SBOM.
    for (const tag of tags.filter((t) => t.startsWith('sha256-'))) expect(subjects).toContain(tag.slice(0, 71).replace('-', ':'));
    const disk = blobsOnDisk(own.dataDir);
    for (const subject of subjects) {
      const sbom = await readNewestArtifact(client, REPO, subject, SBOM_MEDIA_TYPE, 64 << 20);
      expect(sbom, subject).toBeDefined();
      expect(cycloneDxErrors(JSON.parse(sbom!.content.toString('utf8')))).toEqual([]);
    }
    expect(disk.size).toBeGreaterThan(0);
  }, 300_000);

  it('backup copies the SBOM and a restore serves it again', async () => {
    const layout = join(work, 'layout');
    await mkdir(layout, { recursive: true });
    const run = async (host: string, options: Record<string, unknown>) => {
      const { ctx, close } = makeStepContext({ host: labHost('registry1', { registry: host }), check: false, playbookDir: work });
      try {
        return await runStep(backupStep, ctx, options);
      } finally {
        await close();
      }
    };
    const backup = await run(own.name, { to: { oci_layout: 'layout' }, repositories: [REPO] });
    expect(backup.status, JSON.stringify(backup)).toBe('changed');
    const restore = await run(restored.name, { from: { oci_layout: 'layout' }, repositories: [REPO] });
    expect(restore.status, JSON.stringify(restore)).toBe('changed');
    const back = createRegistryClient({ name: restored.name, url: restored.url });
    const digest = (await back.manifestDigest(REPO, 'prod'))!;
    expect(digest).toBe(await ownClient().manifestDigest(REPO, 'prod'));
    const fromBackup = await readNewestArtifact(back, REPO, digest, SBOM_MEDIA_TYPE, 64 << 20);
    const fromSource = await readNewestArtifact(ownClient(), REPO, digest, SBOM_MEDIA_TYPE, 64 << 20);
    expect(fromBackup?.content.equals(fromSource!.content)).toBe(true);
  }, 300_000);
});
