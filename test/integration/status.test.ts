// `freshen status` on the lab, through the built CLI, over the life of an upstream security update: after the demo every
// host runs the prod build and every image is fresh; after `publish-upstream` the base and the apps are stale, with
// reasons, and no host is behind yet; once the build play has pushed, every container is behind; after the rollout all are
// on the new build again. The JSON matches its schema, status changes nothing on the engines, and the HTML page renders
// in headless Chromium (in a network namespace of its own, so it cannot reach anything) to a screenshot that is not blank.
import { execFile } from 'node:child_process';
import { mkdtemp, readFile, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import Ajv2020 from 'ajv/dist/2020.js';
import { beforeAll, describe, expect, it } from 'vitest';
import { parse, stringify } from 'yaml';
import type { FleetStatus } from '../../src/status/fleetStatus.js';
import { LAB_CONTAINER_HOSTS, LAB_INVENTORY, REPO_ROOT, labDocker, runLabScript } from '../support/lab.js';
import { readPng } from '../support/png.js';
import { freePort } from '../support/ports.js';
import { freshen } from './rollout.helpers.js';

const IMAGES = ['lab/base', 'lab/web', 'lab/worker'].map((r) => `127.0.0.1:5055/${r}:prod`);
let dir: string;
const validate = new Ajv2020.default({ allErrors: true, strict: true, validateFormats: false }).compile(
  JSON.parse(await readFile(join(REPO_ROOT, 'schemas/status.schema.json'), 'utf8')),
);

async function status(name: string, extra: string[] = []): Promise<{ code: number; stdout: string; json: FleetStatus }> {
  const json = join(dir, `${name}.json`);
  const r = await freshen(['status', 'playbooks/demo.yml', '-i', LAB_INVENTORY, '--json', json, ...extra], join(dir, 'locks'));
  const parsed = JSON.parse(await readFile(json, 'utf8')) as FleetStatus;
  expect(validate(parsed), JSON.stringify(validate.errors)).toBe(true);
  return { code: r.code, stdout: r.stdout, json: parsed };
}

const demo = async (extra: string[] = []) => {
  const r = await freshen(['run', 'playbooks/demo.yml', '-i', LAB_INVENTORY, ...extra], join(dir, 'locks'));
  expect(r.code, r.stdout + r.stderr).toBe(0);
};

/** Every container of the lab hosts with its ID and start time: status must leave them exactly as they are. */
const containers = async () =>
  (
    await Promise.all(
      LAB_CONTAINER_HOSTS.map(async (host) =>
        Promise.all(
          (await labDocker(host).listContainers({ all: true })).map(
            async (c) => `${host} ${c.Names[0]} ${c.Id} ${(await labDocker(host).getContainer(c.Id).inspect()).State.StartedAt}`,
          ),
        ),
      ),
    )
  )
    .flat()
    .sort();

const running = (s: FleetStatus) => s.hosts.flatMap((h) => h.containers.map((c) => ({ host: h.host, ...c })));

beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), 't-status-'));
  // Converge first, whatever state earlier test files left the lab in.
  await demo();
}, 600_000);

describe('freshen status through an upstream security update', () => {
  it('after the demo: every image fresh, every container on its prod build; changes nothing', async () => {
    const before = await containers();
    const { code, stdout, json } = await status('converged');
    expect(code, stdout).toBe(0);
    expect(json.images.map((i) => [i.ref, i.stale])).toEqual(IMAGES.map((ref) => [ref, false]));
    for (const image of json.images) expect(image.prod?.build).toMatch(/^\d{8}-\d{4}/);
    const prodBuild = new Map(json.images.map((i) => [i.ref, i.prod!.build]));
    expect(running(json)).toHaveLength(6);
    for (const c of running(json)) expect(c, `${c.host} ${c.name}`).toMatchObject({ behind: false, build: prodBuild.get(c.ref) });
    expect(stdout).toMatch(/3 images, 0 stale; 3 hosts, 0 behind/);
    expect(await containers()).toEqual(before);
  });

  it('after publish-upstream: the base and the apps are stale with reasons; no host is behind yet', async () => {
    const published = await runLabScript(['publish-upstream']);
    expect(published.code, published.stderr).toBe(0);
    const { json, stdout } = await status('published');
    const byRef = new Map(json.images.map((i) => [i.ref, i]));
    expect(byRef.get(IMAGES[0]!)).toMatchObject({ stale: true, reasons: ['base-changed'] });
    for (const ref of IMAGES.slice(1)) expect(byRef.get(ref)?.stale, ref).toBe(true);
    expect(byRef.get(IMAGES[0]!)!.explanations.join(' ')).toContain('upstream/os:stable');
    expect(running(json).every((c) => !c.behind)).toBe(true);
    expect(stdout).toMatch(/127\.0\.0\.1:5055\/lab\/base:prod .* stale: base-changed/);
  });

  it('once the build play has pushed: every container is behind, on the build before', async () => {
    await demo(['--limit', 'builders']);
    const { json, stdout } = await status('pushed');
    expect(json.images.every((i) => !i.stale)).toBe(true);
    for (const c of running(json)) {
      expect(c.behind, `${c.host} ${c.name}`).toBe(true);
      expect(c.build).toBe(json.images.find((i) => i.ref === c.ref)!.builds[1]!.tag);
    }
    expect(stdout).toMatch(/3 hosts, 3 behind \(web1, web2, web3\)/);
  }, 300_000);

  it('after the rollout every container is on the new build; the HTML page renders the matrix in Chromium', async () => {
    await demo();
    const html = join(dir, 'status.html');
    const { json } = await status('rolled-out', ['--html', html]);
    expect(running(json).every((c) => !c.behind)).toBe(true);

    const page = await readFile(html, 'utf8');
    // Self-contained: no scripts, and nothing fetched from anywhere.
    expect(page).not.toMatch(/<script|<link|src=|url\(/i);
    const png = join(dir, 'status.png');
    const chromium = await promisify(execFile)(
      'unshare',
      [
        '--net',
        'chromium',
        '--headless=new',
        '--no-sandbox',
        '--disable-gpu',
        '--no-first-run',
        '--disable-background-networking',
        '--disable-component-update',
        '--hide-scrollbars',
        `--user-data-dir=${join(dir, 'chromium')}`,
        '--window-size=1280,720',
        `--screenshot=${png}`,
        `file://${html}`,
      ],
      { timeout: 60_000 },
    );
    expect(chromium.stderr + chromium.stdout).toContain('written to file');
    const pixels = readPng(await readFile(png));
    expect([pixels.width, pixels.height]).toEqual([1280, 720]);
    const colours = new Map<string, number>();
    for (let y = 0; y < pixels.height; y += 2)
      for (let x = 0; x < pixels.width; x += 2) colours.set(pixels.colour(x, y), (colours.get(pixels.colour(x, y)) ?? 0) + 1);
    // Text in many shades, and the matrix's green cells (#dff3e4: on the current build) over a sizeable area.
    expect(colours.size).toBeGreaterThan(50);
    expect(colours.get('#dff3e4') ?? 0).toBeGreaterThan(2000);
    const sampled = (pixels.width / 2) * (pixels.height / 2);
    expect((colours.get('#ffffff') ?? 0) / sampled).toBeLessThan(0.95);
  }, 300_000);
});

describe('freshen status when the registry and the builder cannot be asked', () => {
  it('lists every host with the reason, asks the container hosts anyway, and exits 4', async () => {
    // The lab inventory with the registry's API on a loopback port nobody listens on, and build1's socket gone.
    type Hosts = Record<string, { hosts: Record<string, { docker: { host: string } }> }>;
    const lab = parse(await readFile(LAB_INVENTORY, 'utf8')) as { all: { vars: Record<string, unknown>; children: Hosts } };
    lab.all.vars.registry_url = `http://127.0.0.1:${await freePort()}`;
    lab.all.children.builders!.hosts.build1!.docker.host = `unix://${join(dir, 'no-such-docker.sock')}`;
    const inventory = join(dir, 'outage.yml');
    await writeFile(inventory, stringify(lab));
    const json = join(dir, 'outage.json');
    const r = await freshen(['status', 'playbooks/demo.yml', '-i', inventory, '--json', json], join(dir, 'locks'));
    expect(r.code, r.stdout + r.stderr).toBe(4);
    const outage = JSON.parse(await readFile(json, 'utf8')) as FleetStatus;
    expect(validate(outage), JSON.stringify(validate.errors)).toBe(true);
    const byHost = Object.fromEntries(outage.hosts.map((h) => [h.host, h]));
    // discover asks the registry before the engine, so the registry's refusal is what it reports.
    const refused = 'registry 127\\.0\\.0\\.1:5055 could not be reached at http://127\\.0\\.0\\.1:\\d+: connection refused';
    expect(byHost.build1).toMatchObject({ state: 'unreachable', reason: expect.stringMatching(new RegExp(`^discover: ${refused}$`)) });
    // The container hosts' plays still ran after the builder's play failed, and say why they could not tell what is current.
    for (const host of LAB_CONTAINER_HOSTS)
      expect(byHost[host]).toMatchObject({ state: 'unreachable', reason: expect.stringMatching(new RegExp(`^pull: ${refused}`)) });
    expect(r.stdout).toMatch(/\d+ hosts, 0 behind, 4 unreachable or failing/);
  }, 120_000);
});
