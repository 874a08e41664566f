// The container image of freshen (`npm run build:image`: FROM scratch, the single executable and its C libraries), run as
// the README says: `docker run` with the infra repo, ~/.ssh, ~/.docker/config.json and a cache volume mounted, on the host's
// network, through a whole rollout against the lab over ssh://. Built and run on build1's engine.
import { chmod, copyFile, mkdir, readdir, rm, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { labDocker, labSocket, REPO_ROOT, SSH } from '../support/lab.js';
import { ensureSea, execResult, expectInstalledRollout, installedRollout, PACKAGE_VERSION, type InstalledRollout } from './installed.helpers.js';
import { tempDir, type CliResult } from './rollout.helpers.js';

const ENGINE = `unix://${labSocket('build1')}`;
const IMAGE = 'freshen:t-image';
const CACHE_VOLUME = 't-image-cache';

let work: string;
let fixture: InstalledRollout;

const run = (file: string, args: string[]): Promise<CliResult> => execResult(file, args, { cwd: REPO_ROOT });

beforeAll(async () => {
  await ensureSea();
  const built = await run('bash', [join(REPO_ROOT, 'scripts/build-image.sh'), '-H', ENGINE, '-t', IMAGE]);
  expect(built.code, built.stderr).toBe(0);
  work = await tempDir('t-image-');
  // The user's ~/.ssh and ~/.docker as the container sees them.
  await mkdir(join(work, 'ssh'), { mode: 0o700 });
  await copyFile(SSH.identityFile, join(work, 'ssh/id_ed25519'));
  await chmod(join(work, 'ssh/id_ed25519'), 0o600);
  await copyFile(SSH.knownHosts, join(work, 'ssh/known_hosts'));
  await mkdir(join(work, 'docker'));
  await writeFile(join(work, 'docker/config.json'), '{ "auths": {} }\n');
  await labDocker('build1')
    .getVolume(CACHE_VOLUME)
    .remove({ force: true })
    .catch(() => undefined);
  fixture = await installedRollout('image', { identity: '~/.ssh/id_ed25519', knownHosts: '~/.ssh/known_hosts' });
}, 300_000);

afterAll(async () => {
  await fixture?.cleanup();
  await labDocker('build1')
    .getVolume(CACHE_VOLUME)
    .remove({ force: true })
    .catch(() => undefined);
  await labDocker('build1')
    .getImage(IMAGE)
    .remove({ force: true })
    .catch(() => undefined);
  if (work) await rm(work, { recursive: true, force: true });
});

/** `docker run` exactly as docs/install.md writes it, against build1's engine. */
const dockerRun = (args: string[]): Promise<CliResult> =>
  run('docker', [
    '-H',
    ENGINE,
    'run',
    '--rm',
    '--network',
    'host',
    '-v',
    `${fixture.infra}:/work`,
    '-v',
    `${join(work, 'ssh')}:/root/.ssh:ro`,
    '-v',
    `${join(work, 'docker/config.json')}:/root/.docker/config.json:ro`,
    '-v',
    `${CACHE_VOLUME}:/freshen`,
    IMAGE,
    ...args,
  ]);

describe('the container image', () => {
  it('is labelled with its version and starts with --help', async () => {
    const image = await labDocker('build1').getImage(IMAGE).inspect();
    expect(image.Config.Labels).toMatchObject({ 'org.opencontainers.image.version': PACKAGE_VERSION });
    expect(image.Config.Entrypoint).toEqual(['/usr/local/bin/freshen']);
    const help = await dockerRun([]);
    expect(help.stdout).toMatch(/^Usage: freshen \[options\] \[command\]/);
  });

  it('runs validate and a rollout over ssh:// with the infra repo, ~/.ssh, the Docker config and a cache volume mounted', async () => {
    await expectInstalledRollout(fixture, dockerRun);
    // The daily run's config-blob cache landed in the volume, so the next container starts warm.
    const volume = await labDocker('build1').getVolume(CACHE_VOLUME).inspect();
    expect(await readdir(join(volume.Mountpoint, 'cache'))).toContain('config-blobs');
  }, 300_000);
});
