// `--check --diff` through the built CLI on web2 and web3: per host and container, the image digest before and after and whether
// it would be replaced, with nothing written to the engines or the registry. The prediction comes from the registry (HEAD) and,
// when an earlier play of the same run rebuilds and pushes, from that planned push.
// Only t-staged-chk-* containers under the rollout tag `t-staged-chk` are managed here.
import { existsSync } from 'node:fs';
import { copyFile, mkdir, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import type Docker from 'dockerode';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { shortDigest } from '../../src/model/imageRef.js';
import { labDocker, REGISTRY, REGISTRY_URL } from '../support/lab.js';
import { cleanUp, deleteManifests, publish, pullOn, removeImages } from './steps-rollout.helpers.js';
import { createApp, freshen, healthyVersion, readReport, tempDir, writeInventory, writePlaybook } from './rollout.helpers.js';

const TAG = 't-staged-chk';
const REPO = 't-staged-chk/app';
const REF = `${REGISTRY}/${REPO}:${TAG}`;
const APP = 't-staged-chk-app';
const VOLUME = 't-staged-chk-data';
const web2 = labDocker('web2');
const web3 = labDocker('web3');
const build1 = labDocker('build1');
const BUSYBOX = ['/bin/busybox', '/usr/bin/busybox'].find((path) => existsSync(path)) ?? '/bin/busybox';

const pushed: string[] = [];
let dir: string;
let lockDir: string;
let inventory: string;
let v1Digest: string;
let v2Digest: string;

/** Everything a run could write that these tests can see: our containers and images on each engine, and the registry's tags. */
async function snapshot(): Promise<unknown> {
  const engine = async (docker: Docker) => ({
    containers: (await docker.listContainers({ all: true }))
      .filter((c) => c.Names.some((n) => n.startsWith(`/${APP}`)))
      .map((c) => [c.Id, c.Names, c.ImageID, c.State])
      .sort(),
    images: (await docker.listImages({ filters: { reference: [`${REGISTRY}/${REPO}`] } })).map((i) => [i.Id, i.RepoTags, i.RepoDigests]).sort(),
  });
  const tags = (await (await fetch(`${REGISTRY_URL}/v2/${REPO}/tags/list`)).json()) as { tags: string[] };
  const manifest = await fetch(`${REGISTRY_URL}/v2/${REPO}/manifests/${TAG}`, {
    method: 'HEAD',
    headers: { accept: 'application/vnd.docker.distribution.manifest.v2+json, application/vnd.oci.image.manifest.v1+json' },
  });
  return {
    web2: await engine(web2),
    web3: await engine(web3),
    build1: await engine(build1),
    tags: tags.tags.sort(),
    digest: manifest.headers.get('docker-content-digest'),
  };
}

beforeAll(async () => {
  dir = await tempDir('t-staged-chk-');
  lockDir = join(dir, 'locks');
  inventory = await writeInventory(dir, TAG);
  for (const docker of [web2, web3]) await cleanUp(docker, APP, [VOLUME]);
  // web2 runs v1; web3 already runs v2, which the registry serves.
  await publish(REF, healthyVersion(1), pushed);
  v1Digest = pushed.at(-1)!;
  await pullOn(web2, REF);
  await createApp(web2, APP, REF, VOLUME, 'kept');
  await publish(REF, healthyVersion(2), pushed);
  v2Digest = pushed.at(-1)!;
  await pullOn(web3, REF);
  await createApp(web3, APP, REF, VOLUME, 'kept');
});

afterAll(async () => {
  for (const docker of [web2, web3]) {
    await cleanUp(docker, APP, [VOLUME]);
    await removeImages(docker, `${REGISTRY}/${REPO}`);
  }
  await removeImages(build1, `${REGISTRY}/${REPO}`);
  await deleteManifests(REPO, pushed);
});

describe('freshen run --check --diff', () => {
  it('shows per container the digest before and after and whether it is replaced, and writes nothing', async () => {
    const playbook = await writePlaybook(dir, 'rollout.yml', ['- name: Roll out', '  hosts: web', '  steps: [pull, stop, start]', ''].join('\n'));
    const before = await snapshot();
    const json = join(dir, 'check.json');
    const result = await freshen(['run', playbook, '-i', inventory, '--check', '--diff', '--json', json], lockDir);
    expect(result.code, result.stdout + result.stderr).toBe(0);
    expect(result.stdout).toContain(`changed: [web2] pull`);
    expect(result.stdout).toContain(`    ~ ${APP} (${REF}): sha256:${shortDigest(v1Digest)} → sha256:${shortDigest(v2Digest)}, replaced`);
    expect(result.stdout).toContain(`    = ${APP} (${REF}): sha256:${shortDigest(v2Digest)}, kept`);
    const report = await readReport(json);
    expect(report.check).toBe(true);
    expect(report.plays[0]!.hosts.web2![0]!.diff).toEqual([{ container: APP, ref: REF, before: v1Digest, after: v2Digest, replace: true }]);
    expect(report.plays[0]!.hosts.web3![0]!.diff).toEqual([{ container: APP, ref: REF, before: v2Digest, after: v2Digest, replace: false }]);
    // start names the digest the planned pull fetches: nothing in this play pushes.
    expect(report.plays[0]!.hosts.web2![2]!.diff).toEqual([
      { container: APP, ref: REF, before: v1Digest, after: v2Digest, replace: true, order: 'stop-first', why: 'order: stop-first' },
    ]);
    expect(result.stdout).not.toContain('the build this run pushes');
    expect(report.plays[0]!.hosts.web2!.map((r) => r.status)).toEqual(['changed', 'changed', 'changed']);
    expect(report.plays[0]!.hosts.web3!.map((r) => r.status)).toEqual(['ok', 'ok', 'ok']);
    expect(await snapshot()).toEqual(before);
    // Without --diff, neither the output nor the report carries the diff.
    const plainJson = join(dir, 'plain.json');
    const plain = await freshen(['run', playbook, '-i', inventory, '--check', '--json', plainJson], lockDir);
    expect(plain.stdout).not.toContain('→');
    expect((await readReport(plainJson)).plays[0]!.hosts.web2![0]!.diff).toBeUndefined();
  });

  it('predicts the replacement from a push planned earlier in the same run', async () => {
    const images = join(dir, 'images');
    await mkdir(join(images, REPO), { recursive: true });
    await copyFile(BUSYBOX, join(images, REPO, 'busybox'));
    await writeFile(
      join(images, REPO, 'Dockerfile'),
      ['FROM scratch', 'COPY busybox /bin/busybox', 'RUN ["/bin/busybox", "sh", "-c", "/bin/busybox --install -s /bin"]', ...healthyVersion(3), ''].join('\n'),
    );
    const playbook = await writePlaybook(
      dir,
      'rebuild-and-roll.yml',
      [
        '- name: Rebuild',
        '  hosts: builders',
        `  steps: [{ discover: { root: images, tag: ${TAG} } }, rebuild, push]`,
        '- name: Roll out',
        '  hosts: web',
        '  steps: [pull, stop, start]',
        '',
      ].join('\n'),
    );
    const before = await snapshot();
    const json = join(dir, 'rebuild.json');
    const result = await freshen(['run', playbook, '-i', inventory, '--check', '--diff', '--json', json], lockDir);
    expect(result.code, result.stdout + result.stderr).toBe(0);
    const report = await readReport(json);
    expect(report.plays[0]!.hosts.build1!.map((r) => [r.step, r.status])).toEqual([
      ['discover', 'ok'],
      ['rebuild', 'changed'],
      ['push', 'changed'],
    ]);
    for (const host of ['web2', 'web3'] as const) {
      const [pull, stop, start] = report.plays[1]!.hosts[host]!;
      // Even web3, which runs what the registry serves now, would get the image this run pushes.
      expect(pull!.actions).toEqual([`Pull ${REF} (a new version is planned by push)`]);
      expect(pull!.diff).toEqual([{ container: APP, ref: REF, before: host === 'web2' ? v1Digest : v2Digest, replace: true }]);
      expect(stop!.actions).toEqual([
        expect.stringMatching(new RegExp(`^Hand ${APP} .* parks it as ${APP}\\.freshen-old`)),
        expect.stringMatching(new RegExp(`^Place a guard on the host .* puts back ${APP} `)),
      ]);
      expect(start!.actions).toEqual([
        expect.stringMatching(
          new RegExp(`^Stop ${APP} \\(timeout 10s\\) and park it as ${APP}\\.freshen-old, then create ${APP} from ${REF.replace(/[.]/g, '\\.')}`),
        ),
      ]);
      expect(start!.diff).toEqual([
        { container: APP, ref: REF, before: expect.stringMatching(/^sha256:/), replace: true, order: 'stop-first', why: 'order: stop-first' },
      ]);
    }
    expect(result.stdout).toContain(`    ~ ${APP} (${REF}): sha256:${shortDigest(v2Digest)} → the build this run pushes, replaced`);
    expect(result.stdout).toContain(`→ the build this run pushes, replaced stop-first (order: stop-first)`);
    expect(await snapshot()).toEqual(before);
  });
});
