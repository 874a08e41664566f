// Faults survived: the built CLI runs backup (lab registry → a registry of this test's own) and gc's dry run through proxies
// on loopback that break what passes: 503s and 429s (retried), garbage JSON and a flood (failed with a reason), an upload and
// a blob read cut in the middle (failed; the next run converges), a registry that hangs (Ctrl-C ends the run at once), an
// SSH session cut during a command. Every case: bounded time, the right exit code, the recap and the JSON report written, the
// source registry unchanged.
import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { RunReport } from '../../src/runner/report.js';
import { REGISTRY, REGISTRY_URL, SSH, buildBusyboxImage, labDocker, pushImage, untagRepositories } from '../support/lab.js';
import { PASS, startCuttingTcpProxy, startHttpProxy, type HttpProxy, type TcpProxy } from '../support/faultProxy.js';
import { startOwnRegistry, type OwnRegistry } from '../support/ownRegistry.js';
import { tagDigests } from './backup.helpers.js';
import { freshen, startFreshen, tempDir, waitFor, writePlaybook } from './rollout.helpers.js';

const REPOS = ['t-faults/one', 't-faults/two'];
const build1 = labDocker('build1');

let dir: string;
let lockDir: string;
let source: HttpProxy;
let mirrorProxy: HttpProxy;
let mirror: OwnRegistry;
let sshCut: TcpProxy;
let inventory: string;
let playbook: string;
let gcPlaybook: string;
let sourceTags: Record<string, string>;

/** A play mirroring the t-faults repositories from registry1's registry to `name`, reached at `address`. */
const mirrorPlay = (name: string, address: string): string =>
  [
    '- name: Mirror',
    '  hosts: registry1',
    '  steps:',
    `    - backup: { to: { registry: "${name}", url: "http://${address}" }, repositories: ["t-faults/*"] }`,
    '',
  ].join('\n');

const report = async (name: string): Promise<RunReport> => JSON.parse(await readFile(join(dir, name), 'utf8')) as RunReport;
const run = (json: string, file = playbook) => freshen(['run', file, '-i', inventory, '--json', join(dir, json)], lockDir);
const stepOf = (r: RunReport, host = 'registry1') => r.plays[0]!.hosts[host]![0]!;

beforeAll(async () => {
  dir = await tempDir('t-faults-');
  lockDir = join(dir, 'locks');
  for (const [i, repository] of REPOS.entries()) {
    const ref = `${REGISTRY}/${repository}:prod`;
    await buildBusyboxImage(build1, ref, { lines: [`RUN head -c 300000 /dev/urandom > /blob-${i}`] });
    await pushImage(build1, ref);
  }
  sourceTags = await tagDigests(REGISTRY_URL, REPOS);
  mirror = await startOwnRegistry('t-faults-mirror');
  [source, mirrorProxy] = await Promise.all([startHttpProxy(REGISTRY), startHttpProxy(mirror.name)]);
  sshCut = await startCuttingTcpProxy(SSH.port, 1_500);
  inventory = join(dir, 'inventory.yml');
  await writePlaybook(
    dir,
    'inventory.yml',
    [
      'all:',
      '  hosts:',
      '    registry1:',
      `      registry: "${REGISTRY}"`,
      `      registry_url: "http://${source.address}"`,
      '    registry-cut:',
      `      registry: "${REGISTRY}"`,
      `      ssh: { host: 127.0.0.1, port: ${sshCut.address.port}, user: root, identity_file: ${SSH.identityFile}, known_hosts: ${join(dir, 'known_hosts')} }`,
      '      registry_gc: { command: "docker-registry garbage-collect /nowhere.yml", dry_run_command: "sleep 10; echo never" }',
      '',
    ].join('\n'),
  );
  // The lab's known_hosts names port 2222; the proxy listens elsewhere, with the same host key behind it.
  const known = await readFile(SSH.knownHosts, 'utf8');
  await writePlaybook(dir, 'known_hosts', known.replace(`[127.0.0.1]:${SSH.port}`, `[127.0.0.1]:${sshCut.address.port}`));
  playbook = await writePlaybook(dir, 'mirror.yml', mirrorPlay(mirror.name, mirrorProxy.address));
  gcPlaybook = await writePlaybook(dir, 'gc.yml', ['- name: Tidy', '  hosts: registry-cut', '  steps:', '    - gc: { keep: 5, sweep: true }', ''].join('\n'));
}, 300_000);

afterAll(async () => {
  await Promise.all([source?.close(), mirrorProxy?.close(), sshCut?.close()]);
  await mirror?.destroy();
  await untagRepositories(REPOS);
});

describe('a registry that fails in the middle of a run', () => {
  it('503 and 429 with Retry-After on the first try of every read are retried: the mirror completes', async () => {
    const seen = new Set<string>();
    source.setFault((req) => {
      const key = `${req.method} ${req.url}`;
      if (seen.has(key)) return PASS;
      seen.add(key);
      return seen.size % 2 === 0 ? { kind: 'status', status: 503 } : { kind: 'status', status: 429, headers: { 'Retry-After': '0' } };
    });
    const r = await run('retried.json');
    expect(r.code, r.stdout + r.stderr).toBe(0);
    expect(stepOf(await report('retried.json')).status).toBe('changed');
    expect(await tagDigests(mirror.url, REPOS)).toEqual(sourceTags);
    // Every read was asked twice, and nothing but reads went to the source.
    const asked = source.requests.map((q) => `${q.method} ${q.path}`);
    for (const key of seen) expect(asked.filter((a) => a === key).length).toBeGreaterThanOrEqual(2);
    expect(source.requests.every((q) => q.method === 'GET' || q.method === 'HEAD')).toBe(true);
    source.setFault(() => PASS);
  });

  it('garbage instead of a tag list fails the step with what was wrong (exit 2), recap and report written', async () => {
    source.setFault((req) => (req.url?.includes('/tags/list') ? { kind: 'garbage' } : PASS));
    const r = await run('garbage.json');
    expect(r.code).toBe(2);
    expect(r.stdout).toMatch(/registry1 : ok=0 +changed=0 +unreachable=0 +failed=1/);
    const step = stepOf(await report('garbage.json'));
    expect(step.status).toBe('failed');
    expect(step.reason).toContain(`tags from registry ${REGISTRY} is not a JSON object`);
    source.setFault(() => PASS);
  });

  it('a flood instead of a manifest is cut off at 8 MiB (exit 2)', async () => {
    source.setFault((req) => (req.method === 'GET' && req.url?.includes('/manifests/') ? { kind: 'flood' } : PASS));
    const started = Date.now();
    const r = await run('flood.json');
    expect(r.code).toBe(2);
    expect(Date.now() - started).toBeLessThan(30_000);
    expect(stepOf(await report('flood.json')).reason).toMatch(/with too much: the answer is larger than 8\.0 MiB/);
    source.setFault(() => PASS);
  });
});

describe('transfers cut in the middle', () => {
  it('an upload cut mid-blob fails the mirror as connection-lost; the next run completes it and the one after changes nothing', async () => {
    await withEmptyMirror(async (mirrorProxy, file, target) => {
      let cut = false;
      mirrorProxy.setFault((req) => {
        const big = Number(req.headers['content-length']) > 200_000;
        if (cut || !big || (req.method !== 'PUT' && req.method !== 'PATCH') || !req.url?.includes('/blobs/uploads/')) return PASS;
        cut = true;
        return { kind: 'cut-upload', afterBytes: 100_000 };
      });
      const first = await run('cut-upload.json', file);
      expect(cut).toBe(true);
      expect(first.code).toBe(4);
      const cutStep = stepOf(await report('cut-upload.json'));
      expect(cutStep).toMatchObject({ status: 'unreachable', code: 'connection-lost' });
      expect(cutStep.reason).toMatch(/^registry 127\.0\.0\.1:\d+ dropped the connection during (PUT|PATCH) \/v2\/t-faults\/(one|two)\/blobs\/uploads\//);
      mirrorProxy.setFault(() => PASS);
      await convergesAfter(file, target);
    });
  });

  it('a blob read cut mid-body fails the mirror; the next run converges', async () => {
    await withEmptyMirror(async (_mirrorProxy, file, target) => {
      // Every blob read is cut after 50 kB: the layers (300 kB of random bytes each) cannot arrive whole.
      source.setFault((req) => (req.method === 'GET' && req.url?.includes('/blobs/sha256:') ? { kind: 'cut-answer', afterBytes: 50_000 } : PASS));
      const first = await run('cut-read.json', file);
      source.setFault(() => PASS);
      const step = stepOf(await report('cut-read.json'));
      // The drop is the source's, and is said so, though it surfaced while the copy was being uploaded to the mirror.
      expect(first.code).toBe(4);
      expect(step).toMatchObject({ status: 'unreachable', code: 'connection-lost' });
      expect(step.reason).toMatch(
        new RegExp(`^registry ${REGISTRY.replaceAll('.', '\\.')} dropped the connection during GET /v2/t-faults/(one|two)/blobs/sha256:`),
      );
      await convergesAfter(file, target);
    });
  });
});

/** A mirror registry of its own, empty, so every blob is uploaded; behind a proxy, with a playbook mirroring into it. */
async function withEmptyMirror(body: (proxy: HttpProxy, playbookFile: string, target: OwnRegistry) => Promise<void>): Promise<void> {
  const empty = await startOwnRegistry('t-faults-empty');
  const emptyProxy = await startHttpProxy(empty.name);
  try {
    await body(emptyProxy, await writePlaybook(dir, 'mirror-empty.yml', mirrorPlay(empty.name, emptyProxy.address)), empty);
  } finally {
    await emptyProxy.close();
    await empty.destroy();
  }
}

/** Without faults, the next run completes the mirror and the one after finds nothing to do. */
async function convergesAfter(file: string, target: OwnRegistry): Promise<void> {
  const second = await run('converge-2.json', file);
  expect(second.code, second.stdout + second.stderr).toBe(0);
  expect(await tagDigests(target.url, REPOS)).toEqual(sourceTags);
  const third = await run('converge-3.json', file);
  expect(third.code).toBe(0);
  expect(stepOf(await report('converge-3.json')).status).toBe('ok');
}

describe('Ctrl-C while the registry hangs', () => {
  it('ends the run at once with exit 130, the step interrupted, the report written', async () => {
    source.setFault(() => ({ kind: 'hang' }));
    const asked = source.requests.length;
    const cli = startFreshen(['run', playbook, '-i', inventory, '--json', join(dir, 'hang.json')], lockDir);
    await waitFor('a request to the hanging registry', async () => (source.requests.length > asked ? true : undefined));
    const interruptedAt = Date.now();
    cli.child.kill('SIGINT');
    const result = await cli.done;
    // At once, not at the registry's time-out: the registry never answers, so a run that waited would not end at all.
    expect(Date.now() - interruptedAt).toBeLessThan(20_000);
    expect(result.code).toBe(130);
    const r = await report('hang.json');
    expect(r.interrupted).toBe(true);
    expect(stepOf(r)).toMatchObject({ status: 'failed', code: 'interrupted' });
    source.setFault(() => PASS);
  });
});

describe('an SSH session cut during a command', () => {
  it("gc's dry run over a connection that drops fails as unreachable (exit 4), with the recap and report", async () => {
    const started = Date.now();
    const r = await run('ssh-cut.json', gcPlaybook);
    expect(Date.now() - started).toBeLessThan(30_000);
    expect(r.code, r.stdout + r.stderr).toBe(4);
    expect(sshCut.connections()).toBeGreaterThan(0);
    expect(r.stdout).toMatch(/registry-cut : ok=0 +changed=0 +unreachable=1 +failed=0/);
    const step = stepOf(await report('ssh-cut.json'), 'registry-cut');
    expect(step).toMatchObject({ status: 'unreachable', code: 'connection-lost' });
    expect(step.reason).toMatch(/^connection to root@127\.0\.0\.1:\d+ was lost while a command ran$/);
    expect(r.stdout + r.stderr).not.toMatch(/\n\s+at /);
  });
});

describe('the source registry', () => {
  it('is unchanged by all of the above', async () => {
    expect(await tagDigests(REGISTRY_URL, REPOS)).toEqual(sourceTags);
  });
});
