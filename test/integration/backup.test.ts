// backup against the lab: t-backup/* repositories of the lab registry (127.0.0.1:5055) are backed up to an OCI layout in a
// temp dir, restored from it into an empty registry of this test's own, pulled from there on build1, and mirrored registry →
// registry into a second own registry. Three passes each: check (would change, nothing written), apply, apply again (ok).
import { execFile } from 'node:child_process';
import { createHash, randomBytes } from 'node:crypto';
import { cp, mkdtemp, readFile, readdir, rm, stat, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { codeOf, reasonOf } from '../../src/model/results.js';
import { createRegistryClient } from '../../src/adapters/registry.js';
import type { StepResult } from '../../src/model/results.js';
import { runStep } from '../../src/runner/runStep.js';
import { backupStep } from '../../src/steps/backup/backup.js';
import { REGISTRY, REGISTRY_URL, buildBusyboxImage, labDocker, pushImage } from '../support/lab.js';
import { labHost, makeStepContext } from '../support/stepContext.js';
import { deleteRepository, startOwnRegistry, tagDigests, type OwnRegistry } from './backup.helpers.js';

const REPOS = ['t-backup/one', 't-backup/two'];
const NONCE = randomBytes(4).toString('hex');
const build1 = labDocker('build1');
const sha256 = (bytes: Buffer): string => `sha256:${createHash('sha256').update(bytes).digest('hex')}`;

/** Runs a peer tool (skopeo, umoci) and returns its standard output as bytes; a failure carries its standard error. */
function run(tool: string, args: string[]): Promise<Buffer> {
  return new Promise((resolve, reject) =>
    execFile(tool, args, { encoding: 'buffer', maxBuffer: 64 << 20 }, (error, stdout, stderr) =>
      error ? reject(new Error(`${tool} ${args.join(' ')}: ${error.message}\n${stderr.toString()}`)) : resolve(stdout),
    ),
  );
}

let work: string;
let restored: OwnRegistry;
let mirror: OwnRegistry;
let scratch: OwnRegistry;
const imageIds: Record<string, string> = {};
let source: Record<string, string>;

/** Runs the backup step on registry1, whose `registry` is `registry` (default: the lab's). */
async function backup(options: Record<string, unknown>, { check = false, registry = REGISTRY } = {}): Promise<StepResult> {
  const { ctx, close } = makeStepContext({ host: labHost('registry1', { registry }), check, playbookDir: work });
  try {
    return await runStep(backupStep, ctx, options);
  } finally {
    await close();
  }
}

beforeAll(async () => {
  work = await mkdtemp(join(tmpdir(), 't-backup-'));
  [restored, mirror, scratch] = await Promise.all([startOwnRegistry('restored'), startOwnRegistry('mirror'), startOwnRegistry('scratch')]);
  const images: Array<[string, string]> = [
    ['t-backup/one:prod', 'one'],
    ['t-backup/one:20260101-0300', 'one-older'],
    ['t-backup/two:prod', 'two'],
  ];
  for (const [ref, content] of images) {
    const tag = `${REGISTRY}/${ref}`;
    imageIds[ref] = await buildBusyboxImage(build1, tag, { lines: [`RUN echo ${content}-${NONCE} > /content`] });
    await pushImage(build1, tag);
  }
  // An index over one:prod, so children of an index are copied too.
  const lab = createRegistryClient({ name: REGISTRY, url: REGISTRY_URL });
  const prod = (await lab.manifest('t-backup/one', 'prod'))!;
  const index = Buffer.from(
    JSON.stringify({
      schemaVersion: 2,
      mediaType: 'application/vnd.oci.image.index.v1+json',
      manifests: [{ mediaType: prod.mediaType, digest: prod.digest, size: prod.raw.length, platform: { os: 'linux', architecture: 'amd64' } }],
    }),
  );
  await lab.putManifest('t-backup/one', 'multi', { mediaType: 'application/vnd.oci.image.index.v1+json', raw: index });
  lab.close();
  source = await tagDigests(REGISTRY_URL, REPOS);
});

afterAll(async () => {
  for (const repository of REPOS) await deleteRepository(REGISTRY_URL, repository);
  for (const ref of Object.keys(imageIds))
    await build1
      .getImage(`${REGISTRY}/${ref}`)
      .remove({ force: true })
      .catch(() => undefined);
  await Promise.all([restored?.stop(), mirror?.stop(), scratch?.stop()]);
  await rm(work, { recursive: true, force: true });
});

describe('backup to an OCI layout, then restore', () => {
  const toLayout = { to: { oci_layout: 'layout' }, repositories: ['t-backup/*'] };

  it('has the four tags to copy in the lab registry', () => {
    expect(Object.keys(source).sort()).toEqual(['t-backup/one:20260101-0300', 't-backup/one:multi', 't-backup/one:prod', 't-backup/two:prod']);
  });

  it('check: lists every tag and the totals, writes nothing', async () => {
    const result = await backup(toLayout, { check: true });
    expect(result.status).toBe('changed');
    const layout = `oci-layout:${join(work, 'layout')}`;
    expect(result.actions.slice(0, 4)).toEqual(
      Object.keys(source)
        .sort()
        .map((ref) => `Copy ${ref}@${source[ref]} from ${REGISTRY} to ${layout}`),
    );
    // one:prod, one:older, two:prod (the index reuses one:prod's manifest); configs and layers counted once.
    expect(result.actions[4]).toMatch(new RegExp(`^Copy 4 manifests and \\d+ blobs \\(.+\\) from ${REGISTRY} to ${layout}$`));
    await expect(stat(join(work, 'layout'))).rejects.toThrow('ENOENT');
  });

  it('apply: copies by digest and verifies', async () => {
    const result = await backup(toLayout);
    expect(result.status, reasonOf(result)).toBe('changed');
    expect(result.actions.at(-1)).toBe(`Verified 4 tags at oci-layout:${join(work, 'layout')}: each serves the source's manifest digest`);
    const dir = join(work, 'layout');
    expect(JSON.parse(await readFile(join(dir, 'oci-layout'), 'utf8'))).toEqual({ imageLayoutVersion: '1.0.0' });
    const index = JSON.parse(await readFile(join(dir, 'index.json'), 'utf8')) as {
      manifests: Array<{ digest: string; mediaType: string; annotations: Record<string, string> }>;
    };
    // index.json names OCI twins (what skopeo and umoci accept); each records the source's manifest, kept beside it.
    const refs = Object.fromEntries(
      index.manifests.map((m) => [m.annotations['org.opencontainers.image.ref.name'], m.annotations['org.freshen.original.digest']]),
    );
    expect(refs).toEqual(source);
    for (const entry of index.manifests) {
      expect(entry.mediaType).toMatch(/^application\/vnd\.oci\.image\.(manifest|index)\.v1\+json$/);
      expect(entry.digest).not.toBe(entry.annotations['org.freshen.original.digest']);
      await stat(join(dir, 'blobs', entry.annotations['org.freshen.original.digest']!.replace(':', '/')));
    }
    // Every blob file is the content its name says, and nothing half-written is left.
    const files = await readdir(join(dir, 'blobs/sha256'));
    expect(files.filter((f) => !/^[a-f0-9]{64}$/.test(f))).toEqual([]);
    for (const file of files) expect(sha256(await readFile(join(dir, 'blobs/sha256', file)))).toBe(`sha256:${file}`);
  });

  it('apply again: ok, nothing copied', async () => {
    const result = await backup(toLayout);
    expect(result.status).toBe('ok');
    expect(result.notes).toContain(`4 tags already up to date at oci-layout:${join(work, 'layout')}`);
  });

  it('skopeo and umoci read every tag of the layout, with the original image IDs', async () => {
    const dir = join(work, 'layout');
    const idOf: Record<string, string> = { ...imageIds, 't-backup/one:multi': imageIds['t-backup/one:prod']! };
    for (const ref of Object.keys(source)) {
      // The config's bytes are the original's: its digest is the image ID Docker built.
      const config = await run('skopeo', ['inspect', '--config', '--raw', `oci:${dir}:${ref}`]);
      expect(sha256(config), ref).toBe(idOf[ref]);
    }
    // skopeo copies out of the layout into a registry, as a user restoring with other tools would.
    await run('skopeo', ['copy', '--quiet', '--dest-tls-verify=false', `oci:${dir}:t-backup/two:prod`, `docker://${scratch.name}/t-backup/skopeo:prod`]);
    const copied = await run('skopeo', ['inspect', '--tls-verify=false', '--config', '--raw', `docker://${scratch.name}/t-backup/skopeo:prod`]);
    expect(sha256(copied)).toBe(imageIds['t-backup/two:prod']);
    // umoci unpacks the image's filesystem (from the index too: its child is a twin).
    for (const ref of ['t-backup/one:prod', 't-backup/one:multi']) {
      const bundle = join(work, `bundle-${ref.replace(/[/:]/g, '-')}`);
      await run('umoci', ['unpack', '--rootless', '--image', `${dir}:${ref}`, bundle]);
      expect(await readFile(join(bundle, 'rootfs/content'), 'utf8')).toBe(`one-${NONCE}\n`);
    }
    // Reading wrote nothing: the next backup still finds every tag up to date.
    expect((await backup(toLayout)).status).toBe('ok');
  });

  it('a restore from a layout with a corrupted layer fails on the digest and writes no tag', async () => {
    const corrupt = join(work, 'corrupt');
    await cp(join(work, 'layout'), corrupt, { recursive: true });
    const files = await readdir(join(corrupt, 'blobs/sha256'));
    const sizes = await Promise.all(files.map(async (f) => (await stat(join(corrupt, 'blobs/sha256', f))).size));
    const biggest = files[sizes.indexOf(Math.max(...sizes))]!;
    const bytes = await readFile(join(corrupt, 'blobs/sha256', biggest));
    bytes.writeUInt8(bytes.readUInt8(bytes.length >> 1) ^ 0xff, bytes.length >> 1);
    await writeFile(join(corrupt, 'blobs/sha256', biggest), bytes);
    const result = await backup({ from: { oci_layout: 'corrupt' } }, { registry: scratch.name });
    expect(result.status).toBe('failed');
    expect(codeOf(result)).toBe('digest-mismatch');
    expect(reasonOf(result)).toContain(`sha256:${biggest}`);
    expect(await tagDigests(scratch.url, REPOS)).toEqual({});
  });

  it('restore into an empty registry: check, apply, again', async () => {
    const fromLayout = { from: { oci_layout: 'layout' } };
    const check = await backup(fromLayout, { check: true, registry: restored.name });
    expect(check.status).toBe('changed');
    expect(check.actions).toHaveLength(5);
    expect(await tagDigests(restored.url, REPOS)).toEqual({});

    const apply = await backup(fromLayout, { registry: restored.name });
    expect(apply.status, reasonOf(apply)).toBe('changed');
    expect(apply.actions.at(-1)).toBe(`Verified 4 tags at ${restored.name}: each serves the source's manifest digest`);
    expect(await tagDigests(restored.url, REPOS)).toEqual(source);

    const again = await backup(fromLayout, { registry: restored.name });
    expect(again.status).toBe('ok');
  });

  it('docker pull from the restored registry gives the original image ID', async () => {
    for (const ref of ['t-backup/one:prod', 't-backup/two:prod']) {
      const pulled = `${restored.name}/${ref}`;
      const stream = await build1.pull(pulled);
      await new Promise((resolve, reject) => build1.modem.followProgress(stream, (error) => (error ? reject(error) : resolve(undefined))));
      try {
        expect((await build1.getImage(pulled).inspect()).Id).toBe(imageIds[ref]);
      } finally {
        await build1
          .getImage(pulled)
          .remove({ noprune: true })
          .catch(() => undefined);
      }
    }
  });
});

describe('mirror registry → registry', () => {
  // A small chunk size makes every layer go up in several PATCH requests.
  const toMirror = () => ({ to: { registry: mirror.name }, repositories: ['t-backup/*'], chunk_size: 65_536 });

  it('check, apply (chunked uploads, shared layers mounted), again', async () => {
    const check = await backup(toMirror(), { check: true });
    expect(check.status).toBe('changed');
    expect(check.actions[4]).toMatch(/^Copy 4 manifests and \d+ blobs \(.+\), mount \d+ blobs? from /);
    expect(await tagDigests(mirror.url, REPOS)).toEqual({});

    const apply = await backup(toMirror());
    expect(apply.status, reasonOf(apply)).toBe('changed');
    expect(apply.actions.at(-1)).toBe(`Verified 4 tags at ${mirror.name}: each serves the source's manifest digest`);
    expect(await tagDigests(mirror.url, REPOS)).toEqual(source);

    const again = await backup(toMirror());
    expect(again.status).toBe('ok');
  });

  it('copies a moved tag and only what it lacks', async () => {
    const lab = createRegistryClient({ name: REGISTRY, url: REGISTRY_URL });
    const older = (await lab.manifest('t-backup/one', '20260101-0300'))!;
    await lab.putManifest('t-backup/one', 'prod', older);
    lab.close();
    const result = await backup(toMirror());
    expect(result.status, reasonOf(result)).toBe('changed');
    expect(result.actions).toEqual([
      `Copied t-backup/one:prod@${older.digest} from ${REGISTRY} to ${mirror.name} (was ${source['t-backup/one:prod']})`,
      `Copied 0 manifests and 0 blobs (0 B) from ${REGISTRY} to ${mirror.name}`,
      `Verified 1 tag at ${mirror.name}: each serves the source's manifest digest`,
    ]);
  });
});
