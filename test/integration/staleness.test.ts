// Staleness reasons and the content-aware skip against the lab (registry 127.0.0.1:5055, build1's engine), in a temp tree:
// `app` is multi-stage (a build stage FROM an upstream-like `tool`, the final stage FROM `os`), `apt` carries the host's real
// apt, dpkg, package database and apt index (see staleness.helpers.ts), so its probe runs real `apt-get -s upgrade`.
import { randomBytes } from 'node:crypto';
import { mkdir, mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createRegistryClient } from '../../src/adapters/registry.js';
import { registrySettings } from '../../src/model/inventory.js';
import type { StepResult } from '../../src/model/results.js';
import { newRunState, type HostFacts, type RunState } from '../../src/steps/facts.js';
import { recordFacts } from '../../src/runner/recordFacts.js';
import { runStep } from '../../src/runner/runStep.js';
import { discoverStep } from '../../src/steps/discover/discover.js';
import { pushStep } from '../../src/steps/push/push.js';
import { rebuildStep } from '../../src/steps/rebuild/rebuild.js';
import type { StepHandler } from '../../src/steps/types.js';
import { buildBusyboxImage, labDocker, pushImage, REGISTRY, removeRepositoryImages, untagRepositories } from '../support/lab.js';
import { labHost, makeStepContext } from '../support/stepContext.js';
import { hostOutdatedCount, writeHostAptImage } from './staleness.helpers.js';

const NS = `t-stale-${randomBytes(3).toString('hex')}`;
const TOOL = `${NS}/tool`;
const OS = `${NS}/os`;
const APP = `${NS}/app`;
const APT = `${NS}/apt`;
const TOOL_REF = `${REGISTRY}/${TOOL}:1`;
const OS_REF = `${REGISTRY}/${OS}:stable`;
const APP_REF = `${REGISTRY}/${APP}:prod`;
const REPOS = [TOOL, OS, APP, APT];

const docker = labDocker('build1');
const registry = createRegistryClient(registrySettings({ registry: REGISTRY })!);
let root: string;

async function run(
  handler: StepHandler,
  options: Record<string, unknown>,
  pass: { check: boolean; facts: HostFacts; run: RunState; now?: () => number },
): Promise<StepResult> {
  const { ctx, close } = makeStepContext({
    host: labHost('build1'),
    check: pass.check,
    playbookDir: root,
    facts: pass.facts,
    run: pass.run,
    ...(pass.now ? { now: pass.now } : {}),
  });
  try {
    return await runStep(handler, ctx, options);
  } finally {
    await close();
  }
}
const pass = (check: boolean, now?: number) => ({ check, facts: {} as HostFacts, run: newRunState(), ...(now === undefined ? {} : { now: () => now }) });

const servedId = async (repo: string, tag = 'prod') => (await registry.imageConfig(repo, tag))?.configDigest;
/** Registry tags with their image IDs, for the tree images. */
async function registryState(): Promise<Record<string, string | undefined>> {
  const state: Record<string, string | undefined> = {};
  for (const repo of [APP, APT]) for (const tag of await registry.tags(repo)) state[`${repo}:${tag}`] = await servedId(repo, tag);
  return state;
}
/** The probe's throwaway containers of this file's images: other files run their own on build1 at the same time. */
async function throwaways() {
  const ours = new Set(
    (await docker.listImages())
      .filter((image) => [...(image.RepoTags ?? []), ...(image.RepoDigests ?? [])].some((name) => name.startsWith(`${REGISTRY}/${NS}/`)))
      .map((image) => image.Id),
  );
  return (await docker.listContainers({ all: true, filters: { label: ['org.freshen.throwaway'] } })).filter((c) => ours.has(c.ImageID));
}
const verdicts = (facts: HostFacts) => facts.images?.map((i) => [i.repository, i.reasons]);

const DISCOVER = { root: '.' };

beforeAll(async () => {
  root = await mkdtemp(join(tmpdir(), 't-stale-tree-'));
  await buildBusyboxImage(docker, TOOL_REF, { lines: ['LABEL tool.level="1"'] });
  await pushImage(docker, TOOL_REF);
  await buildBusyboxImage(docker, OS_REF);
  await pushImage(docker, OS_REF);
  await mkdir(join(root, APP), { recursive: true });
  await writeFile(
    join(root, APP, 'Dockerfile'),
    [
      `FROM ${TOOL_REF} AS build`,
      'RUN echo compiled > /artifact',
      `FROM ${OS_REF}`,
      'COPY --from=build /artifact /artifact',
      'COPY index.html /srv/index.html',
      '',
    ].join('\n'),
  );
  await writeFile(join(root, APP, 'index.html'), '<h1>v1</h1>\n');
  await mkdir(join(root, APT), { recursive: true });
  await writeHostAptImage(join(root, APT));
  // Publish both with freshen itself, so prod carries provenance and package labels.
  const p = pass(false);
  await run(discoverStep, { ...DISCOVER, include_unpublished: true }, p);
  expect((await run(rebuildStep, {}, p)).status).toBe('changed');
  expect((await run(pushStep, {}, p)).status).toBe('changed');
}, 180_000);

afterAll(async () => {
  await untagRepositories(REPOS);
  await removeRepositoryImages(docker, [APP, APT, OS, TOOL]);
  registry.close();
  await rm(root, { recursive: true, force: true });
});

describe('packages-outdated', () => {
  it('the apt probe runs real apt-get in a throwaway container of prod and counts what the host counts; a busybox image cannot be probed and says so', async () => {
    const expected = await hostOutdatedCount();
    expect(expected).toBeGreaterThan(0);
    const p = pass(true);
    const result = await run(discoverStep, { ...DISCOVER, probe: { network: 'none' } }, p);
    expect(result.status).toBe('ok');
    expect(verdicts(p.facts)).toEqual([
      [APP, []],
      [APT, ['packages-outdated']],
    ]);
    expect(result.notes).toContain(`${APP}: packages cannot be checked: no package manager found: no dpkg, rpm or apk database`);
    expect(result.notes).toContainEqual(
      expect.stringMatching(
        new RegExp(`^${APT}: stale \\(packages-outdated\\): ${expected} packages have updates \\(apt, Debian GNU/Linux 12 \\(bookworm\\)\\): \\S+, `),
      ),
    );
    const details = result.details as {
      images: Array<{ repository: string; final_base?: string; packages?: { outdated?: number; manager?: string; list?: string[]; problem?: string } }>;
    };
    const apt = details.images.find((i) => i.repository === APT)!;
    expect(apt.packages).toMatchObject({ manager: 'apt', outdated: expected });
    expect(apt.packages!.list!.every((line) => / → /.test(line))).toBe(true);
    expect(details.images.find((i) => i.repository === APP)!).toMatchObject({
      final_base: OS_REF,
      packages: { problem: expect.stringContaining('no package manager') },
    });
    expect(await throwaways()).toEqual([]);
  }, 120_000);

  it('a custom probe per repository replaces the package manager; one that fails is a note, not a verdict', async () => {
    const p = pass(true);
    const result = await run(
      discoverStep,
      { ...DISCOVER, probe: { network: 'none', command: { [APP]: 'echo demo-lib 2.0; echo tool-x', [APT]: 'echo broken >&2; exit 4' } } },
      p,
    );
    expect(verdicts(p.facts)).toEqual([
      [APP, ['packages-outdated']],
      [APT, []],
    ]);
    expect(result.notes).toContain(`${APP}: stale (packages-outdated): 2 packages have updates (custom probe): demo-lib, tool-x`);
    expect(result.notes).toContain(`${APT}: packages cannot be checked: the custom probe exited 4: broken`);
    expect(await throwaways()).toEqual([]);
  }, 60_000);
});

describe('content-aware skip', () => {
  it('a forced rebuild with identical content is not pushed: check, apply, apply again', async () => {
    const before = await registryState();
    const prodId = await servedId(APP);

    const check = pass(true);
    await run(discoverStep, { ...DISCOVER, force: [APP] }, check);
    const planned = await run(rebuildStep, {}, check);
    expect(planned.status).toBe('changed');
    expect(planned.actions).toEqual([
      expect.stringMatching(new RegExp(`^Build ${APP_REF.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')} and .* because the playbook forces a rebuild$`)),
    ]);
    expect(await registryState()).toEqual(before);

    for (const attempt of ['apply', 'apply again']) {
      const p = pass(false);
      const discovered = await run(discoverStep, { ...DISCOVER, force: [APP] }, p);
      expect(discovered.notes, attempt).toContain(`${APP}: stale (forced): the playbook forces a rebuild`);
      const rebuilt = await run(rebuildStep, {}, p);
      expect(rebuilt, attempt).toMatchObject({
        status: 'ok',
        actions: [],
        notes: [`${APP_REF}: rebuilt, identical content (same bases, build context and packages as prod sha256:${prodId!.slice(7, 19)}…); not pushed`],
        details: { identical: [APP_REF] },
      });
      expect(p.facts.built).toEqual([]);
      expect(await run(pushStep, {}, p)).toMatchObject({ status: 'skipped', actions: [], reason: 'nothing was built on this host' });
      expect(await registryState()).toEqual(before);
      // The build host names prod again; the discarded build is gone.
      expect((await docker.getImage(APP_REF).inspect()).Id).toBe(prodId);
    }
  }, 120_000);
});

describe('reasons detected and cleared', () => {
  it('max-age: an image older than max_age is stale; a rebuild that pushes clears it', async () => {
    await sleep(1100);
    const old = pass(true);
    await run(discoverStep, { ...DISCOVER, max_age: '1s' }, old);
    expect(verdicts(old.facts)).toEqual([
      [APP, ['max-age']],
      [APT, ['max-age']],
    ]);
    const p = pass(false);
    await run(discoverStep, { ...DISCOVER, max_age: '1s', force: false }, p);
    recordFacts(p.facts, p.run, { images: p.facts.images!.filter((i) => i.repository === APP) });
    // Identical content would not be pushed (and the age would stay): skip_identical: false refreshes it on purpose.
    expect((await run(rebuildStep, { skip_identical: false }, p)).status).toBe('changed');
    expect((await run(pushStep, {}, p)).status).toBe('changed');
    // APT was built when the file started, possibly more than a minute ago: only APP, just pushed, is known to be young.
    const after = pass(true);
    await run(discoverStep, { ...DISCOVER, max_age: '1m' }, after);
    expect(verdicts(after.facts)![0]).toEqual([APP, []]);
  }, 120_000);

  it('base-changed, multi-stage: a new build-stage base makes the image stale (named as such); the final base is reported; rebuilt content differs, so it is pushed; cleared', async () => {
    const oldTool = await servedId(TOOL, '1');
    await buildBusyboxImage(docker, TOOL_REF, { lines: ['LABEL tool.level="2"'] });
    await pushImage(docker, TOOL_REF);
    const p = pass(false);
    const discovered = await run(discoverStep, DISCOVER, p);
    expect(verdicts(p.facts)).toEqual([
      [APP, ['base-changed']],
      [APT, []],
    ]);
    expect(discovered.notes).toContain(
      `${APP}: stale (base-changed): build-stage base ${TOOL_REF} changed: built from ${oldTool!.slice(7, 19)}…, registry now has ${(await servedId(TOOL, '1'))!.slice(7, 19)}…`,
    );
    expect(discovered.details).toMatchObject({
      images: [
        { repository: APP, final_base: OS_REF, stale: true, reasons: ['base-changed'] },
        { repository: APT, stale: false },
      ],
    });
    const rebuilt = await run(rebuildStep, {}, p);
    expect(rebuilt.status).toBe('changed');
    expect((await run(pushStep, {}, p)).status).toBe('changed');
    const labels = (await registry.imageConfig(APP, 'prod'))!.config.config!.Labels!;
    expect(labels['org.freshen.packages']).toBe('none');
    const again = pass(true);
    await run(discoverStep, DISCOVER, again);
    expect(verdicts(again.facts)).toEqual([
      [APP, []],
      [APT, []],
    ]);
  }, 120_000);

  it('context-changed: detected, rebuilt, pushed (content differs), cleared', async () => {
    await writeFile(join(root, APP, 'index.html'), '<h1>v2</h1>\n');
    const p = pass(false);
    await run(discoverStep, DISCOVER, p);
    expect(verdicts(p.facts)).toEqual([
      [APP, ['context-changed']],
      [APT, []],
    ]);
    expect((await run(rebuildStep, {}, p)).status).toBe('changed');
    expect((await run(pushStep, {}, p)).status).toBe('changed');
    const again = pass(true);
    await run(discoverStep, DISCOVER, again);
    expect(verdicts(again.facts)).toEqual([
      [APP, []],
      [APT, []],
    ]);
  }, 120_000);

  it('cooldown: a base pushed just now waits, naming until when, and nothing is built; after the cooldown it is base-changed, rebuilt and pushed', async () => {
    await buildBusyboxImage(docker, OS_REF, { lines: ['LABEL os.level="2"'] });
    await pushImage(docker, OS_REF);
    const created = Date.parse((await registry.imageConfig(OS, 'stable'))!.config.created!);
    const until = new Date(created + 3 * 86_400_000).toISOString();
    const prodBefore = await servedId(APP);
    const soon = pass(false, created + 3_600_000);
    const discovered = await run(discoverStep, { ...DISCOVER, cooldown: '3d' }, soon);
    expect(verdicts(soon.facts)).toEqual([
      [APP, []],
      [APT, []],
    ]);
    expect(discovered.details).toMatchObject({ images: [{ repository: APP, stale: false, cooldown_until: until }, { repository: APT }] });
    expect(discovered.notes).toContainEqual(
      expect.stringMatching(new RegExp(`^${APP}: base ${OS_REF} changed: .*: within the cooldown of 3d, not a reason to rebuild until ${until}$`)),
    );
    expect((await run(rebuildStep, {}, soon)).status).toBe('ok');
    expect(await servedId(APP)).toBe(prodBefore);

    const later = pass(false, created + 3 * 86_400_000 + 60_000);
    await run(discoverStep, { ...DISCOVER, cooldown: '3d' }, later);
    expect(verdicts(later.facts)).toEqual([
      [APP, ['base-changed']],
      [APT, []],
    ]);
    expect((await run(rebuildStep, {}, later)).status).toBe('changed');
    expect((await run(pushStep, {}, later)).status).toBe('changed');
    expect(await servedId(APP)).not.toBe(prodBefore);
  }, 120_000);
});
