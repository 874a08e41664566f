// Whether an image can be rebased, read from the lab registry alone (issue 30's check, before any step uses it): an app whose
// own layers only add its files is safe on a base whose files changed; one whose RUN wrote the package database, or a file
// the new base changed, is refused naming the path; an image not built on the named base is refused at the seam.
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createRegistryClient } from '../../src/adapters/registry.js';
import { registrySettings } from '../../src/model/inventory.js';
import { checkRebase, writeRebased } from '../../src/steps/rebase/check.js';
import { pullOn } from './steps-rollout.helpers.js';
import { buildBusyboxImage, buildContext, exportedTree, labDocker, pushImage, REGISTRY, removeRepositoryImages, untagRepositories } from '../support/lab.js';

const OS = 't-rebase/os';
const APPS = { safe: 't-rebase/safe', dpkg: 't-rebase/dpkg', clash: 't-rebase/clash' } as const;
const docker = labDocker('build1');
const registry = createRegistryClient(registrySettings({ registry: REGISTRY })!);
let dir: string;
let v1: string;
let v2: string;

const SAFE_LINES = ['COPY server.txt /srv/app/server.txt', 'ENV APP=1'];
const SAFE_FILES = { 'server.txt': 'hello\n' };

/** Builds `lines` FROM the base tagged `base` with `files` in the context as `ref`. */
async function build(ref: string, base: string, lines: string[], files: Record<string, string> = {}): Promise<void> {
  const context = await mkdtemp(join(dir, 'ctx-'));
  for (const [name, content] of Object.entries(files)) await writeFile(join(context, name), content);
  await writeFile(join(context, 'Dockerfile'), `${[`FROM ${REGISTRY}/${OS}:${base}`, ...lines].join('\n')}\n`);
  await buildContext(docker, context, ref, ['Dockerfile', ...Object.keys(files)]);
}

/** Builds `lines` FROM the old base (by its v1 tag) with `files` in the context, and pushes it as REPO:prod. */
async function app(repository: string, lines: string[], files: Record<string, string> = {}): Promise<void> {
  const ref = `${REGISTRY}/${repository}:prod`;
  await build(ref, 'v1', lines, files);
  await pushImage(docker, ref);
}

beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), 't-rebase-'));
  v1 = await buildBusyboxImage(docker, `${REGISTRY}/${OS}:v1`, {
    lines: ['RUN echo 1 > /etc/base-version && mkdir -p /usr/share/doc && echo a > /usr/share/doc/readme'],
  });
  await pushImage(docker, `${REGISTRY}/${OS}:v1`);
  // The new base: a file changed, one added, and one the apps never touch left as it was.
  v2 = await buildBusyboxImage(docker, `${REGISTRY}/${OS}:v2`, {
    lines: ['RUN echo 2 > /etc/base-version && mkdir -p /usr/share/doc && echo a > /usr/share/doc/readme && echo new > /etc/added'],
  });
  await pushImage(docker, `${REGISTRY}/${OS}:v2`);
  await app(APPS.safe, SAFE_LINES, SAFE_FILES);
  await app(APPS.dpkg, ['RUN mkdir -p /var/lib/dpkg && echo "Package: curl" > /var/lib/dpkg/status']);
  await app(APPS.clash, ['RUN echo mine > /etc/base-version']);
}, 180_000);

afterAll(async () => {
  await untagRepositories([OS, ...Object.values(APPS)]);
  await removeRepositoryImages(docker, [OS, ...Object.values(APPS)]);
  registry.close();
  await rm(dir, { recursive: true, force: true });
});

describe('checkRebase against the lab registry', () => {
  it("an app whose own layers only add its files is safe: the seam is after the base's layers, and the base's changes are counted", async () => {
    const check = await checkRebase(registry, { repository: APPS.safe, reference: 'prod' }, OS, v1, { repository: OS, reference: 'v2' });
    expect(check.ok, JSON.stringify(check)).toBe(true);
    if (!check.ok) return;
    const base = await registry.manifest(OS, 'v1');
    expect(check.seam.baseLayers).toBe((base!.body.layers as unknown[]).length);
    expect(check.ownLayers).toHaveLength(1);
    // etc/base-version changed and etc/added is new; the readme is the same content, so not a change.
    expect(check.baseChanged).toBe(2);
    expect(check.newBaseLayers.map((l) => l.digest)).toEqual(
      ((await registry.manifest(OS, 'v2'))!.body.layers as Array<{ digest: string }>).map((l) => l.digest),
    );
  }, 60_000);

  it("rebased onto the new base: a config and a manifest are new, the layers are the new base's and the app's own, and a container of it holds exactly the files a rebuild's does", async () => {
    const check = await checkRebase(registry, { repository: APPS.safe, reference: 'prod' }, OS, v1, { repository: OS, reference: 'v2' });
    if (!check.ok) throw new Error(check.reason);
    const rebased = await writeRebased(registry, check, {
      repository: APPS.safe,
      tags: ['rebased'],
      oldBaseId: v1,
      baseRepository: OS,
      baseName: `${REGISTRY}/${OS}:v2`,
      created: new Date(),
    });
    const layers = (m: { body: Record<string, unknown> } | undefined) => (m!.body.layers as Array<{ digest: string }>).map((l) => l.digest);
    const prod = await registry.manifest(APPS.safe, 'prod');
    expect(layers(await registry.manifest(APPS.safe, 'rebased'))).toEqual([...layers(await registry.manifest(OS, 'v2')), layers(prod).at(-1)]);
    const config = (await registry.imageConfig(APPS.safe, 'rebased'))!;
    expect(config.configDigest).toBe(rebased.configDigest);
    expect(config.config.config?.Labels).toMatchObject({ 'org.freshen.rebase.from': v1, 'org.opencontainers.image.base.name': `${REGISTRY}/${OS}:v2` });
    expect((config.config.config as { Env?: string[] }).Env).toContain('APP=1');

    // The alternative: the same Dockerfile built on the new base.
    const rebuilt = `${REGISTRY}/${APPS.safe}:rebuilt`;
    await build(rebuilt, 'v2', SAFE_LINES, SAFE_FILES);
    await pullOn(docker, `${REGISTRY}/${APPS.safe}:rebased`);
    const [fromRebase, fromRebuild] = await Promise.all([exportedTree(docker, `${REGISTRY}/${APPS.safe}:rebased`), exportedTree(docker, rebuilt)]);
    expect(fromRebase.get('etc/base-version')).toMatchObject({ kind: 'file' });
    expect(fromRebase.get('srv/app/server.txt')).toEqual(fromRebuild.get('srv/app/server.txt'));
    expect(fromRebase.get('etc/added')).toBeDefined();
    // Every path with its kind, mode, owner and content: the same trees (a COPY-only app regenerates nothing).
    expect([...fromRebase.values()].sort((a, b) => a.path.localeCompare(b.path))).toEqual(
      [...fromRebuild.values()].sort((a, b) => a.path.localeCompare(b.path)),
    );
  }, 120_000);

  it('an app whose RUN wrote the package database is refused, naming the path', async () => {
    const check = await checkRebase(registry, { repository: APPS.dpkg, reference: 'prod' }, OS, v1, { repository: OS, reference: 'v2' });
    expect(check).toEqual({ ok: false, reason: expect.stringContaining('touch the package database: /var/lib/dpkg/status') });
  }, 60_000);

  it('an app that wrote a file the new base changed is refused, naming it', async () => {
    const check = await checkRebase(registry, { repository: APPS.clash, reference: 'prod' }, OS, v1, { repository: OS, reference: 'v2' });
    expect(check).toEqual({
      ok: false,
      reason: 'its own layers write or delete paths the new base changed: /etc/base-version; rebuild or patch it instead',
    });
  }, 60_000);

  it('an image not built on the base named is refused at the seam', async () => {
    const check = await checkRebase(registry, { repository: APPS.safe, reference: 'prod' }, OS, v2, { repository: OS, reference: 'v2' });
    expect(check).toEqual({
      ok: false,
      reason: expect.stringMatching(/^layer \d+ is [0-9a-f]{12}…, the base's is [0-9a-f]{12}…: the image was not built on this base$/),
    });
  }, 60_000);
});
