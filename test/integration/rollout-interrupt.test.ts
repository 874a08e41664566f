// Interruption and recovery through the built CLI on web2 and web3: SIGINT or SIGTERM while start waits for a replacement's health
// rolls it back, starts nothing new, prints the recap and exits 130; after a SIGKILL at several points (during pull, once stop has
// parked the container, once start has created the replacement) the next run converges and counts what it rescued. The points are
// found by polling the engine (or the CLI's progress lines), never by sleeping a fixed time.
// Only t-staged-int-* containers under the rollout tag `t-staged-int` are managed here.
import { readdirSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { labDocker, REGISTRY } from '../support/lab.js';
import { cleanUp, deleteManifests, imageId, publish, pullOn, removeImages } from './steps-rollout.helpers.js';
import {
  containersNamed,
  createApp,
  freshen,
  healthyVersion,
  readMarker,
  readReport,
  startFreshen,
  tempDir,
  userSettings,
  waitFor,
  writeInventory,
  writePlaybook,
} from './rollout.helpers.js';

const TAG = 't-staged-int';
const REPO = 't-staged-int/app';
const REF = `${REGISTRY}/${REPO}:${TAG}`;
const APP = 't-staged-int-app';
const PARKED = `${APP}.freshen-old`;
const VOLUME = 't-staged-int-data';
const web2 = labDocker('web2');
const web3 = labDocker('web3');

const pushed: string[] = [];
let dir: string;
let lockDir: string;
let inventory: string;
let playbook: string;
let version = 1;
let initialSettings: Awaited<ReturnType<typeof userSettings>>;

/** Publishes the next version of the app (its health check passes `readyAfter` seconds after start); returns its image ID. */
const nextVersion = (readyAfter = 0): Promise<string> => publish(REF, healthyVersion(++version, readyAfter), pushed);

/** The app's containers on an engine: only `APP` should exist, once. */
const appContainers = (docker = web2) => containersNamed(docker, APP);

beforeAll(async () => {
  dir = await tempDir('t-staged-int-');
  lockDir = join(dir, 'locks');
  inventory = await writeInventory(dir, TAG);
  // web2 first, then web3: an interruption during web2 must leave web3 untouched.
  playbook = await writePlaybook(
    dir,
    'rollout.yml',
    ['- name: Roll out', '  hosts: web', '  serial: 1', '  steps: [pull, stop, { start: { healthy_timeout: 60s, settle: 1s } }]', ''].join('\n'),
  );
  await publish(REF, healthyVersion(1), pushed);
  for (const docker of [web2, web3]) {
    await cleanUp(docker, APP, [VOLUME]);
    await pullOn(docker, REF);
    await createApp(docker, APP, REF, VOLUME, 'kept');
  }
  initialSettings = await userSettings(web2, APP);
  expect(initialSettings).toEqual(await userSettings(web3, APP));
});

afterAll(async () => {
  for (const docker of [web2, web3]) {
    await cleanUp(docker, APP, [VOLUME]);
    await removeImages(docker, `${REGISTRY}/${REPO}`);
  }
  await deleteManifests(REPO, pushed);
});

describe('SIGINT and SIGTERM during a rollout', () => {
  let settings: Awaited<ReturnType<typeof userSettings>>;
  beforeEach(async () => {
    settings = await userSettings(web2, APP);
  });

  it.each(['SIGINT', 'SIGTERM'] as const)('%s while start waits for health: rolled back, nothing new starts, recap, exit 130', async (signal) => {
    const old2 = (await appContainers()).get(APP)!;
    const old3 = (await appContainers(web3)).get(APP)!;
    // Healthy only after 30 s: the run is sure to be waiting when the signal comes.
    const slow = await nextVersion(30);
    const json = join(dir, `${signal}.json`);
    const run = startFreshen(['run', playbook, '-i', inventory, '--json', json], lockDir);
    await waitFor('the replacement to be started', async () => {
      const now = await appContainers();
      return now.get(APP)?.image === slow && now.get(APP)?.running && now.has(PARKED) ? true : undefined;
    });
    run.child.kill(signal);
    const result = await run.done;
    expect(result.code, result.stdout + result.stderr).toBe(130);
    expect(result.stderr).toContain(`${signal}: starting nothing new`);
    expect(result.stdout).toMatch(/PLAY RECAP\nweb2 +: ok=0 +changed=2 +unreachable=0 +failed=1 .*rolled_back=1/);
    const report = await readReport(json);
    expect(report.interrupted).toBe(true);
    expect(report.plays[0]!.stopped).toBe('interrupted');
    expect(report.plays[0]!.hosts.web2!.at(-1)).toMatchObject({ step: 'start', status: 'failed', code: 'interrupted', rolled_back: 1 });
    expect(report.plays[0]!.hosts.web3).toBeUndefined();
    // The old container is back, once, with its data and settings; web3 was not touched, not even pulled.
    const now = await appContainers();
    expect([...now.keys()]).toEqual([APP]);
    expect(now.get(APP)).toMatchObject({ id: old2.id, running: true });
    expect(await readMarker(web2, APP)).toBe('kept');
    expect(await userSettings(web2, APP)).toEqual(settings);
    expect((await appContainers(web3)).get(APP)).toEqual(old3);
    expect(await imageId(web3, REF)).not.toBe(slow);
    expect(readdirSync(lockDir)).toEqual([]);
  });
});

describe('SIGKILL, then the next run converges', () => {
  /** Runs to the end and checks the convergence: one container per host, on `image`, settings and data kept, no leftovers. */
  async function converges(image: string, rescued: number, { again = false } = {}): Promise<void> {
    const json = join(dir, `converge-${version}.json`);
    const result = await freshen(['run', playbook, '-i', inventory, '--json', json], lockDir);
    expect(result.code, result.stdout + result.stderr).toBe(0);
    const report = await readReport(json);
    expect(report.recap.web2!.rescued).toBe(rescued);
    for (const docker of [web2, web3]) {
      const now = await appContainers(docker);
      expect([...now.keys()]).toEqual([APP]);
      expect(now.get(APP)).toMatchObject({ image, running: true });
      expect(await readMarker(docker, APP)).toBe('kept');
    }
    expect(await userSettings(web2, APP)).toEqual(initialSettings);
    expect(await userSettings(web3, APP)).toEqual(initialSettings);
    if (!again) return;
    // A second run right after has nothing to do.
    const second = await freshen(['run', playbook, '-i', inventory], lockDir);
    expect(second.code).toBe(0);
    expect(second.stdout).toMatch(/web2 +: ok=3 +changed=0/);
  }

  it('killed during pull', async () => {
    const image = await nextVersion();
    const run = startFreshen(['run', playbook, '-i', inventory, '-v'], lockDir);
    await waitFor('pull to start pulling', async () => (run.output().includes(`[web2] pull: pulling ${REF}`) ? true : undefined), 30_000, 5);
    run.child.kill('SIGKILL');
    await run.done;
    // The killed run's lock is left behind; the next run finds its holder dead and clears it.
    expect(readdirSync(lockDir).length).toBeGreaterThan(0);
    await converges(image, 0);
  });

  it('killed once stop has parked the container', async () => {
    const image = await nextVersion(3);
    const run = startFreshen(['run', playbook, '-i', inventory], lockDir);
    await waitFor('the container to be parked', async () => ((await appContainers()).has(PARKED) ? true : undefined), 30_000, 5);
    run.child.kill('SIGKILL');
    await run.done;
    expect((await appContainers()).has(PARKED)).toBe(true);
    await converges(image, 1);
  });

  it('killed once start has created the replacement, before the parked container is removed', async () => {
    const image = await nextVersion(3);
    const run = startFreshen(['run', playbook, '-i', inventory], lockDir);
    await waitFor(
      'the replacement to be created',
      async () => {
        const now = await appContainers();
        return now.get(APP)?.image === image && now.has(PARKED) ? true : undefined;
      },
      30_000,
      5,
    );
    run.child.kill('SIGKILL');
    await run.done;
    expect([...(await appContainers()).keys()].sort()).toEqual([APP, PARKED]);
    await converges(image, 1, { again: true });
    expect(readdirSync(lockDir)).toEqual([]);
  });
});
