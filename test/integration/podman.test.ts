// A rollout on Podman's Docker-compatible API (4.3, Debian's, started by scripts/lab.sh): a container with ulimits, its own
// environment and a named volume is replaced by pull → stop → start and comes back as it was, on the new image; the next run
// has nothing to do. Podman shows a container differently from Docker (ulimits as RLIMIT_*, an unset stop timeout as 0, the
// HOSTNAME it sets in the env); before freshen read those as Docker's, every replacement here failed at create. The lab's
// Podman runs no healthchecks (they are systemd timers), so the image has none. Only t-podman-* containers and repositories.
import Docker from 'dockerode';
import { execFile } from 'node:child_process';
import { promisify } from 'node:util';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { PODMAN_SOCKET, REGISTRY } from '../support/lab.js';
import { deleteManifests, publish, pullOn } from './steps-rollout.helpers.js';
import { freshen, tempDir, writeOneHostInventory, writePlaybook } from './rollout.helpers.js';

const TAG = 't-podman';
const REPO = 't-podman/app';
const REF = `${REGISTRY}/${REPO}:${TAG}`;
const APP = 't-podman-app';
const VOLUME = 't-podman-data';
const POD = 't-podman-pod';
const PODDED = 't-podman-podded';
const podman = new Docker({ socketPath: PODMAN_SOCKET });
const pushed: string[] = [];
let dir: string;
let lockDir: string;
let inventory: string;
let playbook: string;

/** A busybox loop that writes its version into the volume: no healthcheck (the lab's Podman would never run it). */
const app = (version: number): string[] => [
  `ENV MODE=v${version}`,
  `CMD ["/bin/sh", "-c", "trap 'exit 0' TERM; echo $MODE > /data/version; while true; do sleep 1; done"]`,
];

/** Podman's own command, talking to the lab's service: a pod is made with it (the Docker-compatible API has no pods). */
const podmanCli = (...args: string[]) => promisify(execFile)('podman', ['--url', `unix://${PODMAN_SOCKET}`, ...args]);

async function removeApp(): Promise<void> {
  for (const name of [APP, `${APP}.freshen-old`, `${APP}.freshen-new`, PODDED, `${PODDED}.freshen-old`])
    await podman
      .getContainer(name)
      .remove({ force: true })
      .catch(() => undefined);
  await podman
    .getVolume(VOLUME)
    .remove()
    .catch(() => undefined);
  await podmanCli('pod', 'rm', '--force', '--ignore', POD).catch(() => undefined);
}

beforeAll(async () => {
  dir = await tempDir('t-podman-');
  lockDir = join(dir, 'locks');
  inventory = await writeOneHostInventory(dir, TAG, 'podman1', `unix://${PODMAN_SOCKET}`);
  playbook = await writePlaybook(
    dir,
    'rollout.yml',
    '- name: Roll out\n  hosts: podman1\n  steps: [pull, stop, { start: { healthy_timeout: 60s, settle: 1s } }]\n',
  );
  await removeApp();
  await publish(REF, app(1), pushed);
  await pullOn(podman, REF);
  const container = await podman.createContainer({
    name: APP,
    Image: REF,
    Env: ['GREETING=hello'],
    HostConfig: {
      NetworkMode: 'none',
      Binds: [`${VOLUME}:/data`],
      // Both given: Podman's default nproc is above what the lab machine allows a process.
      Ulimits: [
        { Name: 'nofile', Soft: 512, Hard: 1024 },
        { Name: 'nproc', Soft: 4096, Hard: 4096 },
      ],
      RestartPolicy: { Name: 'unless-stopped', MaximumRetryCount: 0 },
    },
  });
  await container.start();
  // A pod without an infra container: the lab has no catatonit for one, and the member is what matters here.
  await podmanCli('pod', 'create', '--name', POD, '--infra=false');
  await podmanCli('run', '-d', '--pod', POD, '--name', PODDED, '--network', 'none', '--ulimit', 'nofile=512:1024', '--ulimit', 'nproc=4096:4096', REF);
}, 300_000);

afterAll(async () => {
  await removeApp();
  await deleteManifests(REPO, pushed);
});

describe('a rollout on Podman', () => {
  it('replaces the container with its ulimits, environment, volume and restart policy, leaves a pod member alone saying why; the next run has nothing to do', async () => {
    const before = await podman.getContainer(APP).inspect();
    const podded = await podman.getContainer(PODDED).inspect();
    expect(before.HostConfig.Ulimits?.map((u) => u.Name)).toEqual(expect.arrayContaining(['RLIMIT_NOFILE']));
    const v2 = await publish(REF, app(2), pushed);

    const check = await freshen(['run', playbook, '-i', inventory, '--check'], lockDir);
    expect(check.code, check.stdout + check.stderr).toBe(0);
    expect(check.stdout).toContain(`Hand ${APP} (runs `);
    expect((await podman.getContainer(APP).inspect()).Id).toBe(before.Id);

    const run = await freshen(['run', playbook, '-i', inventory], lockDir);
    expect(run.code, run.stdout + run.stderr).toBe(0);
    // Podman's 0 is "not set": the stop waits Podman's (and Docker's) default, not no time at all.
    expect(run.stdout).toContain(`Handed ${APP} to start (stop timeout 10s)`);
    expect(run.stdout).toMatch(new RegExp(`Replaced ${APP} \\(${REF}: [0-9a-f]{12} → ${v2.slice(7, 19)}\\)`));

    const after = await podman.getContainer(APP).inspect();
    expect(after.Id).not.toBe(before.Id);
    expect(after.Image).toBe(v2);
    expect(after.State.Running).toBe(true);
    expect(after.HostConfig.Ulimits).toEqual(before.HostConfig.Ulimits);
    expect(after.HostConfig.RestartPolicy?.Name).toBe('unless-stopped');
    expect(after.Config.Env).toEqual(expect.arrayContaining(['GREETING=hello', 'MODE=v2']));
    expect(after.Config.Env).not.toContain(`HOSTNAME=${before.Config.Hostname}`);
    expect(after.Mounts.find((m) => m.Destination === '/data')?.Name).toBe(VOLUME);
    expect((await podman.listContainers({ all: true })).map((c) => c.Names[0]).filter((n) => n?.includes(APP))).toEqual([`/${APP}`]);
    // Podman's compat API cannot put a new container into a pod: the member is left as it was, and the run says why.
    expect(run.stdout).toContain(`${PODDED} is left alone: it is in the Podman pod ${POD}`);
    expect((await podman.getContainer(PODDED).inspect()).Id).toBe(podded.Id);

    const again = await freshen(['run', playbook, '-i', inventory], lockDir);
    expect(again.code, again.stdout + again.stderr).toBe(0);
    expect(again.stdout).toMatch(/podman1 +: ok=3 +changed=0/);
  }, 300_000);
});
