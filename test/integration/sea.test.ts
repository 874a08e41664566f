// The single executable (`npm run build:sea`, dist-sea/freshen) as a user runs it: copied alone to a directory with no
// node_modules, with no Node.js on PATH and a home of its own, through a whole rollout against the lab over ssh:// (ssh2's
// pure JavaScript code, since the executable carries none of its native helpers).
import { copyFile, mkdir, rm } from 'node:fs/promises';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ensureSea, execResult, expectInstalledRollout, installedRollout, type InstalledRollout } from './installed.helpers.js';
import { tempDir, type CliResult } from './rollout.helpers.js';

let work: string;
let exe: string;
let fixture: InstalledRollout;

beforeAll(async () => {
  work = await tempDir('t-sea-');
  await mkdir(join(work, 'bin'));
  await mkdir(join(work, 'home'));
  exe = join(work, 'bin/freshen');
  await copyFile(await ensureSea(), exe);
  fixture = await installedRollout('sea');
}, 300_000);

afterAll(async () => {
  await fixture?.cleanup();
  await rm(work, { recursive: true, force: true });
});

function sea(args: string[]): Promise<CliResult> {
  // PATH names only the executable's own directory: no node, no npm, nothing else to lean on.
  return execResult(exe, args, { cwd: fixture.infra, env: { PATH: join(work, 'bin'), HOME: join(work, 'home'), FRESHEN_LOCK_DIR: join(work, 'locks') } });
}

describe('the single executable', () => {
  it('runs validate and a rollout with nothing beside it', async () => {
    await expectInstalledRollout(fixture, sea);
  }, 300_000);

  it('reports positioned load errors from its built-in schemas', async () => {
    const result = await sea(['validate', 'playbooks/rollout.yml', '-i', 'inventories/hosts.yml', '-e', 'registry_concurrency=0']);
    expect(result.code).toBe(5);
    expect(result.stderr).toContain('-e:1:22: error: "registry_concurrency" must be at least 1, not 0\n');
  });
});
