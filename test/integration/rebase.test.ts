// The rebase step on the lab, with a real Debian security update (issue 30): a Debian base seeded without the network keeps
// its pending upgrades; an app whose own layer only COPYs its script, and a tool whose RUN apt-get install wrote the package
// database, are built on it, and so is an image built in two stages. The base is then rebuilt with the upgrades from the lab's
// loopback mirror. A rebase on the registry host alone (no engine, no Dockerfile) moves the app onto the new base and refuses
// the tool, naming the path; a play of discover, rebase, rebuild and push on the build host then leaves the tool and the staged
// image to the rebuild. pull, stop and start move web2's container of the app onto the rebased image; its file tree equals a
// --no-cache rebuild's, its SBOM lists the new base's packages, and the next discover finds it fresh. Every image and the
// container follow a rollout tag of this file's own, so nothing else the lab runs is touched.
import { execFile } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { copyFile, mkdir, mkdtemp, readFile, readdir, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createRegistryClient } from '../../src/adapters/registry.js';
import { readNewestArtifact } from '../../src/adapters/referrers.js';
import { LABEL_BASES } from '../../src/images/provenance.js';
import { SBOM_MEDIA_TYPE } from '../../src/images/sbom.js';
import { registrySettings } from '../../src/model/inventory.js';
import type { StepResult } from '../../src/model/results.js';
import type { RebaseDetails, RebuildDetails } from '../../src/model/stepDetails.js';
import type { LayerEntry } from '../../src/rebase/layerEntries.js';
import { runStep } from '../../src/runner/runStep.js';
import { discoverStep } from '../../src/steps/discover/discover.js';
import { newRunState, type HostFacts } from '../../src/steps/facts.js';
import { pullStep } from '../../src/steps/pull/pull.js';
import { pushStep } from '../../src/steps/push/push.js';
import { startStep } from '../../src/steps/start/start.js';
import { stopStep } from '../../src/steps/stop/stop.js';
import { rebaseStep } from '../../src/steps/rebase/rebase.js';
import { rebuildStep } from '../../src/steps/rebuild/rebuild.js';
import type { StepHandler } from '../../src/steps/types.js';
import { cycloneDxErrors } from '../support/cycloneDx.js';
import { REGISTRY, REPO_ROOT, buildContext, exportedTree, labDocker, labSocket, referenceIn, removeImageReferences, runLabScript } from '../support/lab.js';
import { labHost, makeStepContext } from '../support/stepContext.js';

const UPSTREAM = `${REGISTRY}/upstream/debian:bookworm`;
const DEBIAN_MIRROR = join(process.env.FRESHEN_LAB_CACHE ?? '/var/cache/freshen-lab', 'debian/mirror');
const P = `t-rb-${randomBytes(3).toString('hex')}`;
const BASE = `${P}/base`;
const APP = `${P}/app`;
const TOOL = `${P}/tool`;
const STAGED = `${P}/staged`;
const TAG = 't-rb';
const ref = (repository: string) => `${REGISTRY}/${repository}:${TAG}`;
const docker = labDocker('build1');
const web = labDocker('web2');
const registry = createRegistryClient(registrySettings({ registry: REGISTRY })!);
/** The whole tree, and one with the base alone (its security update is built before the apps are looked at). */
let tree: string;
let baseTree: string;
let zlibDeb: string;

const APP_SCRIPT = "#!/bin/sh\ntouch /tmp/alive\ntrap 'exit 0' TERM\nwhile true; do sleep 1; done\n";

type Where = { dir?: string; check?: boolean; host?: 'build1' | 'registry1' | 'web2' };

async function run(handler: StepHandler, options: Record<string, unknown>, facts: HostFacts, where: Where = {}): Promise<StepResult> {
  const { dir = tree, check = false, host = 'build1' } = where;
  const { ctx, close } = makeStepContext({ host: labHost(host, { rollout_tag: TAG }), check, playbookDir: dir, facts, run: newRunState() });
  try {
    return await runStep(handler, ctx, options);
  } finally {
    await close();
  }
}

/** The docker CLI against a lab engine. */
const dockerCli = (host: string, args: string[]): Promise<string> =>
  new Promise((resolve, reject) =>
    execFile('docker', ['-H', `unix://${labSocket(host as 'build1')}`, ...args], { maxBuffer: 16 << 20 }, (error, stdout, stderr) =>
      error ? reject(new Error(`${error.message}\n${stderr}`)) : resolve(stdout),
    ),
  );

const layersOf = async (repository: string, reference: string): Promise<string[]> =>
  ((await registry.manifest(repository, reference))!.body.layers as Array<{ digest: string }>).map((l) => l.digest);

beforeAll(async () => {
  const lab = await runLabScript(['debian']);
  expect(lab.code, lab.stderr).toBe(0);
  await docker
    .getImage(UPSTREAM)
    .inspect()
    .catch(() => dockerCli('build1', ['pull', '-q', UPSTREAM]));
  const pool = join(DEBIAN_MIRROR, 'debian-security/pool');
  const debs = (await readdir(pool, { recursive: true })).filter((f) => /(^|\/)zlib1g_[^/]*_amd64\.deb$/.test(f));
  expect(debs, `a zlib1g update in ${pool}`).not.toEqual([]);
  zlibDeb = join(pool, debs[0]!);

  tree = await mkdtemp(join(tmpdir(), 't-rb-tree-'));
  baseTree = await mkdtemp(join(tmpdir(), 't-rb-base-'));
  const baseDockerfile = await readFile(join(REPO_ROOT, 'lab/debian/images/deb/base/Dockerfile'), 'utf8');
  for (const root of [tree, baseTree]) {
    await mkdir(join(root, BASE), { recursive: true });
    await writeFile(join(root, BASE, 'Dockerfile'), baseDockerfile);
  }
  await mkdir(join(tree, APP), { recursive: true });
  await writeFile(join(tree, APP, 'app.sh'), APP_SCRIPT);
  await writeFile(
    join(tree, APP, 'Dockerfile'),
    `ARG REGISTRY=${REGISTRY}\nFROM \${REGISTRY}/${BASE}:${TAG}\nCOPY app.sh /usr/local/bin/app.sh\nENV APP_MODE=serve\nCMD ["/bin/sh", "/usr/local/bin/app.sh"]\n`,
  );
  await mkdir(join(tree, TOOL), { recursive: true });
  await copyFile(zlibDeb, join(tree, TOOL, 'zlib1g.deb'));
  // A real apt-get install, offline: a local package (the security suite's zlib1g), written into the package database.
  await writeFile(
    join(tree, TOOL, 'Dockerfile'),
    `ARG REGISTRY=${REGISTRY}\nFROM \${REGISTRY}/${BASE}:${TAG}\nCOPY zlib1g.deb /tmp/zlib1g.deb\nRUN apt-get install -y /tmp/zlib1g.deb && rm /tmp/zlib1g.deb\n`,
  );

  // Built in two stages on the same base: what the first made from the old base is not the check's to judge.
  await mkdir(join(tree, STAGED), { recursive: true });
  await writeFile(
    join(tree, STAGED, 'Dockerfile'),
    `ARG REGISTRY=${REGISTRY}\nFROM \${REGISTRY}/${BASE}:${TAG} AS build\nRUN dpkg-query -W zlib1g > /zlib-version\nFROM \${REGISTRY}/${BASE}:${TAG}\nCOPY --from=build /zlib-version /srv/zlib-version\n`,
  );

  // Seeded without the network: the base keeps its pending upgrades, the app and the tool are built on it.
  const seed = {} as HostFacts;
  for (const [handler, options] of [
    [discoverStep, { root: '.', include_unpublished: true }],
    [rebuildStep, { network: 'none' }],
    [pushStep, {}],
  ] as const) {
    const result = await run(handler, options, seed);
    expect(result.status, JSON.stringify(result)).toBe(handler === discoverStep ? 'ok' : 'changed');
  }
  // The security update: the base alone, rebuilt (forced: no probe needed to know) with the mirror's pending upgrades.
  const update = {} as HostFacts;
  for (const [handler, options] of [
    [discoverStep, { root: '.', force: true }],
    [rebuildStep, { network: 'host', timeout: '10m' }],
    [pushStep, {}],
  ] as const) {
    const result = await run(handler, options, update, { dir: baseTree });
    expect(result.status, JSON.stringify(result)).toBe(handler === discoverStep ? 'ok' : 'changed');
  }
  // web2 runs the app as it was built: the container the rollout moves onto the rebased image.
  await dockerCli('web2', ['pull', '-q', ref(APP)]);
  await dockerCli('web2', ['run', '-d', '--name', `${P}-app`, '--network', 'none', ref(APP)]);
}, 900_000);

afterAll(async () => {
  await web
    .getContainer(`${P}-app`)
    .remove({ force: true })
    .catch(() => undefined);
  for (const repository of [BASE, APP, TOOL, STAGED]) {
    const digests = new Set<string>();
    for (const tag of await registry.tags(repository).catch(() => [])) {
      const digest = await registry.manifestDigest(repository, tag);
      if (digest) digests.add(digest);
    }
    for (const digest of digests) await registry.deleteManifest(repository, digest).catch(() => undefined);
  }
  for (const engine of [docker, web]) await removeImageReferences(engine, referenceIn(`${REGISTRY}/${P}/`));
  registry.close();
  for (const dir of [tree, baseTree]) if (dir) await rm(dir, { recursive: true, force: true });
});

describe('rebase after a real Debian security update of the base', () => {
  let appBefore: string;
  let toolBefore: string;

  it('check mode: plans the app onto the new base (the layer table), refuses the tool naming the package database, writes nothing', async () => {
    appBefore = (await registry.manifestDigest(APP, TAG))!;
    toolBefore = (await registry.manifestDigest(TOOL, TAG))!;
    const tagsBefore = await registry.tags(APP);
    const facts = {} as HostFacts;
    expect((await run(discoverStep, { root: '.' }, facts, { check: true })).status).toBe('ok');
    expect(facts.images!.filter((i) => i.stale).map((i) => [i.repository, i.reasons])).toEqual([
      [APP, ['base-changed']],
      [STAGED, ['base-changed']],
      [TOOL, ['base-changed']],
    ]);
    const planned = await run(rebaseStep, {}, facts, { check: true });
    expect(planned.status).toBe('changed');
    expect(planned.actions).toEqual([expect.stringMatching(new RegExp(`^Rebase ${ref(APP)} \\(sha256:\\w{12}…\\) onto ${ref(BASE)}`))]);
    expect(planned.notes.join('\n')).toContain(`Not rebased ${TOOL}: its own layers write or delete paths the new base changed`);
    expect(planned.notes.join('\n')).toMatch(/and they touch [^:\n]*the package database: [^\n]*\/var\/lib\/dpkg\/status/);
    // The layer table: the old base's layers go, the new base's come, the app's own layer stays.
    const table = planned.fileDiffs![0]!.lines;
    expect(table[0]).toBe(`--- ${ref(APP)} (on ${ref(BASE)} as built)`);
    expect(table.filter((l) => l.startsWith('- '))).not.toEqual([]);
    expect(table.filter((l) => l.startsWith('+ '))).not.toEqual([]);
    expect(table.at(-1)).toMatch(/^ {2}\w{12} .* own: COPY .*app\.sh/);
    expect(planned.notes).toContain(
      `Not rebased ${STAGED}: it is built in 2 stages, and what an earlier stage made from the old base cannot be judged by path: rebuild it`,
    );
    // Rebuild plans only the tool and the staged image now: the app is no longer stale.
    expect(facts.images!.filter((i) => i.stale).map((i) => i.repository)).toEqual([STAGED, TOOL]);
    expect(await registry.tags(APP)).toEqual(tagsBefore);
    expect(await registry.manifestDigest(APP, TAG)).toBe(appBefore);
  }, 300_000);

  let rebased: string;

  it('apply on the registry host alone: the app is rebased (no layer uploaded), the tool refused; the build host rebuilds the rest', async () => {
    const started = Date.now();
    // No discover, no engine, no Dockerfile: the images' labels say what they were built on.
    const result = await run(rebaseStep, { images: [APP, TOOL] }, {}, { host: 'registry1' });
    const took = Date.now() - started;
    expect(result.status, JSON.stringify(result)).toBe('changed');
    expect(result.actions[0]).toMatch(/uploaded [\d.]+ [kK]i?B, no layer$/);
    expect(result.actions[1]).toMatch(/^Attached its SBOM \(CycloneDX, \d+ packages\)/);
    const details = result.details as RebaseDetails;
    const verdict = details.rebases.find((r) => r.repository === APP)!;
    expect(verdict).toMatchObject({ action: 'rebase', from: appBefore, layers: { own: 1 } });
    rebased = verdict.to!;
    expect(details.rebases.find((r) => r.repository === TOOL)).toMatchObject({
      action: 'refused',
      reason: expect.stringMatching(/and they touch [^:\n]*the package database: [^\n]*\/var\/lib\/dpkg\/status/),
    });
    // The upgrades the security update brought are the app's package changes.
    expect(verdict.changes?.changed.map((c) => c.name)).toContain('zlib1g');
    console.log(`rebase of ${APP}: ${took} ms`);

    // The build host's play: the app is fresh now; rebase refuses the tool and the staged image again, and rebuild builds them.
    const facts = {} as HostFacts;
    await run(discoverStep, { root: '.' }, facts);
    expect(facts.images!.filter((i) => i.stale).map((i) => i.repository)).toEqual([STAGED, TOOL]);
    expect((await run(rebaseStep, {}, facts)).status).toBe('ok');
    const rebuilt = await run(rebuildStep, { network: 'host', timeout: '10m' }, facts);
    expect(rebuilt.status).toBe('changed');
    expect((rebuilt.details as RebuildDetails).rebuilt?.sort()).toEqual([ref(STAGED), ref(TOOL)]);
    expect((await run(pushStep, {}, facts)).status).toBe('changed');

    expect(await registry.manifestDigest(APP, TAG)).toBe(rebased);
    expect(await registry.manifestDigest(TOOL, TAG)).not.toBe(toolBefore);
    const [base, own, now] = await Promise.all([layersOf(BASE, TAG), layersOf(APP, appBefore), layersOf(APP, TAG)]);
    expect(now).toEqual([...base, own.at(-1)]);
    const config = (await registry.imageConfig(APP, TAG))!;
    expect(JSON.parse(config.config.config!.Labels![LABEL_BASES]!)).toEqual({ [ref(BASE)]: (await registry.imageConfig(BASE, TAG))!.configDigest });
    expect((config.config.config as { Env?: string[] }).Env).toContain('APP_MODE=serve');
    // The datestamp tag names the same manifest.
    const dated = (await registry.tags(APP)).filter((t) => /^\d{8}-\d{4}/.test(t));
    expect(await Promise.all(dated.map((t) => registry.manifestDigest(APP, t)))).toContain(rebased);
  }, 900_000);

  it("its SBOM is the new base's packages, a valid CycloneDX document", async () => {
    const sbom = await readNewestArtifact(registry, APP, rebased, SBOM_MEDIA_TYPE, 8 << 20);
    const document = JSON.parse(sbom!.content.toString('utf8')) as { components: Array<{ name: string; version?: string }> };
    expect(cycloneDxErrors(document)).toEqual([]);
    const query = ['dpkg-query', '-W', '-f', '${Status}|${Package} ${Version}\\n'];
    const inBase = await dockerCli('build1', ['run', '--rm', '--network', 'none', ref(BASE), ...query]);
    const listed = document.components.filter((c) => c.version !== undefined && c.name !== 'debian').map((c) => `${c.name} ${c.version}`);
    expect(listed.sort()).toEqual(
      inBase
        .trim()
        .split('\n')
        .filter((line) => line.startsWith('install ok installed|'))
        .map((line) => line.slice(line.indexOf('|') + 1))
        .sort(),
    );
  }, 120_000);

  it("is rolled out to web2's container by pull, stop and start, and its file tree equals a --no-cache rebuild's on the new base", async () => {
    const facts = {} as HostFacts;
    expect(await run(pullStep, {}, facts, { host: 'web2' })).toMatchObject({ status: 'changed' });
    expect(await run(stopStep, { timeout: '2s' }, facts, { host: 'web2' })).toMatchObject({ status: 'changed' });
    expect(await run(startStep, { healthy_timeout: '30s', settle: '1s' }, facts, { host: 'web2' })).toMatchObject({ status: 'changed' });
    const container = await web.getContainer(`${P}-app`).inspect();
    expect(container.State.Running).toBe(true);
    expect((await web.getImage(container.Image).inspect()).RepoDigests).toContain(`${REGISTRY}/${APP}@${rebased}`);
    const zlib = await dockerCli('web2', ['exec', `${P}-app`, 'dpkg-query', '-W', '-f', '${Version}', 'zlib1g']);
    // The package file's name has the version without its epoch (1:).
    expect(zlib.endsWith(/zlib1g_([^_]+)_/.exec(zlibDeb)![1]!)).toBe(true);

    const rebuilt = `${REGISTRY}/${APP}:t-rebuilt`;
    await buildContext(docker, join(tree, APP), rebuilt, ['Dockerfile', 'app.sh']);
    await dockerCli('build1', ['pull', '-q', ref(APP)]);
    const [fromRebase, fromRebuild] = await Promise.all([exportedTree(docker, ref(APP)), exportedTree(docker, rebuilt)]);
    const sorted = (tree: Map<string, LayerEntry>) => [...tree.values()].sort((a, b) => a.path.localeCompare(b.path));
    expect(fromRebase.get('usr/local/bin/app.sh')).toEqual(fromRebuild.get('usr/local/bin/app.sh'));
    expect(sorted(fromRebase)).toEqual(sorted(fromRebuild));
  }, 300_000);

  it('the next discover finds the app fresh, and rebase has nothing to do', async () => {
    const facts = {} as HostFacts;
    await run(discoverStep, { root: '.' }, facts);
    expect(facts.images!.find((i) => i.repository === APP)).toMatchObject({ stale: false });
    const again = await run(rebaseStep, {}, facts);
    expect(again.status).toBe('ok');
    const fromRegistry = await run(rebaseStep, { images: [APP] }, {}, { host: 'registry1' });
    expect((fromRegistry.details as RebaseDetails).rebases).toEqual([
      { repository: APP, action: 'fresh', reason: `its base ${ref(BASE)} is the one it was built on` },
    ]);
  }, 120_000);
});
