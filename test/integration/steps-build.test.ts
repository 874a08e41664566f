// discover, rebuild and push against the lab (registry 127.0.0.1:5055, build1's engine), in a temp tree of three images:
// an upstream-like `t-build-<x>/os` published here with the Docker API, the in-tree `base` FROM it, and `app` FROM `base`.
// Each step runs in three passes (check: would change, nothing written; apply: changed; apply again: ok).
import { randomBytes } from 'node:crypto';
import { referrerTagSubject } from '../../src/adapters/referrerFormats.js';
import { mkdir, mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { codeOf, reasonOf } from '../../src/model/results.js';
import { createRegistryClient } from '../../src/adapters/registry.js';
import { registrySettings } from '../../src/model/inventory.js';
import type { StepResult } from '../../src/model/results.js';
import { newRunState, type HostFacts, type RunState } from '../../src/steps/facts.js';
import { runStep } from '../../src/runner/runStep.js';
import { readBuildContext } from '../../src/adapters/contextFiles.js';
import { discoverStep } from '../../src/steps/discover/discover.js';
import { pushStep } from '../../src/steps/push/push.js';
import { rebuildStep } from '../../src/steps/rebuild/rebuild.js';
import type { StepHandler } from '../../src/steps/types.js';
import { buildBusyboxImage, labDocker, pushImage, REGISTRY, removeRepositoryImages, untagRepositories } from '../support/lab.js';
import { labHost, makeStepContext } from '../support/stepContext.js';

const NS = `t-build-${randomBytes(3).toString('hex')}`;
const OS = `${NS}/os`;
const BASE = `${NS}/base`;
const APP = `${NS}/app`;
const OS_REF = `${REGISTRY}/${OS}:stable`;
const BASE_REF = `${REGISTRY}/${BASE}:prod`;
const APP_REF = `${REGISTRY}/${APP}:prod`;
const DRAFT = `${NS}/draft`;
const REPOS = [OS, BASE, APP, DRAFT];

const docker = labDocker('build1');
const registry = createRegistryClient(registrySettings({ registry: REGISTRY })!);
let root: string;

/** Publishes the upstream-like OS image at a patch level (a different level is a different image). */
async function publishUpstream(level: number): Promise<string> {
  const id = await buildBusyboxImage(docker, OS_REF, { lines: [`LABEL org.labos.patchlevel="${level}"`] });
  await pushImage(docker, OS_REF);
  return id;
}

/** Runs one step as the runner does (plan; report in check mode; else apply), with the pass's facts and run state. */
async function run(
  handler: StepHandler,
  options: Record<string, unknown>,
  pass: { check: boolean; facts: HostFacts; run: RunState },
): Promise<StepResult & { progress: string[] }> {
  const { ctx, progress, close } = makeStepContext({ host: labHost('build1'), check: pass.check, playbookDir: root, facts: pass.facts, run: pass.run });
  try {
    return { ...(await runStep(handler, ctx, options)), progress };
  } finally {
    await close();
  }
}

const pass = (check: boolean) => ({ check, facts: {} as HostFacts, run: newRunState() });

/** What the registry and build1 hold for the tree's repositories: tags with image IDs, both sides. */
async function snapshot(): Promise<Record<string, string | undefined>> {
  const state: Record<string, string | undefined> = {};
  for (const repo of REPOS) {
    for (const tag of imageTags(await registry.tags(repo))) state[`registry ${repo}:${tag}`] = (await registry.imageConfig(repo, tag))?.configDigest;
    for (const image of await docker.listImages({ filters: { reference: [`${REGISTRY}/${repo}`] } })) {
      for (const repoTag of image.RepoTags ?? []) state[`local ${repoTag}`] = image.Id;
    }
  }
  return state;
}

/** The tags that name images (not an image's SBOM or its referrers index). */
const imageTags = (tags: string[]): string[] => tags.filter((t) => referrerTagSubject(t) === undefined);

const servedId = async (repo: string, tag: string) => (await registry.imageConfig(repo, tag))?.configDigest;
const localId = async (ref: string) => (await docker.getImage(ref).inspect()).Id;
const labelsOf = async (ref: string) => (await docker.getImage(ref).inspect()).Config.Labels ?? {};

beforeAll(async () => {
  root = await mkdtemp(join(tmpdir(), 't-build-tree-'));
  await mkdir(join(root, BASE), { recursive: true });
  await mkdir(join(root, APP), { recursive: true });
  await writeFile(
    join(root, BASE, 'Dockerfile'),
    [
      'ARG REGISTRY=example.invalid',
      `FROM \${REGISTRY}/${OS}:stable`,
      'RUN echo "built on $(cat /etc/os-release 2>/dev/null || echo the upstream os)" > /base-built',
    ].join('\n'),
  );
  await writeFile(join(root, APP, 'Dockerfile'), [`FROM ${BASE_REF} AS run`, 'COPY index.html /srv/index.html', 'CMD ["/bin/sh"]'].join('\n'));
  await writeFile(join(root, APP, '.dockerignore'), '*.md\n');
  await writeFile(join(root, APP, 'index.html'), '<h1>v1</h1>\n');
  await writeFile(join(root, APP, 'NOTES.md'), 'not part of the image\n');
  await publishUpstream(1);
});

afterAll(async () => {
  await untagRepositories(REPOS);
  await removeRepositoryImages(docker, [APP, DRAFT, BASE, OS]);
  registry.close();
  await rm(root, { recursive: true, force: true });
});

const DISCOVER = { root: '.', build_args: { REGISTRY } };

describe('discover → rebuild → push', () => {
  it('check: plans to publish the unpublished tree images, writes nothing', async () => {
    const before = await snapshot();
    const p = pass(true);
    const discovered = await run(discoverStep, { ...DISCOVER, include_unpublished: true }, p);
    expect(discovered.status).toBe('ok');
    expect(discovered.notes).toEqual([
      `${BASE}: stale (unpublished): ${BASE_REF} is not published yet`,
      `${APP}: stale (unpublished, base-rebuilt): ${APP_REF} is not published yet; base ${BASE_REF} is stale and is rebuilt first`,
    ]);
    expect(p.facts.images?.map((i) => [i.repository, i.dependsOn, i.bases])).toEqual([
      [BASE, [], [OS_REF]],
      [APP, [BASE], [BASE_REF]],
    ]);

    const rebuilt = await run(rebuildStep, {}, p);
    expect(rebuilt.status).toBe('changed');
    expect(rebuilt.actions).toEqual([
      expect.stringMatching(
        new RegExp(`^Build ${esc(BASE_REF)} and ${esc(REGISTRY)}/${BASE}:\\d{8}-\\d{4}(-\\d+)? because ${esc(BASE_REF)} is not published yet$`),
      ),
      expect.stringMatching(new RegExp(`^Build ${esc(APP_REF)} and .* because ${esc(APP_REF)} is not published yet; base ${esc(BASE_REF)} is stale`)),
    ]);
    expect(p.facts.built?.map((b) => [b.ref, b.planned, b.imageId])).toEqual([
      [BASE_REF, true, undefined],
      [APP_REF, true, undefined],
    ]);

    const pushed = await run(pushStep, {}, p);
    expect(pushed.status).toBe('changed');
    expect(pushed.actions).toEqual([
      `Push ${BASE_REF} and ${p.facts.built![0]!.dateRef} with its SBOM`,
      `Push ${APP_REF} and ${p.facts.built![1]!.dateRef} with its SBOM`,
    ]);
    expect(p.run.pushes.isPlanned(APP_REF)).toBe(true);
    expect(await snapshot()).toEqual(before);
  });

  it('apply: builds base then app with provenance labels and pushes both tags; apply again: everything is fresh', async () => {
    const p = pass(false);
    expect((await run(discoverStep, { ...DISCOVER, include_unpublished: true }, p)).status).toBe('ok');
    const rebuilt = await run(rebuildStep, {}, p);
    expect(rebuilt.status).toBe('changed');
    const [base, app] = p.facts.built!;
    expect(rebuilt.actions).toEqual([
      `Built ${BASE_REF} (sha256:${base!.imageId!.slice(7, 19)}…, also ${base!.dateRef.slice(base!.dateRef.lastIndexOf(':'))}) because ${BASE_REF} is not published yet`,
      `Built ${APP_REF} (sha256:${app!.imageId!.slice(7, 19)}…, also ${app!.dateRef.slice(app!.dateRef.lastIndexOf(':'))}) because ${APP_REF} is not published yet; base ${BASE_REF} was rebuilt`,
    ]);
    expect(rebuilt.progress).toContain(`Building ${BASE_REF} (unpublished)`);
    expect(rebuilt.progress).toContainEqual(expect.stringMatching(/^Step 2\/\d+ : COPY index.html \/srv\/index.html$/));
    expect(await localId(BASE_REF)).toBe(base!.imageId);
    expect(await localId(base!.dateRef)).toBe(base!.imageId);

    const appLabels = await labelsOf(APP_REF);
    expect(JSON.parse(appLabels['org.freshen.bases']!)).toEqual({ [BASE_REF]: base!.imageId });
    expect(appLabels['org.freshen.context']).toBe((await readBuildContext(join(root, APP))).digest);
    expect(appLabels['org.freshen.source']).toBe(APP);
    expect(appLabels['org.opencontainers.image.base.name']).toBe(BASE_REF);
    expect(JSON.parse((await labelsOf(BASE_REF))['org.freshen.bases']!)).toEqual({ [OS_REF]: await servedId(OS, 'stable') });
    // OCI's base pair: the digest where the base came from the registry; empty (not the base's own, inherited) for a base built
    // in this run, not pushed yet.
    expect((await labelsOf(BASE_REF))['org.opencontainers.image.base.digest']).toBe(await registry.manifestDigest(OS, 'stable'));
    expect(appLabels['org.opencontainers.image.base.digest']).toBe('');

    const pushed = await run(pushStep, {}, p);
    expect(pushed.status).toBe('changed');
    expect(pushed.actions.map((a) => a.replace(/ \(.*\)$/, '').replace(/\(CycloneDX, \d+ packages\) as sha256:[0-9a-f]{12}…/, '(…)'))).toEqual([
      `Pushed ${BASE_REF} and ${base!.dateRef}`,
      // busybox has no package database: its SBOM lists no packages, and says so.
      'Attached its SBOM (…), found through the referrers tag',
      `Pushed ${APP_REF} and ${app!.dateRef}`,
      'Attached its SBOM (…), found through the referrers tag',
    ]);
    expect(pushed.actions[1]).toContain('(CycloneDX, 0 packages)');
    expect(await servedId(APP, 'prod')).toBe(app!.imageId);
    expect(await servedId(APP, app!.dateRef.split(':').pop()!)).toBe(app!.imageId);
    expect(p.run.pushes.digestOf(APP_REF)).toBe(await registry.manifestDigest(APP, 'prod'));
    expect(p.run.pushes.isPlanned(APP_REF)).toBe(false);
    expect(p.run.pushes.pending).toBe(0);

    // Pushing the same facts again: the registry already serves them.
    const again = await run(pushStep, {}, p);
    expect(again).toMatchObject({ status: 'ok', actions: [] });
    expect(again.notes).toEqual([
      `${BASE_REF}: the registry already serves sha256:${base!.imageId!.slice(7, 19)}…`,
      `${APP_REF}: the registry already serves sha256:${app!.imageId!.slice(7, 19)}…`,
    ]);

    // A new run: discover finds both fresh (now published, without include_unpublished), rebuild and push have nothing to do.
    // A new, never published directory is not managed: discover notes it and leaves it alone.
    await mkdir(join(root, DRAFT), { recursive: true });
    await writeFile(join(root, DRAFT, 'Dockerfile'), 'FROM scratch\n');
    const next = pass(false);
    const discovered = await run(discoverStep, DISCOVER, next);
    expect(discovered.notes).toEqual([
      `${DRAFT}: not published (the registry has no ${REGISTRY}/${DRAFT}:prod), not managed`,
      `${BASE}: fresh`,
      `${APP}: fresh`,
    ]);
    expect(await run(rebuildStep, {}, next)).toMatchObject({ status: 'ok', actions: [] });
    expect(await run(pushStep, {}, next)).toMatchObject({ status: 'skipped', actions: [], reason: 'nothing was built on this host' });
  });

  it('a new upstream: base is base-changed, app base-rebuilt; rebuild and push in three passes each', async () => {
    const oldOs = await servedId(OS, 'stable');
    const oldBase = await servedId(BASE, 'prod');
    const oldApp = await servedId(APP, 'prod');
    const oldTags = { base: imageTags(await registry.tags(BASE)), app: imageTags(await registry.tags(APP)) };
    const newOs = await publishUpstream(2);
    expect(newOs).not.toBe(oldOs);

    // rebuild, check: would build base then app; nothing written.
    const before = await snapshot();
    const check = pass(true);
    const discovered = await run(discoverStep, DISCOVER, check);
    expect(discovered.notes.filter((n) => !n.includes('draft'))).toEqual([
      `${BASE}: stale (base-changed): base ${OS_REF} changed: built from ${oldOs!.slice(7, 19)}…, registry now has ${newOs.slice(7, 19)}…`,
      `${APP}: stale (base-rebuilt): base ${BASE_REF} is stale and is rebuilt first`,
    ]);
    const planned = await run(rebuildStep, {}, check);
    expect(planned.status).toBe('changed');
    expect(planned.actions.map((a) => a.split(' ')[1])).toEqual([BASE_REF, APP_REF]);
    expect(await snapshot()).toEqual(before);

    // rebuild, apply: builds base then app, each with a new datestamp tag; no existing tag moves.
    const apply = pass(false);
    await run(discoverStep, DISCOVER, apply);
    const rebuilt = await run(rebuildStep, {}, apply);
    expect(rebuilt.status).toBe('changed');
    expect(rebuilt.actions[0]).toContain(`because base ${OS_REF} changed: built from ${oldOs!.slice(7, 19)}…`);
    expect(rebuilt.actions[1]).toMatch(new RegExp(`^Built ${esc(APP_REF)} .* because base ${esc(BASE_REF)} was rebuilt$`));
    const [base, app] = apply.facts.built!;
    expect(JSON.parse((await labelsOf(BASE_REF))['org.freshen.bases']!)).toEqual({ [OS_REF]: newOs });
    expect(JSON.parse((await labelsOf(APP_REF))['org.freshen.bases']!)).toEqual({ [BASE_REF]: base!.imageId });
    expect(oldTags.base).not.toContain(base!.dateRef.split(':').pop());
    expect(oldTags.app).not.toContain(app!.dateRef.split(':').pop());
    for (const tag of oldTags.app.filter((t) => t !== 'prod')) expect(await localId(`${REGISTRY}/${APP}:${tag}`)).toBe(oldApp);
    expect(await servedId(BASE, 'prod')).toBe(oldBase);

    // push, check: would push both images; the registry is untouched.
    const pushCheck = { ...apply, check: true, run: newRunState() };
    const beforePush = await snapshot();
    const wouldPush = await run(pushStep, {}, pushCheck);
    expect(wouldPush.status).toBe('changed');
    expect(wouldPush.actions).toEqual([
      `Push ${BASE_REF} and ${base!.dateRef} (sha256:${base!.imageId!.slice(7, 19)}…) with its SBOM`,
      `Push ${APP_REF} and ${app!.dateRef} (sha256:${app!.imageId!.slice(7, 19)}…) with its SBOM`,
    ]);
    expect(await snapshot()).toEqual(beforePush);

    // push, apply, then apply again.
    expect((await run(pushStep, {}, apply)).status).toBe('changed');
    expect(await servedId(BASE, 'prod')).toBe(base!.imageId);
    expect(await servedId(APP, 'prod')).toBe(app!.imageId);
    expect((await run(pushStep, {}, apply)).status).toBe('ok');

    // rebuild, apply again (a new run after the push): nothing is stale.
    const again = pass(false);
    await run(discoverStep, DISCOVER, again);
    expect(again.facts.images?.map((i) => i.stale)).toEqual([false, false]);
    expect(await run(rebuildStep, {}, again)).toMatchObject({ status: 'ok', actions: [] });
  });

  it('detects a context change, not an edit of an ignored file', async () => {
    await writeFile(join(root, APP, 'NOTES.md'), 'edited notes\n');
    const ignored = pass(true);
    await run(discoverStep, DISCOVER, ignored);
    expect(ignored.facts.images?.map((i) => i.stale)).toEqual([false, false]);

    await writeFile(join(root, APP, 'index.html'), '<h1>v2</h1>\n');
    const edited = pass(true);
    const discovered = await run(discoverStep, DISCOVER, edited);
    expect(edited.facts.images?.map((i) => [i.repository, i.reasons])).toEqual([
      [BASE, []],
      [APP, ['context-changed']],
    ]);
    expect(discovered.notes).toContainEqual(
      expect.stringMatching(new RegExp(`^${APP}: stale \\(context-changed\\): build context changed: built from [0-9a-f]{12}…, now [0-9a-f]{12}…$`)),
    );
  });

  it('a failing build fails the step with the output tail, and its dependents are not built', async () => {
    await writeFile(join(root, BASE, 'Dockerfile'), [`FROM ${OS_REF}`, 'RUN echo "about to fail" && exit 3'].join('\n'));
    const p = pass(false);
    await run(discoverStep, { ...DISCOVER, force: [BASE] }, p);
    const before = await servedId(APP, 'prod');
    const result = await run(rebuildStep, { pull: false }, p);
    expect(result.status).toBe('failed');
    expect(codeOf(result)).toBe('build-failed');
    expect(reasonOf(result)).toMatch(new RegExp(`^Building ${esc(BASE_REF)} failed: The command .* returned a non-zero code: 3\\n`));
    expect(reasonOf(result)).toContain('about to fail');
    expect(result.notes).toEqual([`Not built ${APP_REF}: its base ${BASE} was not built`]);
    expect(p.facts.built).toEqual([]);
    expect(await servedId(APP, 'prod')).toBe(before);
  });
});

function esc(text: string): string {
  return text.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');
}

describe('unreachable services', () => {
  // Nothing listens on port 9 (discard) of loopback, nor on this socket path.
  const noRegistry = { registry: '127.0.0.1:9' };
  const noEngine = { docker: { host: 'unix:///tmp/t-build-no-such-engine.sock' } };
  const runOn = async (vars: Record<string, unknown>, handler: StepHandler, options: Record<string, unknown>, facts: HostFacts) => {
    const { ctx, close } = makeStepContext({ host: labHost('build1', vars), playbookDir: root, facts });
    try {
      return await runStep(handler, ctx, options);
    } finally {
      await close();
    }
  };

  it('discover reports the host unreachable when the registry does not answer', async () => {
    const result = await runOn(noRegistry, discoverStep, DISCOVER, {});
    expect(result.status).toBe('unreachable');
    expect(reasonOf(result)).toContain('127.0.0.1:9');
  });

  it('rebuild and push report the host unreachable when the engine does not answer', async () => {
    const image = {
      repository: APP,
      dir: join(root, APP),
      ref: APP_REF,
      tag: 'prod',
      bases: [],
      dependsOn: [],
      contextDigest: 'sha256:0',
      stale: true,
      reasons: ['forced' as const],
      explanations: ['the playbook forces a rebuild'],
    };
    const rebuilt = await runOn(noEngine, rebuildStep, {}, { images: [image] });
    expect(rebuilt).toMatchObject({ status: 'unreachable', reason: expect.stringContaining('t-build-no-such-engine.sock') });
    // The registry does not serve this image, so push gets as far as the engine.
    const built = [{ repository: APP, ref: APP_REF, dateRef: `${REGISTRY}/${APP}:19990101-0000`, imageId: `sha256:${'1'.repeat(64)}`, planned: false }];
    const pushed = await runOn(noEngine, pushStep, {}, { built });
    expect(pushed).toMatchObject({ status: 'unreachable', reason: expect.stringContaining('t-build-no-such-engine.sock') });
  });
});
