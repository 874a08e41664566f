// The npm package as a user gets it. A copy of the checkout's tracked files (a fresh clone, without dist/) is packed with
// `npm pack`, whose `prepare` builds; the tarball is checked for what it ships and what it must not; it is installed with
// --omit=dev into a prefix of its own; and the installed `freshen` runs from outside the checkout, on the Node.js that runs
// this file (CI runs the file once per supported Node.js line), through a whole rollout against the lab.
import { spawn } from 'node:child_process';
import { once } from 'node:events';
import { mkdir, rm, stat, symlink } from 'node:fs/promises';
import { delimiter, dirname, join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { REPO_ROOT } from '../support/lab.js';
import { execResult, expectInstalledRollout, installedRollout, PACKAGE_VERSION, type InstalledRollout } from './installed.helpers.js';
import { tempDir, type CliResult } from './rollout.helpers.js';

const NAME = 'freshen-cli';
// The tarball ships compiled code, schemas, docs and examples: about 0.4 MB. Twice that means something crept in.
const MAX_TARBALL_BYTES = 800_000;

/** The Node.js that runs this file comes first on PATH, so the installed command's `#!/usr/bin/env node` picks it. */
const PATH = [dirname(process.execPath), process.env.PATH].join(delimiter);

/**
 * npm offline: the dependencies come from npm's cache, which `npm ci` of the checkout filled, so packing and installing
 * send nothing past the loopback (without it, npm asked the public registry for every dependency's metadata).
 */
const NPM_OFFLINE = { npm_config_offline: 'true', npm_config_update_notifier: 'false' };

const run = (file: string, args: string[], cwd: string): Promise<CliResult> => execResult(file, args, { cwd, env: { ...process.env, ...NPM_OFFLINE, PATH } });

let work: string;
let clone: string;
let tarball: string;
let entries: string[];
let prefix: string;
let fixture: InstalledRollout;

beforeAll(async () => {
  work = await tempDir('t-package-');
  clone = join(work, 'clone');
  await mkdir(clone);
  // The tracked files only, as a clone has them; the checkout's node_modules stands in for the clone's `npm ci`.
  // (and files not yet committed that git does not ignore, so a developer's run packs what their commit would).
  const copy = await run('sh', ['-c', `git ls-files -z --cached --others --exclude-standard | xargs -0 cp --parents -t "${clone}"`], REPO_ROOT);
  expect(copy).toMatchObject({ code: 0 });
  await symlink(join(REPO_ROOT, 'node_modules'), join(clone, 'node_modules'));
  // Named per Node.js line (its own container, repository and tag), so a run on one line never meets a run on another.
  fixture = await installedRollout(`package-node${process.versions.node.split('.')[0]}`);
}, 300_000);

afterAll(async () => {
  await fixture?.cleanup();
  await rm(work, { recursive: true, force: true });
});

describe('the npm package', () => {
  it('a checkout that was never built says what to run, not a stack trace', async () => {
    const result = await run(process.execPath, [join(clone, 'bin/freshen.js'), '--version'], work);
    expect(result).toMatchObject({ code: 250, stdout: '' });
    expect(result.stderr).toBe('freshen: the compiled CLI (dist/) is missing. In this checkout, run: npm ci && npm run build\n');
  });

  it('npm pack builds it and ships the compiled CLI, schemas and examples, and no tests, sources, benchmarks or lab', async () => {
    const packed = await run('npm', ['pack', '--json', '--pack-destination', work], clone);
    expect(packed.code, packed.stderr).toBe(0);
    const [info] = JSON.parse(packed.stdout) as Array<{ filename: string; size: number; files: Array<{ path: string }> }>;
    tarball = join(work, info!.filename);
    expect(info!.filename).toBe(`${NAME}-${PACKAGE_VERSION}.tgz`);
    entries = info!.files.map((file) => file.path);
    const bytes = (await stat(tarball)).size;
    console.log(`${info!.filename}: ${bytes} bytes, ${entries.length} files`);
    expect(bytes).toBeLessThan(MAX_TARBALL_BYTES);
    for (const needed of [
      'bin/freshen.js',
      'dist/cli/main.js',
      'dist/load/schemaValidators.cjs',
      'schemas/playbook.schema.json',
      'npm-shrinkwrap.json',
      'LICENSE',
      'README.md',
    ]) {
      expect(entries).toContain(needed);
    }
    const unwanted = entries.filter((path) => /^(test|src|bench|scripts|lab|\.ci)\//.test(path) || path.endsWith('.map') || path.endsWith('.ts'));
    expect(unwanted).toEqual([]);
  }, 300_000);

  it('installs with --omit=dev and runs a rollout from outside the checkout', async () => {
    prefix = join(work, 'prefix');
    const installed = await run('npm', ['install', '--global', '--prefix', prefix, '--omit=dev', '--no-audit', '--no-fund', tarball], work);
    expect(installed.code, installed.stderr).toBe(0);
    const freshen = join(prefix, 'bin/freshen');
    // What the installed command runs on: the Node.js of this file, not the checkout's.
    const node = await run('sh', ['-c', 'head -1 "$(readlink -f "$1")"; command -v node', 'sh', freshen], work);
    expect(node.stdout).toBe(`#!/usr/bin/env node\n${process.execPath}\n`);
    await expectInstalledRollout(fixture, (args) => run(freshen, args, fixture.infra));
  }, 300_000);

  it('a reader that goes away early (`freshen --help | head -1`) ends nothing badly: exit 0, no EPIPE crash', async () => {
    // The read end is closed before the command starts writing, so every write it makes meets a closed pipe.
    const child = spawn(join(prefix, 'bin/freshen'), ['--help'], { env: { ...process.env, PATH }, stdio: ['ignore', 'pipe', 'pipe'] });
    child.stdout.destroy();
    let stderr = '';
    child.stderr.on('data', (chunk: Buffer) => void (stderr += chunk.toString()));
    const [code] = (await once(child, 'close')) as [number | null];
    expect(stderr).not.toMatch(/EPIPE|Unhandled/);
    expect(code).toBe(0);
  });
});
