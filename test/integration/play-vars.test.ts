// A play whose `vars` name another registry, with credentials, than the inventory's: every step of the play and every connection
// it opens use the play's registry. The lab inventory names the lab registry (127.0.0.1:5055, no auth); the plays name a
// registry of this test's own with htpasswd. Discover, rebuild and push on build1, then pull on web2, must all go there and
// leave the lab registry without the repository. Repository t-playvars/app under the rollout tag t-playvars.
import { mkdtemp, mkdir, rm, writeFile } from 'node:fs/promises';
import { referrerTagSubject } from '../../src/adapters/referrerFormats.js';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type Docker from 'dockerode';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { runCli } from '../support/cli.js';
import { HTPASSWD_USER, startOwnRegistry, type OwnRegistry } from '../support/ownRegistry.js';
import { LAB_INVENTORY, REGISTRY_URL, buildBusyboxImage, labDocker, pushImage, removeContainers, referenceIn, removeImageReferences } from '../support/lab.js';

const REPO = 't-playvars/app';
const TAG = 't-playvars';
const CONTAINER = 't-playvars-app';
const AUTH = { username: HTPASSWD_USER.username, password: HTPASSWD_USER.password };
const CMD = ['/bin/sh', '-c', "trap 'exit 0' TERM; while true; do sleep 1; done"];

let own: OwnRegistry;
let work: string;
let ref: string;

async function pullWithAuth(docker: Docker, image: string): Promise<void> {
  const stream = await docker.pull(image, { authconfig: AUTH });
  await new Promise((resolve, reject) => docker.modem.followProgress(stream, (error: Error | null) => (error ? reject(error) : resolve(undefined))));
}

const basic = `Basic ${Buffer.from(`${AUTH.username}:${AUTH.password}`).toString('base64')}`;
const ownTags = async (): Promise<string[]> => {
  const response = await fetch(`${own.url}/v2/${REPO}/tags/list`, { headers: { authorization: basic } });
  // Tags of images only: each pushed build also has its SBOM's (sha256-<hex>, sha256-<hex>.sbom).
  const all = response.status === 200 ? (((await response.json()) as { tags: string[] | null }).tags ?? []).sort() : [];
  return all.filter((t) => referrerTagSubject(t) === undefined);
};
const ownDigest = async (tag: string): Promise<string | undefined> => {
  const response = await fetch(`${own.url}/v2/${REPO}/manifests/${tag}`, {
    method: 'HEAD',
    headers: { authorization: basic, accept: 'application/vnd.docker.distribution.manifest.v2+json, application/vnd.oci.image.manifest.v1+json' },
  });
  return response.headers.get('docker-content-digest') ?? undefined;
};

async function cleanUp(): Promise<void> {
  await removeContainers(labDocker('web2'), 't-playvars-');
  if (!own) return;
  for (const host of ['build1', 'web2'] as const) await removeImageReferences(labDocker(host), referenceIn(`${own.name}/${REPO}`));
}

beforeAll(async () => {
  own = await startOwnRegistry('t-playvars', { htpasswd: true });
  ref = `${own.name}/${REPO}:${TAG}`;
  work = await mkdtemp(join(tmpdir(), 'freshen-t-playvars-'));
  await cleanUp();
  // The registry of the play serves a first build (no provenance, so discover finds it stale); web2 runs it.
  const build1 = labDocker('build1');
  await buildBusyboxImage(build1, ref, { lines: ['LABEL org.t-playvars.build=seed'] });
  await pushImage(build1, ref, AUTH);
  await pullWithAuth(labDocker('web2'), ref);
  await (await labDocker('web2').createContainer({ name: CONTAINER, Image: ref, Cmd: CMD, HostConfig: { NetworkMode: 'none' } })).start();
  await mkdir(join(work, 'images', REPO), { recursive: true });
  await writeFile(join(work, 'images', REPO, 'Dockerfile'), 'FROM scratch\nCOPY marker /marker\n');
  await writeFile(join(work, 'images', REPO, 'marker'), 'built by freshen\n');
}, 120_000);

afterAll(async () => {
  await cleanUp();
  await own?.destroy();
  if (work) await rm(work, { recursive: true, force: true });
});

describe('play vars naming another registry and its credentials', () => {
  it('discover, rebuild, push and pull all use the play’s registry; the inventory’s never sees the repository', async () => {
    const seed = await ownDigest(TAG);
    expect(seed).toBeDefined();
    const vars = [
      '  vars:',
      `    registry: "${own.name}"`,
      `    registry_auth: { username: ${AUTH.username}, password: ${AUTH.password} }`,
      `    rollout_tag: ${TAG}`,
    ];
    const playbook = join(work, 'playbook.yml');
    await writeFile(
      playbook,
      [
        '- name: Build into the play registry',
        '  hosts: build1',
        ...vars,
        `  steps: [{ discover: { root: ${join(work, 'images')} } }, rebuild, push]`,
        '- name: Pull from it',
        '  hosts: web2',
        ...vars,
        '  steps: [pull]',
        '',
      ].join('\n'),
    );
    const json = join(work, 'report.json');
    const output = await runCli('run', playbook, '-i', LAB_INVENTORY, '--json', json, '--lock-wait', '5m');
    expect(output.code, output.stdout + output.stderr).toBe(0);

    const tags = await ownTags();
    expect(tags).toHaveLength(2);
    expect(tags).toContain(TAG);
    const pushed = await ownDigest(TAG);
    expect(pushed).not.toBe(seed);
    // web2 pulled the new build from the play's registry.
    const built = (await labDocker('build1').getImage(ref).inspect()).Id;
    expect((await labDocker('web2').getImage(ref).inspect()).Id).toBe(built);
    // The inventory's registry was never written to.
    expect((await fetch(`${REGISTRY_URL}/v2/${REPO}/tags/list`)).status).toBe(404);
    // No secret in what was printed.
    expect(output.stdout + output.stderr).not.toContain(AUTH.password);
  });
});
