// The Debian demo's moving parts against the lab and real Debian packages: `lab.sh debian` imports a bookworm that lacks
// its security updates and lists the lab's loopback Debian mirror (filled from Debian's by `lab.sh debian-fetch`, part of
// `lab.sh install`); an image of lab/debian/images/deb/base seeded without the network keeps them pending; discover's
// package probe reports them (`packages-outdated`); rebuild with `network: host` runs the upgrade; then nothing is pending.
// Every apt run here talks to 127.0.0.1:5058 only. See docs/debian-demo.md.
import { execFile } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { mkdir, mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { request } from 'node:http';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createRegistryClient } from '../../src/adapters/registry.js';
import { readNewestArtifact } from '../../src/adapters/referrers.js';
import { SBOM_MEDIA_TYPE } from '../../src/images/sbom.js';
import { cycloneDxErrors } from '../support/cycloneDx.js';
import { registrySettings } from '../../src/model/inventory.js';
import type { StepResult } from '../../src/model/results.js';
import { newRunState, type HostFacts } from '../../src/steps/facts.js';
import type { ManagedImage } from '../../src/images/managedImage.js';
import { rebuildFindingsIn } from '../../src/model/stepDetails.js';
import { notifyAfterRun } from '../../src/cli/notifyAfterRun.js';
import type { Inventory } from '../../src/model/inventory.js';
import type { Playbook } from '../../src/model/playbook.js';
import { stepRecord, type RunReport } from '../../src/runner/report.js';
import { serve } from '../support/loopbackHttp.js';
import type { FleetStatus } from '../../src/status/fleetStatus.js';
import { freshen } from './rollout.helpers.js';
import { runStep } from '../../src/runner/runStep.js';
import { discoverStep } from '../../src/steps/discover/discover.js';
import { pushStep } from '../../src/steps/push/push.js';
import { rebuildStep } from '../../src/steps/rebuild/rebuild.js';
import type { StepHandler } from '../../src/steps/types.js';
import { LAB_INVENTORY, REGISTRY, REPO_ROOT, labDocker, labSocket, runLabScript, referenceIn, removeImageReferences } from '../support/lab.js';
import { labHost, makeStepContext } from '../support/stepContext.js';

const UPSTREAM = `${REGISTRY}/upstream/debian:bookworm`;
const MIRROR = '127.0.0.1:5058';
const DEBIAN_CACHE = join(process.env.FRESHEN_LAB_CACHE ?? '/var/cache/freshen-lab', 'debian');
const BASE = `t-debian-${randomBytes(3).toString('hex')}/base`;
const BASE_REF = `${REGISTRY}/${BASE}:prod`;
const docker = labDocker('build1');
const registry = createRegistryClient(registrySettings({ registry: REGISTRY })!);
let root: string;
/** What apt would upgrade in the imported upstream, measured once. */
let upstreamPending: string[];

/** Runs `script` in a throwaway container of `image` on build1 with the host's network (the Debian mirror). */
function inContainer(image: string, script: string): Promise<string> {
  const args = ['-H', `unix://${labSocket('build1')}`, 'run', '--rm', '--network', 'host', '--pull', 'never', image, 'sh', '-c', script];
  return new Promise((resolve, reject) =>
    execFile('docker', args, { maxBuffer: 16 << 20 }, (error, stdout, stderr) => (error ? reject(new Error(`${error.message}\n${stderr}`)) : resolve(stdout))),
  );
}

/** The packages `apt-get -s upgrade` would install in `image`, after refreshing the index from the image's own sources. */
async function pendingUpgrades(image: string): Promise<string[]> {
  const out = await inContainer(image, 'apt-get -qq update >/dev/null 2>&1 || exit 3; apt-get -s upgrade');
  return out.split('\n').flatMap((line) => /^Inst (\S+)/.exec(line)?.[1] ?? []);
}

/** What a Slack-compatible receiver of the test's own got. */
const received: string[] = [];

/** Sends the run's notification as a play with `notify: [{ type: slack }]` would, to that receiver. */
async function notifyDemo(report: RunReport): Promise<Awaited<ReturnType<typeof notifyAfterRun>>> {
  const address = await serve((req, res) => {
    let body = '';
    req.on('data', (chunk: Buffer) => (body += chunk.toString('utf8')));
    req.on('end', () => {
      received.push(body);
      res.writeHead(200).end();
    });
  });
  const playbook: Playbook = {
    file: 'demo-debian.yml',
    dir: root,
    plays: [{ name: 'Build', hosts: 'builders', vars: {}, notify: [{ type: 'slack', url: `http://${address}/hook` }], steps: [] }],
  };
  return notifyAfterRun(playbook, { file: 'i.yml', hosts: new Map(), groups: new Map() } as unknown as Inventory, {}, report);
}

async function run(handler: StepHandler, options: Record<string, unknown>, facts: HostFacts): Promise<StepResult> {
  const { ctx, close } = makeStepContext({ host: labHost('build1'), check: false, playbookDir: root, facts, run: newRunState() });
  try {
    return await runStep(handler, ctx, options);
  } finally {
    await close();
  }
}

/** discover + rebuild + push over the temp tree, as a playbook's builders play runs them; with what discover found. */
async function rebuildAndPush(
  discover: Record<string, unknown>,
  rebuild: Record<string, unknown>,
): Promise<{ statuses: string[]; images: ManagedImage[]; rebuilt: StepResult; report: RunReport }> {
  const facts = {} as HostFacts;
  const results: StepResult[] = [];
  for (const [handler, options] of [
    [discoverStep, discover],
    [rebuildStep, rebuild],
    [pushStep, {}],
  ] as const) {
    results.push(await run(handler, options, facts));
  }
  // The run's report, as `freshen run` would write it for a play of these three steps.
  const moment = { seq: 1, ms: Date.now() };
  const kinds = ['discover', 'rebuild', 'push'] as const;
  const report: RunReport = {
    check: false,
    interrupted: false,
    recap: {},
    plays: [{ name: 'Build', hosts: { build1: results.map((r, i) => stepRecord(kinds[i]!, r, moment, moment)) } }],
  };
  return { statuses: results.map((r) => r.status), images: [...(facts.images ?? [])], rebuilt: results[1]!, report };
}

/** The loopback mirror's answer to one request. */
function mirrorStatus(path: string, method = 'HEAD'): Promise<number> {
  return new Promise((resolve, reject) => {
    const [host, port] = MIRROR.split(':');
    request({ host, port, path, method }, (response) => {
      response.resume();
      resolve(response.statusCode ?? 0);
    })
      .on('error', reject)
      .end();
  });
}

/** discover's package probe as the demo playbook sets it. */
const PROBE = { network: 'host', timeout: '5m' };

beforeAll(async () => {
  const started = Date.now();
  const lab = await runLabScript(['debian']);
  expect(lab.code, lab.stderr).toBe(0);
  console.log(`lab.sh debian took ${((Date.now() - started) / 1000).toFixed(1)}s:\n${lab.stderr.trim()}`);
  await docker
    .getImage(UPSTREAM)
    .inspect()
    .catch(async () => {
      await new Promise<void>((resolve, reject) =>
        execFile('docker', ['-H', `unix://${labSocket('build1')}`, 'pull', '-q', UPSTREAM], (error) => (error ? reject(error) : resolve())),
      );
    });
  root = await mkdtemp(join(tmpdir(), 't-debian-tree-'));
  await mkdir(join(root, BASE), { recursive: true });
  // The shipped Dockerfile, as is: the test proves the demo's own image tree.
  await writeFile(join(root, BASE, 'Dockerfile'), await readFile(join(REPO_ROOT, 'lab/debian/images/deb/base/Dockerfile'), 'utf8'));
}, 900_000);

afterAll(async () => {
  const digests = new Set<string>();
  for (const tag of await registry.tags(BASE).catch(() => [])) {
    const digest = await registry.manifestDigest(BASE, tag);
    if (digest) digests.add(digest);
  }
  for (const digest of digests) await registry.deleteManifest(BASE, digest).catch(() => undefined);
  await removeImageReferences(docker, referenceIn(`${REGISTRY}/${BASE}`));
  registry.close();
  if (root) await rm(root, { recursive: true, force: true });
});

describe('lab.sh debian', () => {
  it('imports a Debian bookworm that lists the security suite and has real upgrades pending from it', async () => {
    const osRelease = await inContainer(UPSTREAM, 'cat /etc/os-release; cat /etc/apt/sources.list.d/debian.sources');
    expect(osRelease).toMatch(/VERSION_CODENAME=bookworm/);
    expect(osRelease).toMatch(/Suites: bookworm-security/);
    expect(osRelease).toMatch(/Suites: bookworm bookworm-updates/);
    // The loopback mirror and nothing else: the tests' apt runs never leave the machine.
    expect(osRelease.match(/^URIs: .*$/gm)).toEqual([`URIs: http://${MIRROR}/debian`, `URIs: http://${MIRROR}/debian-security`]);
    upstreamPending = await pendingUpgrades(UPSTREAM);
    expect(upstreamPending).not.toEqual([]);
    // The rootfs is cached: a re-import needs no debootstrap.
    await expect(readFile(join(DEBIAN_CACHE, 'bookworm-minbase.tar')).then((b) => b.length)).resolves.toBeGreaterThan(10 << 20);
  });

  it('serves only what it keeps: a missing package or a path outside the archives is 404, never fetched', async () => {
    expect(await mirrorStatus('/debian/dists/bookworm/InRelease')).toBe(200);
    expect(await mirrorStatus('/debian/pool/main/n/no-such-package/no-such-package_1.0_amd64.deb')).toBe(404);
    expect(await mirrorStatus('/debian/../../etc/passwd')).toBe(404);
    expect(await mirrorStatus('/constructor/x')).toBe(404);
    expect(await mirrorStatus('/debian/dists/bookworm/InRelease', 'DELETE')).toBe(405);
  });

  it('names the missing fetch, and an expired index, instead of letting apt fail later', async () => {
    const cache = await mkdtemp(join(tmpdir(), 't-debian-cache-'));
    try {
      const missing = await runLabScript(['debian'], { FRESHEN_LAB_CACHE: cache });
      expect(missing.code).toBe(1);
      expect(missing.stderr).toContain('lacks debian/dists/bookworm; run scripts/lab.sh debian-fetch');
      for (const suite of ['debian/dists/bookworm', 'debian/dists/bookworm-updates', 'debian-security/dists/bookworm-security']) {
        await mkdir(join(cache, 'debian/mirror', suite), { recursive: true });
        await writeFile(join(cache, 'debian/mirror', suite, 'InRelease'), 'Origin: Debian\nValid-Until: Sat, 01 Jun 2024 00:00:00 UTC\n');
      }
      const expired = await runLabScript(['debian'], { FRESHEN_LAB_CACHE: cache });
      expect(expired.code).toBe(1);
      expect(expired.stderr).toContain('indexes expired on Sat, 01 Jun 2024 00:00:00 UTC');
    } finally {
      await rm(cache, { recursive: true, force: true });
    }
  });

  it('does nothing the second time', async () => {
    const again = await runLabScript(['debian']);
    expect(again.code, again.stderr).toBe(0);
    expect(again.stderr).toContain(`${UPSTREAM} is in the registry already`);
    expect(again.stdout.trim()).toBe(UPSTREAM);
  });

  it('refuses an unknown option', async () => {
    const wrong = await runLabScript(['debian', '--forse']);
    expect(wrong.code).toBe(2);
    expect(wrong.stderr).toContain('debian [--force]');
  });
});

describe('deb/base: pending upgrades found by the probe, then rebuilt away', () => {
  it('seeded without the network, the prod image carries the upstream pending upgrades', async () => {
    const { statuses } = await rebuildAndPush({ root: '.', include_unpublished: true }, { network: 'none' });
    expect(statuses).toEqual(['ok', 'changed', 'changed']);
    expect(await pendingUpgrades(BASE_REF)).toEqual(upstreamPending);
  }, 180_000);

  it('discover probes it: packages-outdated with the real count; rebuild with network host and push replace it', async () => {
    const { statuses, images, rebuilt, report } = await rebuildAndPush({ root: '.', probe: PROBE }, { network: 'host', timeout: '10m' });
    expect(statuses).toEqual(['ok', 'changed', 'changed']);
    const [base] = images;
    expect(base?.reasons).toEqual(['packages-outdated']);
    expect(base?.packages).toMatchObject({ ok: true, manager: 'apt', os: 'Debian GNU/Linux 12 (bookworm)' });
    const outdated = base?.packages?.ok ? base.packages.outdated : [];
    expect(outdated.map((p) => p.name).sort()).toEqual([...upstreamPending].sort());
    // What changed inside, against the build it replaced (whose package list the seeding build recorded in its label):
    // exactly the upgrades the probe found, each to the version apt offered; nothing added or removed.
    const changes = rebuildFindingsIn(rebuilt.details).changes?.[BASE_REF];
    expect(changes?.changed.map((c) => `${c.name} ${c.from} → ${c.to}`).sort()).toEqual(
      outdated.map((p) => `${p.name} ${p.installed} → ${p.available}`).sort(),
    );
    expect(changes).toMatchObject({ added: [], removed: [] });
    const note = rebuilt.notes.find((n) => n.startsWith(`Packages of ${BASE_REF}`))!;
    expect(note).toContain(`${outdated.length} changed`);
    console.log(`what changed in the rebuild of ${BASE_REF}:\n${note}`);
    // The demo's notification, to a receiver of the test's own: it lists the real upgrades.
    const sent = await notifyDemo(report);
    expect(sent).toEqual([{ target: 'slack #1', status: 'sent' }]);
    const text = (JSON.parse(received[0]!) as { text: string }).text;
    expect(text).toContain(`Rebuilt ${BASE_REF} (packages-outdated)`);
    for (const p of outdated) expect(text).toContain(`${p.name} ${p.installed} → ${p.available}`);

    // freshen status reads the same changes from the two builds' labels in the registry, without pulling either.
    const playbook = join(root, 'status.yml');
    await writeFile(playbook, '- name: Build\n  hosts: builders\n  steps: [{ discover: { root: . } }]\n');
    const statusJson = `${root}-status.json`;
    const status = await freshen(['status', playbook, '-i', LAB_INVENTORY, '--json', statusJson], `${root}-locks`);
    expect(status.code, status.stdout + status.stderr).toBe(0);
    const image = (JSON.parse(await readFile(statusJson, 'utf8')) as FleetStatus).images.find((i) => i.ref === BASE_REF);
    expect(image?.changes?.against).toBe(image?.builds[1]?.tag);
    expect([...(image?.changes?.lines ?? [])].sort()).toEqual(outdated.map((p) => `${p.name} ${p.installed} → ${p.available}`).sort());
    expect(status.stdout).toContain(`changed against ${image?.builds[1]?.tag}:`);
    const served = await registry.imageConfig(BASE, 'prod');
    expect(served?.configDigest).toBe((await docker.getImage(BASE_REF).inspect()).Id);

    // The rebuild's SBOM, attached by push: valid CycloneDX, listing each upgraded package at the version apt installed.
    const sbom = await readNewestArtifact(registry, BASE, served!.manifestDigest, SBOM_MEDIA_TYPE, 64 << 20);
    const doc = JSON.parse(sbom!.content.toString('utf8')) as {
      components: Array<{ name: string; version: string }>;
      metadata: { component: { version: string } };
    };
    expect(cycloneDxErrors(doc)).toEqual([]);
    expect(doc.metadata.component.version).toBe(served!.configDigest);
    for (const p of outdated) expect(doc.components).toContainEqual(expect.objectContaining({ name: p.name, version: p.available }));
    expect(image?.sbom?.digest).toBe(sbom!.digest);
  }, 180_000);

  it('afterwards the probe finds nothing pending, and neither does apt in the new prod image', async () => {
    const { statuses, images, report } = await rebuildAndPush({ root: '.', probe: PROBE }, { network: 'host', timeout: '10m' });
    // Nothing was built, so push has nothing to do on this host, and the notification has nothing to say.
    expect(statuses).toEqual(['ok', 'ok', 'skipped']);
    expect(await notifyDemo(report)).toEqual([{ target: 'slack #1', status: 'skipped', reason: 'nothing new' }]);
    expect(received).toHaveLength(1);
    expect(images[0]).toMatchObject({ stale: false, reasons: [], packages: { ok: true, outdated: [] } });
    expect(await pendingUpgrades(BASE_REF)).toEqual([]);
  }, 180_000);
});
