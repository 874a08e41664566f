// The run lock end to end, through the built CLI on web2: while one run rolls out, a second run against the same host fails at
// once naming the holder (exit 1), and one with --lock-wait waits and runs after it, never interleaving; check runs take no lock.
// Only t-staged-lock-* containers under the rollout tag `t-staged-lock` are managed here.
import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { labDocker, REGISTRY } from '../support/lab.js';
import { cleanUp, deleteManifests, publish, pullOn, removeImages } from './steps-rollout.helpers.js';
import {
  containersNamed,
  createApp,
  freshen,
  healthyVersion,
  readReport,
  startFreshen,
  tempDir,
  waitFor,
  writeInventory,
  writePlaybook,
} from './rollout.helpers.js';

const TAG = 't-staged-lock';
const REPO = 't-staged-lock/app';
const REF = `${REGISTRY}/${REPO}:${TAG}`;
const APP = 't-staged-lock-app';
const VOLUME = 't-staged-lock-data';
const web2 = labDocker('web2');

const pushed: string[] = [];
let dir: string;
let lockDir: string;
let inventory: string;
let playbook: string;

/** The lock files in this file's lock directory (none before the first run creates it). */
const lockFiles = (): string[] => (existsSync(lockDir) ? readdirSync(lockDir).filter((f) => f.endsWith('.lock')) : []);

/**
 * Two runs are two processes with two clocks, so no sequence number orders them. Each time is read once from the system clock
 * (no sum of rounded values); the tolerance covers the two processes' clocks drifting apart, while the lock makes the real gap
 * at least one poll of --lock-wait (up to 500 ms).
 */
const CROSS_PROCESS_TOLERANCE_MS = 5;

beforeAll(async () => {
  dir = await tempDir('t-staged-lock-');
  lockDir = join(dir, 'locks');
  inventory = await writeInventory(dir, TAG);
  playbook = await writePlaybook(
    dir,
    'rollout.yml',
    ['- name: Roll out', '  hosts: web2', '  steps: [pull, stop, { start: { healthy_timeout: 30s } }]', ''].join('\n'),
  );
  await publish(REF, healthyVersion(1), pushed);
  await cleanUp(web2, APP, [VOLUME]);
  await pullOn(web2, REF);
  await createApp(web2, APP, REF, VOLUME, 'kept');
});

afterAll(async () => {
  await cleanUp(web2, APP, [VOLUME]);
  await removeImages(web2, `${REGISTRY}/${REPO}`);
  await deleteManifests(REPO, pushed);
});

describe('two runs against the same host', () => {
  it('do not interleave: the second fails at once naming the holder, or waits with --lock-wait', async () => {
    // Healthy 8 s after start: the first run holds the lock for a while.
    const image = await publish(REF, healthyVersion(2, 8), pushed);
    const firstJson = join(dir, 'first.json');
    const first = startFreshen(['run', playbook, '-i', inventory, '--json', firstJson], lockDir);
    await waitFor('the first run to take its lock', async () => (lockFiles().length > 0 ? true : undefined));
    const holder = JSON.parse(readFileSync(join(lockDir, lockFiles()[0]!), 'utf8')) as { pid: number };
    expect(holder.pid).toBe(first.child.pid);

    const waitingJson = join(dir, 'waiting.json');
    const waiting = freshen(['run', playbook, '-i', inventory, '--lock-wait', '60s', '--json', waitingJson], lockDir);
    const refused = await freshen(['run', playbook, '-i', inventory], lockDir);
    expect(refused.code).toBe(1);
    // Refused at once: the first run is still going (and the lab is shared and busy, so no wall-clock bound).
    expect(first.child.exitCode).toBeNull();
    expect(refused.stderr).toMatch(new RegExp(`host web2 is locked by another run \\(pid ${first.child.pid} on .*: freshen run ${playbook}\\)`));
    expect(refused.stdout).not.toContain('PLAY RECAP');
    // A check run writes nothing, so it takes no lock and is not refused.
    expect((await freshen(['run', playbook, '-i', inventory, '--check'], lockDir)).code).toBe(0);

    const firstDone = await first.done;
    expect(firstDone.code, firstDone.stdout + firstDone.stderr).toBe(0);
    const second = await waiting;
    expect(second.code, second.stdout + second.stderr).toBe(0);
    const [a, b] = [await readReport(firstJson), await readReport(waitingJson)];
    // The waiting run started its first step only after the first run's last step ended, and found nothing left to do.
    expect(Date.parse(b.plays[0]!.hosts.web2![0]!.started_at)).toBeGreaterThanOrEqual(
      Date.parse(a.plays[0]!.hosts.web2!.at(-1)!.ended_at) - CROSS_PROCESS_TOLERANCE_MS,
    );
    expect(a.recap.web2).toMatchObject({ changed: 3 });
    expect(b.recap.web2).toMatchObject({ ok: 3, changed: 0 });
    expect((await containersNamed(web2, APP)).get(APP)).toMatchObject({ image, running: true });
    expect(readdirSync(lockDir)).toEqual([]);
  });

  it('clears a lock left by a SIGKILLed run', async () => {
    await publish(REF, healthyVersion(3, 4), pushed);
    const killed = startFreshen(['run', playbook, '-i', inventory], lockDir);
    await waitFor('the run to take its lock', async () => (lockFiles().length > 0 ? true : undefined));
    killed.child.kill('SIGKILL');
    await killed.done;
    expect(lockFiles()).toHaveLength(1);
    const next = await freshen(['run', playbook, '-i', inventory], lockDir);
    expect(next.code, next.stdout + next.stderr).toBe(0);
    expect(readdirSync(lockDir)).toEqual([]);
  });
});
