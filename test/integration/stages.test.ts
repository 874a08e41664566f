// Stages across runs, through the CLI against the lab, at times the test sets (the run's wall clock): a build rolled out on the
// canary stage (web1, web3) soaks there and is promoted to prod (web2) only by a run after the soak; a build a canary host
// rolled back is held back for good; a second control node with an empty state directory decides the same from the registry.
import { randomBytes } from 'node:crypto';
import { mkdir, readFile } from 'node:fs/promises';
import { join } from 'node:path';
import Ajv2020 from 'ajv/dist/2020.js';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createRegistryClient } from '../../src/adapters/registry.js';
import { registrySettings } from '../../src/model/inventory.js';
import { promotionsIn } from '../../src/model/stepDetails.js';
import type { RunReport } from '../../src/runner/report.js';
import { runCliAt } from '../support/cli.js';
import { labDocker, labSocket, pushImage, REGISTRY, REPO_ROOT } from '../support/lab.js';
import { cleanUp, deleteManifests, publish, pullOn, removeImages } from './steps-rollout.helpers.js';
import { containersNamed, createApp, healthyVersion, readReport, tempDir, unhealthyVersion, writePlaybook, type ContainerHost } from './rollout.helpers.js';

const CANARY = 't-stages-canary';
const PROD = 't-stages-prod';
const REPO = 't-stages/app';
const REF = (tag: string): string => `${REGISTRY}/${REPO}:${tag}`;
const APP = 't-stages-app';
const VOLUME = 't-stages-data';
const STAGE_HOSTS: Record<ContainerHost, string> = { web1: CANARY, web3: CANARY, web2: PROD };
const HOSTS = Object.keys(STAGE_HOSTS) as ContainerHost[];
const HOUR = 3_600_000;
/** The runs' clock starts at a fixed instant, far from the machine's own, so nothing here can pass by real time. */
const T0 = Date.parse('2031-03-02T08:00:00Z');

const pushed: string[] = [];
let dir: string;
let inventory: string;
let playbook: string;
const saved = { lock: process.env.FRESHEN_LOCK_DIR, state: process.env.FRESHEN_STATE_DIR, cache: process.env.FRESHEN_CACHE_DIR };
const registry = createRegistryClient(registrySettings({ registry: REGISTRY })!);

/** A run of the playbook at `at`, with its JSON report. */
async function runAt(at: number, name: string, extra: string[] = []): Promise<{ code: number; output: string; report: RunReport }> {
  const json = join(dir, `${name}.json`);
  const r = await runCliAt(at, 'run', playbook, '-i', inventory, '--json', json, ...extra);
  return { code: r.code, output: r.stdout + r.stderr, report: await readReport(json) };
}

const promotion = (report: RunReport) => {
  const step = report.plays.find((p) => p.hosts.registry1 !== undefined)!.hosts.registry1![0]!;
  return { step, verdicts: promotionsIn(step.details) };
};

/** Which build (by manifest digest) a host's app container runs. */
async function runs(host: ContainerHost): Promise<string | undefined> {
  const app = (await containersNamed(labDocker(host), APP)).get(APP);
  if (app === undefined) return undefined;
  const digests = (await labDocker(host).getImage(app.image).inspect()).RepoDigests;
  return digests.find((d) => d.startsWith(`${REGISTRY}/${REPO}@`))?.split('@')[1];
}

/**
 * This run's builds are its own: stage records are kept per build digest, so a build identical to an earlier run's would
 * find that run's records.
 */
const RUN = randomBytes(4).toString('hex');
const own = (lines: string[]): string[] => [...lines, `LABEL t-stages.run="${RUN}"`];

/** Builds a version on build1 and pushes it to the canary tag; returns its manifest digest. */
async function publishCanary(lines: string[]): Promise<string> {
  await publish(REF(CANARY), own(lines), pushed);
  return (await registry.manifestDigest(REPO, CANARY))!;
}

beforeAll(async () => {
  dir = await tempDir('t-stages-');
  process.env.FRESHEN_LOCK_DIR = join(dir, 'locks');
  process.env.FRESHEN_STATE_DIR = join(dir, 'state');
  process.env.FRESHEN_CACHE_DIR = join(dir, 'cache');
  await mkdir(join(dir, 'locks'), { mode: 0o700 });
  inventory = await writePlaybook(
    dir,
    'inventory.yml',
    [
      'all:',
      '  vars:',
      `    registry: "${REGISTRY}"`,
      `    stages: [${CANARY}, ${PROD}]`,
      '  children:',
      '    registries:',
      '      hosts:',
      '        registry1: {}',
      '    canary:',
      `      vars: { rollout_tag: ${CANARY} }`,
      '      hosts:',
      ...(['web1', 'web3'] as const).map((h) => `        ${h}: { docker: { host: "unix://${labSocket(h)}" } }`),
      '    prod:',
      `      vars: { rollout_tag: ${PROD} }`,
      '      hosts:',
      `        web2: { docker: { host: "unix://${labSocket('web2')}" } }`,
      '',
    ].join('\n'),
  );
  playbook = await writePlaybook(
    dir,
    'stages.yml',
    [
      '- name: Canary',
      '  hosts: canary',
      '  steps: [pull, stop, { start: { healthy_timeout: 20s, settle: 1s } }]',
      '- name: Promote',
      '  hosts: registries',
      `  steps: [{ promote: { soak: 24h, images: [${REPO}] } }]`,
      '- name: Prod',
      '  hosts: prod',
      '  steps: [pull, stop, { start: { healthy_timeout: 20s, settle: 1s } }]',
      '',
    ].join('\n'),
  );
  // Build 1 runs everywhere: both stages' tags name it.
  await publish(REF(CANARY), own(healthyVersion(1)), pushed);
  const build1 = labDocker('build1');
  await build1.getImage(REF(CANARY)).tag({ repo: `${REGISTRY}/${REPO}`, tag: PROD });
  pushed.push(await pushImage(build1, REF(PROD)));
  for (const host of HOSTS) {
    await cleanUp(labDocker(host), APP, [VOLUME]);
    await pullOn(labDocker(host), REF(STAGE_HOSTS[host]));
    await createApp(labDocker(host), APP, REF(STAGE_HOSTS[host]), VOLUME, host);
  }
}, 180_000);

afterAll(async () => {
  for (const host of HOSTS) {
    await cleanUp(labDocker(host), APP, [VOLUME]);
    await removeImages(labDocker(host), `${REGISTRY}/${REPO}`);
  }
  await removeImages(labDocker('build1'), `${REGISTRY}/${REPO}`);
  // Every tag of the repository, the stage records among them (gc would delete those with their builds).
  const tags = await registry.tags(REPO);
  const digests = await Promise.all(tags.map((tag) => registry.manifestDigest(REPO, tag)));
  await deleteManifests(REPO, [...pushed, ...digests.filter((d): d is string => d !== undefined)]);
  registry.close();
  for (const [name, value] of [
    ['FRESHEN_LOCK_DIR', saved.lock],
    ['FRESHEN_STATE_DIR', saved.state],
    ['FRESHEN_CACHE_DIR', saved.cache],
  ] as const) {
    if (value === undefined) delete process.env[name];
    else process.env[name] = value;
  }
});

describe('a build goes canary → soak → prod across runs', () => {
  let build2: string;
  let prod1: string;

  it('run 1: the canary hosts adopt build 2 and record it; promote waits out the soak, naming when it ends', async () => {
    prod1 = (await registry.manifestDigest(REPO, PROD))!;
    build2 = await publishCanary(healthyVersion(2));
    const { code, output, report } = await runAt(T0, 'run1');
    expect(code, output).toBe(0);
    for (const host of ['web1', 'web3'] as const) {
      expect(await runs(host), host).toBe(build2);
      expect(report.plays[0]!.hosts[host]!.at(-1)!.actions.join('\n')).toContain(`Recorded in the registry that ${host} adopted ${REPO}@`);
    }
    const { step, verdicts } = promotion(report);
    expect(step.status).toBe('ok');
    expect(verdicts).toEqual([
      expect.objectContaining({
        repository: REPO,
        from: CANARY,
        to: PROD,
        build: build2,
        next_build: prod1,
        action: 'wait',
        eligible_at: new Date(T0 + 24 * HOUR).toISOString(),
        hosts: [
          { host: 'web1', since: new Date(T0).toISOString() },
          { host: 'web3', since: new Date(T0).toISOString() },
        ],
      }),
    ]);
    expect(verdicts[0]!.reason).toBe(`soaking on ${CANARY} until ${new Date(T0 + 24 * HOUR).toISOString()} (1d to go)`);
    expect(await registry.manifestDigest(REPO, PROD)).toBe(prod1);
    expect(await runs('web2')).toBe(prod1);

    // status shows where the build stands, from the same verdict, and writes nothing.
    const tags = (await registry.tags(REPO)).sort();
    const status = await runCliAt(T0 + HOUR, 'status', playbook, '-i', inventory, '--json', join(dir, 'status.json'));
    expect(status.code, status.stdout + status.stderr).toBe(0);
    expect(status.stdout).toMatch(
      new RegExp(
        `^${REPO} +${CANARY} +${build2.slice(7, 19)} +${new Date(T0).toISOString()} +${PROD} +eligible at ${new Date(T0 + 24 * HOUR).toISOString().replace(/\./g, '\\.')}$`,
        'm',
      ),
    );
    const json = JSON.parse(await readFile(join(dir, 'status.json'), 'utf8')) as { stages: unknown[] };
    const validate = new Ajv2020.default({ strict: true, validateFormats: false }).compile(
      JSON.parse(await readFile(join(REPO_ROOT, 'schemas/status.schema.json'), 'utf8')),
    );
    expect(validate(json), JSON.stringify(validate.errors)).toBe(true);
    expect(json.stages).toEqual([
      expect.objectContaining({ repository: REPO, stage: CANARY, build: build2, action: 'wait', since: new Date(T0).toISOString() }),
    ]);
    expect((await registry.tags(REPO)).sort()).toEqual(tags);
  }, 180_000);

  it('a run 23 hours later still waits, and a run with --check after the soak says it would promote and writes nothing', async () => {
    const later = await runAt(T0 + 23 * HOUR, 'run1b');
    expect(later.code, later.output).toBe(0);
    expect(promotion(later.report).verdicts[0]).toMatchObject({ action: 'wait', reason: expect.stringContaining('(1h to go)') });
    const tagsBefore = (await registry.tags(REPO)).sort();
    const check = await runAt(T0 + 25 * HOUR, 'check', ['--check']);
    expect(check.code, check.output).toBe(0);
    const { step, verdicts } = promotion(check.report);
    expect(step.status).toBe('changed');
    expect(step.actions).toEqual([
      expect.stringMatching(
        new RegExp(
          `^Move ${REPO}:${PROD} to the ${CANARY} build sha256:[0-9a-f]{12}… \\(from sha256:[0-9a-f]{12}…\\): ran on every ${CANARY} host \\(web1, web3\\) for 1d1h or more, healthy, never rolled back$`,
        ),
      ),
    ]);
    expect(verdicts[0]!.action).toBe('promote');
    expect((await registry.tags(REPO)).sort()).toEqual(tagsBefore);
    expect(await registry.manifestDigest(REPO, PROD)).toBe(prod1);
  }, 180_000);

  it('run 2, after the soak: prod moves to build 2 and web2 runs it; run 3 changes nothing', async () => {
    const { code, output, report } = await runAt(T0 + 25 * HOUR, 'run2');
    expect(code, output).toBe(0);
    expect(promotion(report).step.status).toBe('changed');
    expect(await registry.manifestDigest(REPO, PROD)).toBe(build2);
    expect(await runs('web2')).toBe(build2);
    const again = await runAt(T0 + 25 * HOUR, 'run3');
    expect(again.code, again.output).toBe(0);
    expect(Object.values(again.report.recap).every((r) => r.changed === 0)).toBe(true);
    expect(promotion(again.report).verdicts[0]).toMatchObject({ action: 'none', reason: 'the next stage runs this build already' });
  }, 240_000);
});

describe('a build a canary host rolled back', () => {
  it('is held back from prod for good, and a second control node with an empty state directory says the same', async () => {
    const build3 = await publishCanary(unhealthyVersion(3));
    const prodBefore = (await registry.manifestDigest(REPO, PROD))!;
    const { code, output, report } = await runAt(T0 + 26 * HOUR, 'bad');
    expect(code, output).not.toBe(0);
    const rolledBack = report.plays[0]!.hosts.web1!.at(-1)!;
    expect(rolledBack.status).toBe('failed');
    expect(rolledBack.actions.join('\n')).toContain(`Recorded in the registry that web1 rolled back ${REPO}@`);
    expect(await runs('web1')).not.toBe(build3);
    // Every canary host failed, so the run stopped there (as a play whose hosts all failed stops any run).
    expect(report.plays).toHaveLength(1);
    expect(await registry.manifestDigest(REPO, PROD)).toBe(prodBefore);

    // The next run: each canary host keeps the build it runs instead of trying build 3 again, and promote holds build 3.
    const next = await runAt(T0 + 27 * HOUR, 'held');
    expect(next.code, next.output).toBe(0);
    const pull = next.report.plays[0]!.hosts.web1![0]!;
    expect(pull.actions).toEqual([expect.stringMatching(new RegExp(`^Tagged ${REF(CANARY)} back to [0-9a-f]{12}, the build its containers run`))]);
    expect(pull.notes).toContainEqual(
      expect.stringMatching(new RegExp(`^${REF(CANARY)}: web1 rolled back sha256:${build3.slice(7, 19)}… in stage ${CANARY} at `)),
    );
    expect(next.report.plays[0]!.hosts.web1!.map((r) => r.status)).toEqual(['changed', 'ok', 'ok']);
    expect(await runs('web1')).toBe(prodBefore);
    const quiet = await runAt(T0 + 28 * HOUR, 'held-again');
    expect(quiet.code, quiet.output).toBe(0);
    expect(Object.values(quiet.report.recap).every((r) => r.changed === 0)).toBe(true);
    const held = promotion(next.report).verdicts[0]!;
    expect(held).toMatchObject({ build: build3, action: 'hold' });
    expect(held.reason).toMatch(/^rolled back on web1(, web3)?: never promoted$/);
    expect(await registry.manifestDigest(REPO, PROD)).toBe(prodBefore);

    // Days later, from another state and cache directory (a CI runner with an empty disk): still held, for the same reason.
    process.env.FRESHEN_STATE_DIR = join(dir, 'state2');
    process.env.FRESHEN_CACHE_DIR = join(dir, 'cache2');
    const elsewhere = await runAt(T0 + 200 * HOUR, 'elsewhere', ['--check']);
    expect(promotion(elsewhere.report).verdicts[0]).toMatchObject({ build: build3, action: 'hold', reason: held.reason });
    expect(await registry.manifestDigest(REPO, PROD)).toBe(prodBefore);
  }, 240_000);
});
