// A custom `date_format` (YYYY.MM.DD-HHmmss, whose tags a fixed regular expression would not know): rebuild writes the tags,
// and `freshen rollback`, discover's rollback hold and gc's retention recognise exactly those tags. The lab inventory with
// -e naming a registry of this test's own; repository t-datefmt/app under the rollout tag t-datefmt.
import { mkdtemp, mkdir, readFile, rm, writeFile } from 'node:fs/promises';
import { referrerTagSubject } from '../../src/adapters/referrerFormats.js';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { datestampFormat } from '../../src/images/datestamp.js';
import type { RunReport } from '../../src/runner/report.js';
import { runCli } from '../support/cli.js';
import { startOwnRegistry, type OwnRegistry } from '../support/ownRegistry.js';
import { LAB_INVENTORY, buildBusyboxImage, labDocker, pushImage, referenceIn, removeImageReferences } from '../support/lab.js';

const REPO = 't-datefmt/app';
const TAG = 't-datefmt';
const FORMAT = 'YYYY.MM.DD-HHmmss';
const format = datestampFormat(FORMAT);

let own: OwnRegistry;
let work: string;
let build: string;
let gc: string;

const vars = () => ['-e', `registry=${own.name}`, '-e', `date_format=${FORMAT}`, '-e', `rollout_tag=${TAG}`];
const freshen = runCli;
const run = async (playbook: string, ...extra: string[]) => {
  const json = join(work, `report-${Math.random().toString(36).slice(2)}.json`);
  const result = await freshen('run', playbook, '-i', LAB_INVENTORY, ...vars(), '--json', json, '--lock-wait', '5m', ...extra);
  return { ...result, report: JSON.parse(await readFile(json, 'utf8')) as RunReport };
};
const tags = async (): Promise<string[]> => {
  const response = await fetch(`${own.url}/v2/${REPO}/tags/list`);
  // Tags of images only: each pushed build also has its SBOM's (sha256-<hex>, sha256-<hex>.sbom).
  const all = response.status === 200 ? (((await response.json()) as { tags: string[] | null }).tags ?? []).sort() : [];
  return all.filter((t) => referrerTagSubject(t) === undefined);
};
const digestOf = async (tag: string): Promise<string | undefined> => {
  const response = await fetch(`${own.url}/v2/${REPO}/manifests/${tag}`, {
    method: 'HEAD',
    headers: { accept: 'application/vnd.docker.distribution.manifest.v2+json, application/vnd.oci.image.manifest.v1+json' },
  });
  return response.headers.get('docker-content-digest') ?? undefined;
};

const removeImages = (): Promise<void> => removeImageReferences(labDocker('build1'), referenceIn(`${own.name}/${REPO}`));

/** Rebuilds with a changed build context, so the build is new and pushed. */
async function rebuildOnce(n: number): Promise<void> {
  await writeFile(join(work, 'images', REPO, 'marker'), `build ${n}\n`);
  const result = await run(build);
  expect(result.code, result.stdout + result.stderr).toBe(0);
  expect(result.report.recap.build1).toMatchObject({ changed: 2, failed: 0 });
}

beforeAll(async () => {
  own = await startOwnRegistry('t-datefmt');
  work = await mkdtemp(join(tmpdir(), 'freshen-t-datefmt-'));
  await mkdir(join(work, 'images', REPO), { recursive: true });
  await writeFile(join(work, 'images', REPO, 'Dockerfile'), 'FROM scratch\nCOPY marker /marker\n');
  const seed = `${own.name}/${REPO}:${TAG}`;
  await buildBusyboxImage(labDocker('build1'), seed, { lines: ['LABEL org.t-datefmt.build=seed'] });
  await pushImage(labDocker('build1'), seed);
  build = join(work, 'build.yml');
  await writeFile(build, `- name: Build\n  hosts: build1\n  steps: [{ discover: { root: ${join(work, 'images')} } }, rebuild, push]\n`);
  gc = join(work, 'gc.yml');
  await writeFile(gc, '- name: Retention\n  hosts: build1\n  vars: { registry_gc: { command: "true" } }\n  steps: [{ gc: { keep: 1, sweep: false } }]\n');
}, 120_000);

afterAll(async () => {
  if (own) await removeImages();
  await own?.destroy();
  if (work) await rm(work, { recursive: true, force: true });
});

describe(`date_format ${FORMAT}`, () => {
  let first: string;
  let second: string;

  it('rebuild writes datestamp tags in the format', async () => {
    await rebuildOnce(1);
    await rebuildOnce(2);
    const datestamps = (await tags()).filter((t) => t !== TAG);
    expect(datestamps).toHaveLength(2);
    expect(datestamps.every(format.isDatestamp)).toBe(true);
    [first, second] = [...datestamps].sort(format.compare) as [string, string];
    expect(await digestOf(TAG)).toBe(await digestOf(second));
  });

  it('freshen rollback knows them as datestamps, and discover then holds the repository', async () => {
    const back = await freshen('rollback', '-i', LAB_INVENTORY, ...vars(), REPO, first);
    expect(back.code, back.stderr).toBe(0);
    expect(back.stdout).toContain(`Pointed ${own.name}/${REPO}:${TAG} at ${first}`);
    expect(back.stdout).not.toContain('is not a datestamp tag');
    const check = await run(build, '--check');
    expect(check.code, check.stdout + check.stderr).toBe(0);
    expect(check.stdout).toContain(`${REPO}: rolled back to ${first} (newest build ${second}); not rebuilding`);
    expect(check.report.recap.build1).toMatchObject({ changed: 0 });
    const forward = await freshen('rollback', '-i', LAB_INVENTORY, ...vars(), REPO, second);
    expect(forward.code, forward.stderr).toBe(0);
  });

  it('gc keeps the newest datestamp and expires the older one', async () => {
    const result = await run(gc);
    expect(result.code, result.stdout + result.stderr).toBe(0);
    expect(result.report.recap.build1).toMatchObject({ changed: 1 });
    expect(await tags()).toEqual([second, TAG].sort());
    const unknown = await freshen('rollback', '-i', LAB_INVENTORY, ...vars(), REPO, first);
    expect(unknown.code).toBe(5);
    expect(unknown.stderr).toContain(`no tag ${first}; newest datestamps: ${second}`);
  });
});
