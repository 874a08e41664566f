import { execFile } from 'node:child_process';
import { mkdtempSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import Ajv2020 from 'ajv/dist/2020.js';
import type Docker from 'dockerode';
import { beforeAll, describe, expect, it } from 'vitest';
import { createRegistryClient } from '../../src/adapters/registry.js';
import type { RunReport } from '../../src/runner/report.js';
import { LAB_CONTAINER_HOSTS, LAB_DIR, LAB_INVENTORY, REGISTRY, REPO_ROOT, labContainers, labDocker, runLabScript, type LabHost } from './../support/lab.js';

// The demo end to end, through the built CLI: an upstream security update travels to every container, the registry is
// tidied, and a second run has nothing to do.
const FRESHEN = join(REPO_ROOT, 'bin/freshen.js');
const DATESTAMP = /^\d{8}-\d{4,6}(-\d+)?$/;
const registry = createRegistryClient({ name: REGISTRY, url: `http://${REGISTRY}` });

function freshen(args: string[]): Promise<{ code: number; stdout: string; stderr: string }> {
  return new Promise((resolve) => {
    execFile('node', [FRESHEN, ...args], { cwd: REPO_ROOT, maxBuffer: 16 << 20 }, (error, stdout, stderr) => {
      resolve({ code: error === null ? 0 : typeof error.code === 'number' ? error.code : 1, stdout, stderr });
    });
  });
}

async function runDemo(): Promise<{ code: number; report: RunReport; output: string }> {
  const json = join(mkdtempSync(join(tmpdir(), 'freshen-demo-')), 'report.json');
  const result = await freshen(['run', 'playbooks/demo.yml', '-i', LAB_INVENTORY, '--json', json]);
  return { code: result.code, report: JSON.parse(readFileSync(json, 'utf8')) as RunReport, output: result.stdout + result.stderr };
}

/** What a user set on a container, which a replacement must keep. */
async function userSettings(docker: Docker, name: string) {
  const c = await docker.getContainer(name).inspect();
  return {
    env: c.Config.Env.filter((e) => !e.startsWith('PATH=')),
    cmd: c.Config.Cmd,
    labels: Object.fromEntries(Object.entries(c.Config.Labels ?? {}).filter(([k]) => !k.startsWith('org.'))),
    restart: c.HostConfig.RestartPolicy,
    network: c.HostConfig.NetworkMode,
    mounts: c.Mounts.map((m) => `${m.Type}:${m.Name ?? m.Source}:${m.Destination}:${m.RW}`).sort(),
  };
}

async function exec(docker: Docker, container: string, cmd: string[]): Promise<string> {
  const e = await docker.getContainer(container).exec({ Cmd: cmd, AttachStdout: true, AttachStderr: true });
  const stream = await e.start({});
  const chunks: Buffer[] = [];
  await new Promise<void>((resolve) => {
    stream.on('data', (c: Buffer) => chunks.push(c));
    stream.on('end', () => resolve());
  });
  return Buffer.concat(chunks).toString('utf8');
}

async function du(path: string): Promise<number> {
  const out = await new Promise<string>((resolve, reject) => execFile('du', ['-sb', path], (error, stdout) => (error ? reject(error) : resolve(stdout))));
  return Number(out.split(/\s+/)[0]);
}

const UNITS: Record<string, number> = { B: 1, KiB: 1024, MiB: 1024 ** 2, GiB: 1024 ** 3 };
const bytes = (text: string): number => {
  const [value, unit] = text.split(' ');
  return Number(value) * UNITS[unit!]!;
};

describe('npm run demo, end to end', () => {
  const before = new Map<string, Awaited<ReturnType<typeof userSettings>>>();
  let first: Awaited<ReturnType<typeof runDemo>>;
  let registryBytesBeforeRun: number;

  beforeAll(async () => {
    // Converge first, whatever state earlier runs left the lab in.
    await runDemo();
    for (const host of LAB_CONTAINER_HOSTS) {
      for (const def of labContainers(host)) before.set(`${host}/${def.name}`, await userSettings(labDocker(host), def.name));
      await exec(labDocker(host), 'web', ['sh', '-c', `echo kept-on-${host} > /data/marker`]);
    }
    const published = await runLabScript(['publish-upstream']);
    expect(published.code, published.stderr).toBe(0);
    registryBytesBeforeRun = await du(join(LAB_DIR, 'registry/data'));
    first = await runDemo();
  }, 900_000);

  it('rebuilds, rolls out and tidies: changes on the build, container and registry hosts', () => {
    expect(first.code, first.output).toBe(0);
    const { recap } = first.report;
    for (const host of ['build1', 'web1', 'web2', 'web3', 'registry1']) {
      expect(recap[host], host).toMatchObject({ failed: 0, unreachable: 0 });
      expect(recap[host]!.changed, host).toBeGreaterThan(0);
    }
    const build = first.report.plays[0]!.hosts.build1!;
    const built = build.find((s) => s.step === 'rebuild')!.actions.join('\n');
    // The base is built before the apps built on it.
    expect(built.indexOf('lab/base')).toBeGreaterThanOrEqual(0);
    expect(built.indexOf('lab/base')).toBeLessThan(built.indexOf('lab/web'));
    expect(built.indexOf('lab/base')).toBeLessThan(built.indexOf('lab/worker'));
  });

  it('writes a JSON report that matches its schema', () => {
    // `format` is an annotation here; the same constraint is enforced by `pattern`, which ajv checks without a formats plugin.
    const schema = JSON.parse(readFileSync(join(REPO_ROOT, 'schemas/report.schema.json'), 'utf8'));
    const validate = new Ajv2020.default({ allErrors: true, strict: true, validateFormats: false }).compile(schema);
    expect(validate(first.report), JSON.stringify(validate.errors)).toBe(true);
  });

  it.each(LAB_CONTAINER_HOSTS.map((h) => [h]))('on %s every container runs the new image with its settings and data', async (host: LabHost) => {
    const docker = labDocker(host);
    for (const def of labContainers(host)) {
      const repository = def.image.slice(REGISTRY.length + 1).replace(/:prod$/, '');
      const prod = await registry.imageConfig(repository, 'prod');
      const container = await docker.getContainer(def.name).inspect();
      expect(container.Image, `${host}/${def.name}`).toBe(prod!.configDigest);
      expect(container.State.Running).toBe(true);
      expect(await userSettings(docker, def.name)).toEqual(before.get(`${host}/${def.name}`));
    }
    expect(await exec(docker, 'web', ['cat', '/data/marker'])).toContain(`kept-on-${host}`);
    const names = (await docker.listContainers({ all: true })).flatMap((c) => c.Names);
    expect(names.filter((n) => n.includes('freshen-old'))).toEqual([]);
  });

  it('keeps two datestamp tags per repository and frees registry disk', async () => {
    for (const repository of ['lab/base', 'lab/web', 'lab/worker']) {
      const tags = await registry.tags(repository);
      expect(tags).toContain('prod');
      expect(tags.filter((t) => DATESTAMP.test(t)).length, repository).toBeLessThanOrEqual(2);
    }
    const gc = first.report.plays.at(-1)!.hosts.registry1!.find((s) => s.step === 'gc')!;
    expect(gc.status).toBe('changed');
    // "Freed 476.2 KiB on registry1 (5.3 MiB → 4.8 MiB)": the registry's disk shrank, as measured on the registry host.
    const freed = /Freed ([\d.]+ \w+) on registry1 \(([\d.]+ \w+) → ([\d.]+ \w+)\)/.exec(gc.actions.join('\n'));
    expect(freed, gc.actions.join('\n')).not.toBeNull();
    expect(bytes(freed![1]!)).toBeGreaterThan(0);
    expect(bytes(freed![2]!)).toBeGreaterThan(registryBytesBeforeRun * 0.9);
    // The report agrees with the disk (sizes are printed to one decimal).
    const now = await du(join(LAB_DIR, 'registry/data'));
    const afterGc = bytes(freed![3]!);
    expect(Math.abs(now - afterGc)).toBeLessThanOrEqual(0.06 * UNITS[freed![3]!.split(' ')[1]!]!);
  });

  it('a second run right after reports changed=0', async () => {
    const second = await runDemo();
    expect(second.code, second.output).toBe(0);
    for (const [host, recap] of Object.entries(second.report.recap)) expect(recap.changed, host).toBe(0);
  });
});
