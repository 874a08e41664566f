// freshen rollback against the lab: two builds of t-rollback/app, containers on web2 and web3 running the newer one; rollback
// points the rollout tag at the older build through the registry API, then a playbook of pull/stop/start carries it to both
// hosts. Its own rollout tag (t-rollback-prod) keeps the lab's and other tests' containers out of the run.
import { planStep } from '../../src/runner/runStep.js';
import { mkdtemp, mkdir, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { RunReport } from '../../src/runner/report.js';
import { discoverStep } from '../../src/steps/discover/discover.js';
import { runCli } from '../support/cli.js';
import { LAB_INVENTORY, REGISTRY, REGISTRY_URL, buildBusyboxImage, labDocker, pushImage, removeContainers } from '../support/lab.js';
import { labHost, makeStepContext } from '../support/stepContext.js';
import { containerState, pullOn } from './steps-rollout.helpers.js';

const REPO = 't-rollback/app';
const ROLLOUT = 't-rollback-prod';
const OLD = '20261101-0300';
const NEW = '20261102-0300';
const HOSTS = ['web2', 'web3'] as const;
const CONTAINER = 't-rollback-app';
const ACCEPT = 'application/vnd.docker.distribution.manifest.v2+json, application/vnd.oci.image.manifest.v1+json';
const CMD = ['/bin/sh', '-c', "trap 'exit 0' TERM; while true; do sleep 1; done"];

const ids: Record<string, string> = {};
const digests: Record<string, string> = {};
let work: string;

const freshen = runCli;
const rollback = (...args: string[]) => freshen('rollback', '-i', LAB_INVENTORY, '-e', `rollout_tag=${ROLLOUT}`, ...args);

async function head(reference: string): Promise<{ digest?: string; type?: string }> {
  const response = await fetch(`${REGISTRY_URL}/v2/${REPO}/manifests/${reference}`, { method: 'HEAD', headers: { accept: ACCEPT } });
  if (response.status !== 200) return {};
  return { digest: response.headers.get('docker-content-digest') ?? undefined, type: response.headers.get('content-type') ?? undefined };
}

async function deleteRepository(): Promise<void> {
  const response = await fetch(`${REGISTRY_URL}/v2/${REPO}/tags/list`);
  if (response.status !== 200) return;
  const tags = ((await response.json()) as { tags: string[] | null }).tags ?? [];
  const all = new Set((await Promise.all(tags.map((t) => head(t)))).map((h) => h.digest).filter((d): d is string => d !== undefined));
  for (const digest of all) await fetch(`${REGISTRY_URL}/v2/${REPO}/manifests/${digest}`, { method: 'DELETE' });
}

async function cleanUp(): Promise<void> {
  for (const host of HOSTS) await removeContainers(labDocker(host), 't-rollback-');
  for (const host of ['build1', ...HOSTS] as const) {
    for (const tag of [OLD, NEW, ROLLOUT])
      await labDocker(host)
        .getImage(`${REGISTRY}/${REPO}:${tag}`)
        .remove({ force: true })
        .catch(() => undefined);
  }
  await deleteRepository();
}

beforeAll(async () => {
  await cleanUp();
  work = await mkdtemp(join(tmpdir(), 'freshen-t-rollback-'));
  const build1 = labDocker('build1');
  for (const tag of [OLD, NEW]) {
    const ref = `${REGISTRY}/${REPO}:${tag}`;
    ids[tag] = await buildBusyboxImage(build1, ref, { lines: [`LABEL org.t-rollback.build=${tag}`] });
    digests[tag] = await pushImage(build1, ref);
  }
  await build1.getImage(`${REGISTRY}/${REPO}:${NEW}`).tag({ repo: `${REGISTRY}/${REPO}`, tag: ROLLOUT });
  await pushImage(build1, `${REGISTRY}/${REPO}:${ROLLOUT}`);
  for (const host of HOSTS) {
    const docker = labDocker(host);
    await pullOn(docker, `${REGISTRY}/${REPO}:${ROLLOUT}`);
    const container = await docker.createContainer({ name: CONTAINER, Image: `${REGISTRY}/${REPO}:${ROLLOUT}`, Cmd: CMD, HostConfig: { NetworkMode: 'none' } });
    await container.start();
  }
}, 120_000);

afterAll(async () => {
  await cleanUp();
  await rm(work, { recursive: true, force: true });
});

describe('freshen rollback', () => {
  it('refuses an unknown repository or tag with exit 5 and a clear message', async () => {
    const noRepo = await rollback('t-rollback/nothing-here', OLD);
    expect(noRepo).toMatchObject({ code: 5, stdout: '' });
    expect(noRepo.stderr).toBe(`freshen rollback: ${REGISTRY}/t-rollback/nothing-here: no such repository in ${REGISTRY} (it has no tags)\n`);
    const noTag = await rollback(REPO, '20250101-0000');
    expect(noTag.code).toBe(5);
    expect(noTag.stderr).toBe(`freshen rollback: ${REGISTRY}/${REPO}: no tag 20250101-0000; newest datestamps: ${NEW}, ${OLD}\n`);
    expect((await head(ROLLOUT)).digest).toBe(digests[NEW]);
  });

  it('--check says what it would do and writes nothing', async () => {
    const result = await rollback(REPO, OLD, '--check');
    expect(result.code, result.stderr).toBe(0);
    const short = (d: string) => d.slice(7, 19);
    expect(result.stdout).toContain(
      `would change: Point ${REGISTRY}/${REPO}:${ROLLOUT} at ${OLD} (${short(digests[OLD]!)}; was ${short(digests[NEW]!)} = ${NEW})`,
    );
    expect((await head(ROLLOUT)).digest).toBe(digests[NEW]);
  });

  it('apply: the rollout tag gets the older manifest, same digest and media type; again: ok', async () => {
    const before = await head(OLD);
    const result = await rollback(REPO, OLD);
    expect(result.code, result.stderr).toBe(0);
    expect(result.stdout).toMatch(new RegExp(`^changed: Pointed ${REGISTRY}/${REPO}:${ROLLOUT} at ${OLD} `));
    expect(await head(ROLLOUT)).toEqual(before);
    expect(await head(NEW)).toEqual({ digest: digests[NEW], type: before.type });

    const again = await rollback(REPO, OLD);
    expect(again).toMatchObject({ code: 0, stdout: `ok: ${REGISTRY}/${REPO}:${ROLLOUT} already points at ${OLD} (${digests[OLD]!.slice(7, 19)})\n` });
  });

  it('discover holds the rolled-back repository instead of rebuilding it', async () => {
    const root = join(work, 'images');
    await mkdir(join(root, REPO), { recursive: true });
    await writeFile(join(root, REPO, 'Dockerfile'), `FROM scratch\nLABEL changed=${Date.now()}\n`);
    const { ctx, close } = makeStepContext({ host: labHost('build1'), vars: { rollout_tag: ROLLOUT }, check: true });
    try {
      const plan = await planStep(discoverStep, ctx, { root, tag: ROLLOUT });
      expect(plan.images).toEqual([]);
      expect(plan.notes).toContain(
        `${REPO}: rolled back to ${OLD} (newest build ${NEW}); not rebuilding until a newer build is pushed, the rollout tag is moved forward, or discover is forced`,
      );
      const forced = await planStep(discoverStep, ctx, { root, tag: ROLLOUT, force: [REPO] });
      expect(forced.images.map((i) => [i.repository, i.stale])).toEqual([[REPO, true]]);
    } finally {
      await close();
    }
  });

  it('a playbook of pull, stop, start carries the older build to web2 and web3', async () => {
    const playbook = join(work, 'rollout.yml');
    await writeFile(playbook, `- name: Roll out\n  hosts: web2:web3\n  steps:\n    - pull\n    - stop\n    - start: { settle: 1s }\n`);
    const run = await freshen('run', playbook, '-i', LAB_INVENTORY, '-e', `rollout_tag=${ROLLOUT}`, '--lock-wait', '60s');
    expect(run.code, run.stdout + run.stderr).toBe(0);
    for (const host of HOSTS) expect(await containerState(labDocker(host), CONTAINER), host).toEqual({ running: true, image: ids[OLD] });

    const again = await freshen('run', playbook, '-i', LAB_INVENTORY, '-e', `rollout_tag=${ROLLOUT}`, '--lock-wait', '60s');
    expect(again.code).toBe(0);
    expect(again.stdout).toMatch(/web2\s*: ok=3\s+changed=0/);
    expect(again.stdout).toMatch(/web3\s*: ok=3\s+changed=0/);
  }, 120_000);
  it('is a step of its own in a playbook: check, apply, apply again (rolls forward to the newest build)', async () => {
    const playbook = join(work, 'forward.yml');
    await writeFile(playbook, `- name: Forward\n  hosts: build1\n  steps:\n    - rollback: { repository: ${REPO}, tag: "${NEW}" }\n`);
    const run = (...extra: string[]) => freshen('run', playbook, '-i', LAB_INVENTORY, '-e', `rollout_tag=${ROLLOUT}`, '--lock-wait', '60s', ...extra);
    const before = (await head(ROLLOUT)).digest;
    expect(before).toBe(digests[OLD]);
    const check = await run('--check');
    expect(check.code, check.stdout + check.stderr).toBe(0);
    expect(check.stdout).toMatch(/build1\s*: ok=0\s+changed=1/);
    expect((await head(ROLLOUT)).digest).toBe(before);
    const apply = await run();
    expect(apply.code, apply.stdout + apply.stderr).toBe(0);
    expect(apply.stdout).toContain(`Pointed ${REGISTRY}/${REPO}:${ROLLOUT} at ${NEW}`);
    expect((await head(ROLLOUT)).digest).toBe(digests[NEW]);
    const again = await run();
    expect(again.stdout).toMatch(/build1\s*: ok=1\s+changed=0/);
  });

  it('freshen rollback writes its result to --json like a run', async () => {
    const json = join(work, 'rollback.json');
    const result = await rollback(REPO, NEW, '--check', '--json', json);
    expect(result.code, result.stderr).toBe(0);
    const report = JSON.parse(await readFile(json, 'utf8')) as RunReport;
    expect(report.check).toBe(true);
    expect(Object.values(report.plays[0]!.hosts)[0]).toMatchObject([{ step: 'rollback', status: 'ok' }]);
  });
});
