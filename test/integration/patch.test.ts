// patch against the lab: the debootstrapped bookworm (`lab.sh debian`, real pending Debian updates, the loopback mirror) is
// the upstream, in the lab registry; its patches go to a registry of this file's own (so the upstream lives in another
// registry, and gc can sweep). A container on web2 runs the original under the rollout tag; one `freshen run` patches,
// pushes with the SBOM and rolls it out; then security_only, a failing upgrade, and the current engine. The patch cycles, gc,
// backup and restore are in patch-cycles.test.ts, which runs beside this file.
import { randomBytes } from 'node:crypto';
import { readFile, rm, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { findReferrers } from '../../src/adapters/referrers.js';
import { createRegistryClient } from '../../src/adapters/registry.js';
import { configBesidesLabels, LABEL_PATCH_UPSTREAM, readPatchChanges } from '../../src/images/patch.js';
import { SBOM_MEDIA_TYPE } from '../../src/images/sbom.js';
import type { RunReport } from '../../src/runner/report.js';
import type { FleetStatus } from '../../src/status/fleetStatus.js';
import { cycloneDxErrors } from '../support/cycloneDx.js';
import { CURRENT_ENGINE_SOCKET, REGISTRY, labDocker, labSocket, removeContainers, runLabScript, removeImageReferences } from '../support/lab.js';
import type { Host } from '../../src/model/inventory.js';
import Docker from 'dockerode';
import { startOwnRegistry, type OwnRegistry } from '../support/ownRegistry.js';
import { ownRegistryInventory } from '../support/ownRegistryGc.js';
import { docker, patchAndPush, rawConfig, removePatchImages, UPSTREAM } from './patch.helpers.js';
import { freshen, readReport, tempDir } from './rollout.helpers.js';

const NONCE = randomBytes(3).toString('hex');
const REPO = `t-patch-${NONCE}/debian`;
const APP = `t-patch-${NONCE}-app`;
let own: OwnRegistry;
let work: string;
let inventory: string;
let playbook: string;
const build1 = labDocker('build1');
const web2 = labDocker('web2');

const ownClient = () => createRegistryClient({ name: own.name, url: own.url });

beforeAll(async () => {
  const lab = await runLabScript(['debian']);
  expect(lab.code, lab.stderr).toBe(0);
  own = await startOwnRegistry('t-patch');
  work = await tempDir('t-patch-');
  // Before freshen manages it, the rollout tag names the original itself, and web2 runs it.
  await docker('build1', ['pull', '-q', UPSTREAM]);
  await docker('build1', ['tag', UPSTREAM, `${own.name}/${REPO}:prod`]);
  await docker('build1', ['push', '-q', `${own.name}/${REPO}:prod`]);
  await docker('web2', ['pull', '-q', `${own.name}/${REPO}:prod`]);
  await docker('web2', ['run', '-d', '--name', APP, '--network', 'none', `${own.name}/${REPO}:prod`, 'sleep', '3600']);
  const { reg } = ownRegistryInventory(own, 'stopped', []);
  inventory = join(work, 'inventory.yml');
  await writeFile(
    inventory,
    [
      'all:',
      '  vars:',
      `    registry: "${own.name}"`,
      '  children:',
      '    builders:',
      `      hosts: { build1: { docker: { host: "unix://${labSocket('build1')}" } } }`,
      '    web:',
      `      hosts: { web2: { docker: { host: "unix://${labSocket('web2')}" } } }`,
      '    registries:',
      `      hosts: { reg: ${JSON.stringify(reg.vars)} }`,
      '',
    ].join('\n'),
  );
  playbook = join(work, 'patch.yml');
  await writeFile(
    playbook,
    [
      '- name: Patch the upstream image',
      '  hosts: builders',
      '  steps:',
      `    - patch: { images: [{ from: "${UPSTREAM}", to: ${REPO} }] }`,
      '    - push',
      '- name: Roll it out',
      '  hosts: web',
      '  steps: [pull, stop, start]',
      '',
    ].join('\n'),
  );
}, 300_000);

afterAll(async () => {
  await removeContainers(web2, `t-patch-${NONCE}`);
  await removePatchImages([own?.name], `t-patch-${NONCE}`);
  await own?.destroy();
  await rm(work, { recursive: true, force: true });
});

const stepOf = (report: RunReport, host: string, step: string) => report.plays.flatMap((p) => p.hosts[host] ?? []).find((s) => s.step === step)!;

describe('patch', () => {
  it('check, apply (patch, push with its SBOM, roll out to web2), again: changed=0 and the probe finds nothing pending', async () => {
    const before = await ownClient().tags(REPO);
    const check = await freshen(['run', playbook, '-i', inventory, '--check', '--json', join(work, 'check.json')], join(work, 'locks'));
    expect(check.code, check.stderr + check.stdout).toBe(0);
    const checkReport = await readReport(join(work, 'check.json'));
    const planned = stepOf(checkReport, 'build1', 'patch');
    expect(planned.status).toBe('changed');
    expect(planned.actions[0]).toMatch(
      new RegExp(
        `^Patch ${own.name}/${REPO}:prod and .+ from ${UPSTREAM.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')} .+ because .*not made by patch; \\d+ packages? ha(s|ve) updates? \\(apt`,
      ),
    );
    expect(stepOf(checkReport, 'build1', 'push').actions[0]).toMatch(/ with its SBOM$/);
    expect(await ownClient().tags(REPO)).toEqual(before);

    const apply = await freshen(['run', playbook, '-i', inventory, '--json', join(work, 'apply.json')], join(work, 'locks'));
    expect(apply.code, apply.stderr + apply.stdout).toBe(0);
    const report = await readReport(join(work, 'apply.json'));
    const patched = stepOf(report, 'build1', 'patch');
    expect(patched.status, patched.reason).toBe('changed');
    expect(patched.actions[0]).toMatch(/^Patched .+ one layer of [\d.]+ [KM]i?B because /);
    expect(patched.notes.join('\n')).toMatch(/perl-base 5\.36\.0-7\+deb12u\d+ → 5\.36\.0-7\+deb12u\d+/);
    expect(stepOf(report, 'build1', 'push').actions.join('\n')).toMatch(
      /Attached its SBOM \(CycloneDX, \d+ packages\) as sha256:[0-9a-f]{12}…, found through the referrers tag/,
    );

    // web2 now runs the patch, still with the container's own command.
    const container = await web2.getContainer(APP).inspect();
    expect(container.State.Running).toBe(true);
    expect(container.Image).toBe(await rawConfigDigest(own.url, REPO, 'prod'));
    expect(container.Config.Cmd).toEqual(['sleep', '3600']);
    expect(await docker('web2', ['exec', APP, 'dpkg-query', '-W', '-f', '${Version}', 'perl-base'])).not.toBe(
      await docker('build1', ['run', '--rm', '--network', 'none', UPSTREAM, 'dpkg-query', '-W', '-f', '${Version}', 'perl-base']),
    );

    const again = await freshen(['run', playbook, '-i', inventory, '--json', join(work, 'again.json')], join(work, 'locks'));
    expect(again.code, again.stderr + again.stdout).toBe(0);
    const second = await readReport(join(work, 'again.json'));
    expect(stepOf(second, 'build1', 'patch').status).toBe('ok');
    expect(stepOf(second, 'build1', 'patch').notes[0]).toBe(`${REPO}: fresh`);
    expect(Object.values(second.recap).every((r) => r.changed === 0)).toBe(true);
  }, 600_000);

  it('keeps the original config byte for byte, adds one layer and the provenance labels', async () => {
    const original = await rawConfig(`http://${REGISTRY}`, 'upstream/debian', 'bookworm');
    const patched = await rawConfig(own.url, REPO, 'prod');
    expect(JSON.stringify(configBesidesLabels(patched.config))).toBe(JSON.stringify(configBesidesLabels(original.config)));
    const { config: _a, rootfs: rootA, history: historyA, created: _c, ...restA } = original.config as Record<string, { diff_ids?: string[] } | unknown[]>;
    const { config: _b, rootfs: rootB, history: historyB, created: _d, ...restB } = patched.config as Record<string, { diff_ids?: string[] } | unknown[]>;
    expect(JSON.stringify(restB)).toBe(JSON.stringify(restA));
    const diffA = (rootA as { diff_ids: string[] }).diff_ids;
    const diffB = (rootB as { diff_ids: string[] }).diff_ids;
    expect(diffB.slice(0, -1)).toEqual(diffA);
    expect(diffB).toHaveLength(diffA.length + 1);
    expect((historyB as unknown[]).slice(0, -1)).toEqual(historyA);
    const labels = (patched.config as { config: { Labels: Record<string, string> } }).config.Labels;
    expect(labels[LABEL_PATCH_UPSTREAM]).toBe(`sha256:${await sha256Hex(original.raw)}`);
    expect(labels['org.opencontainers.image.base.name']).toBe(UPSTREAM);
    expect(labels['org.opencontainers.image.base.digest']).toBe(original.digest);
  });

  it('attaches a valid CycloneDX SBOM, found through the referrers tag and printed by freshen sbom', async () => {
    const client = ownClient();
    const digest = (await client.manifestDigest(REPO, 'prod'))!;
    const found = await findReferrers(client, REPO, digest, SBOM_MEDIA_TYPE);
    expect(found.via).toBe('referrers tag');
    expect(found.referrers).toHaveLength(1);
    expect(await client.tags(REPO)).toEqual(expect.arrayContaining([digest.replace(':', '-'), `${digest.replace(':', '-')}.sbom`]));
    // Its one layer has a file name, so `oras pull` saves it.
    const artifact = (await client.manifest(REPO, found.referrers[0]!.digest))!.body as { layers: Array<{ annotations?: Record<string, string> }> };
    expect(artifact.layers[0]!.annotations).toEqual({ 'org.opencontainers.image.title': 'sbom.cdx.json' });
    const printed = await freshen(['sbom', `${own.name}/${REPO}:prod`], join(work, 'locks'));
    expect(printed.code, printed.stderr).toBe(0);
    const sbom = JSON.parse(printed.stdout) as {
      components: Array<{ name: string; version: string; purl: string; type: string }>;
      dependencies: Array<{ ref: string; dependsOn: string[] }>;
      metadata: { component: { version: string } };
    };
    expect(cycloneDxErrors(sbom)).toEqual([]);
    // The OS from the image's own os-release, every package depending on it.
    const osRelease = await docker('web2', ['exec', APP, 'sh', '-c', '. /etc/os-release; echo "$ID $VERSION_ID"']);
    expect(sbom.components[0]).toMatchObject({ type: 'operating-system', name: osRelease.split(' ')[0], version: osRelease.split(' ')[1] });
    expect(sbom.dependencies[1]!.dependsOn).toHaveLength(sbom.components.length - 1);
    const perl = sbom.components.find((c) => c.name === 'perl-base')!;
    expect(perl.version).toBe(await docker('web2', ['exec', APP, 'dpkg-query', '-W', '-f', '${Version}', 'perl-base']));
    expect(perl.purl).toMatch(/^pkg:deb\/debian\/perl-base@.+\?arch=amd64&distro=debian-12&upstream=perl$/);
    expect(sbom.metadata.component.version).toBe(await rawConfigDigest(own.url, REPO, 'prod'));
    // freshen status judges the patch like a build, links its SBOM, and finds web2 running it.
    const status = await freshen(['status', playbook, '-i', inventory, '--json', join(work, 'status.json')], join(work, 'locks'));
    expect(status.code, status.stderr).toBe(0);
    const fleet = JSON.parse(await readFile(join(work, 'status.json'), 'utf8')) as FleetStatus;
    const image = fleet.images.find((i) => i.repository === REPO)!;
    expect(image).toMatchObject({ stale: false, sbom: { command: `freshen sbom ${own.name}/${REPO}:prod` } });
    expect(image.sbom!.digest).toBe((await findReferrers(client, REPO, digest, SBOM_MEDIA_TYPE)).referrers[0]!.digest);
    expect(fleet.hosts.find((h) => h.host === 'web2')!.containers).toEqual([expect.objectContaining({ name: APP, behind: false })]);
    expect(status.stdout).toContain(`SBOM sha256:`);
    const none = await freshen(['sbom', `${REGISTRY}/upstream/debian:bookworm`], join(work, 'locks'));
    expect(none.code).toBe(2);
    expect(none.stderr).toMatch(/has no SBOM attached/);
  });

  it('security_only installs what the security suite offers (all of the lab’s pending updates), and nothing else', async () => {
    const repo = `t-patch-${NONCE}/debian-security`;
    const [patch, push] = await patchAndPush(own.name, work, { images: [{ from: UPSTREAM, to: repo }], security_only: true });
    expect(patch!.status, JSON.stringify(patch)).toBe('changed');
    expect(push!.status, JSON.stringify(push)).toBe('changed');
    // Every pending update of the lab's bookworm comes from bookworm-security, so the same packages move as without it.
    const all = (await rawConfig(own.url, REPO, 'prod')).config as { config: { Labels: Record<string, string> } };
    const secure = (await rawConfig(own.url, repo, 'prod')).config as { config: { Labels: Record<string, string> } };
    const changes = (c: typeof all) =>
      readPatchChanges(c.config.Labels['org.freshen.patch.changes'])!
        .changed.map((x) => `${x.name} ${x.to}`)
        .sort();
    expect(changes(secure).length).toBeGreaterThan(0);
    expect(changes(secure)).toEqual(changes(all));
    expect(patch!.actions[0]).toMatch(/^Patched /);
  }, 300_000);

  it('an upgrade that fails (no network for apt) fails the step with its output, and tags nothing', async () => {
    const repo = `t-patch-${NONCE}/debian-offline`;
    const [patch] = await patchAndPush(own.name, work, { images: [{ from: UPSTREAM, to: repo }], network: 'none', probe: false });
    expect(patch!.status).toBe('failed');
    expect(patch).toMatchObject({ code: 'patch-failed' });
    const reason = (patch as { reason: string }).reason;
    expect(reason).toMatch(
      new RegExp(`^Patching ${own.name}/${repo}:prod failed: the upgrade of ${UPSTREAM.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')} exited \\d+:\n`),
    );
    expect(reason).toMatch(/deb\.debian\.org|127\.0\.0\.1:5058|Temporary failure|Could not connect|Failed to fetch/);
    expect(await ownClient().tags(repo)).toEqual([]);
    expect((await build1.listImages()).some((i) => (i.RepoTags ?? []).some((t) => t.startsWith(`${own.name}/${repo}`)))).toBe(false);
  }, 120_000);

  it('patches on the current engine too (docker.io 28, API 1.44 and later): one layer, the config kept', async () => {
    const repo = `t-patch-${NONCE}/debian-current`;
    const host: Host = { name: 'current1', groups: ['all'], vars: { registry: own.name, docker: { host: `unix://${CURRENT_ENGINE_SOCKET}` } } };
    const [patch, push] = await patchAndPush(own.name, work, { images: [{ from: UPSTREAM, to: repo }] }, host);
    expect(patch!.status, JSON.stringify(patch)).toBe('changed');
    expect(push!.status, JSON.stringify(push)).toBe('changed');
    const current = new Docker({ socketPath: CURRENT_ENGINE_SOCKET });
    const upstreamLayers = (await current.getImage(UPSTREAM).inspect()).RootFS.Layers!;
    const patchedLayers = (await current.getImage(`${own.name}/${repo}:prod`).inspect()).RootFS.Layers!;
    expect(patchedLayers.slice(0, -1)).toEqual(upstreamLayers);
    expect(patchedLayers).toHaveLength(upstreamLayers.length + 1);
    const original = await rawConfig(`http://${REGISTRY}`, 'upstream/debian', 'bookworm');
    const patched = await rawConfig(own.url, repo, 'prod');
    expect(JSON.stringify(configBesidesLabels(patched.config))).toBe(JSON.stringify(configBesidesLabels(original.config)));
    await removeImageReferences(current, (name) => name.startsWith(`${own.name}/`));
  }, 300_000);
});

async function rawConfigDigest(url: string, repository: string, reference: string): Promise<string> {
  const accept = 'application/vnd.docker.distribution.manifest.v2+json, application/vnd.oci.image.manifest.v1+json';
  const manifest = (await (await fetch(`${url}/v2/${repository}/manifests/${reference}`, { headers: { accept } })).json()) as { config: { digest: string } };
  return manifest.config.digest;
}

async function sha256Hex(text: string): Promise<string> {
  const { createHash } = await import('node:crypto');
  return createHash('sha256').update(text).digest('hex');
}
