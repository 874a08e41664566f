// What the installed forms of freshen (the npm package, the single executable, the container image) are each tested with:
// an infra repo outside the checkout and a real rollout on web1, reached over ssh:// as a user's remote host is. Each form
// has its own repository, rollout tag and container, so the forms' files never manage each other's containers.
import { execFile } from 'node:child_process';
import { mkdir, readFile, rm, stat, writeFile } from 'node:fs/promises';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { expect } from 'vitest';
import { labDocker, LAB_DIR, REGISTRY, REPO_ROOT, SSH, web1SshSocket } from '../support/lab.js';
import { APP_CMD, cleanUp, containerState, deleteManifests, publish, pullOn, removeImages, V1, V2 } from './steps-rollout.helpers.js';
import { tempDir, type CliResult } from './rollout.helpers.js';

/** The version the installed command must report: package.json's. */
export const PACKAGE_VERSION = (JSON.parse(readFileSync(join(REPO_ROOT, 'package.json'), 'utf8')) as { version: string }).version;

/** One form's fixture: `infra` holds inventory.yml and rollout.yml; web1 runs `app` on v1 and the registry has v2. */
export interface InstalledRollout {
  infra: string;
  app: string;
  v1: string;
  v2: string;
  cleanup(): Promise<void>;
}

/**
 * Publishes v1 and v2 of `t-FORM/app` under the rollout tag `t-FORM`, runs v1 on web1, and writes the infra repo.
 * `sshFiles` are the key and known_hosts paths as the inventory names them (the image test names them under ~/.ssh).
 */
export async function installedRollout(form: string, sshFiles = { identity: SSH.identityFile, knownHosts: SSH.knownHosts }): Promise<InstalledRollout> {
  const tag = `t-${form}`;
  const repo = `t-${form}/app`;
  const ref = `${REGISTRY}/${repo}:${tag}`;
  const app = `t-${form}-app`;
  const web1 = labDocker('web1');
  const pushed: string[] = [];
  await cleanUp(web1, app, []);
  const v1 = await publish(ref, V1, pushed);
  await pullOn(web1, ref);
  const container = await web1.createContainer({
    name: app,
    Image: ref,
    Cmd: APP_CMD,
    HostConfig: { NetworkMode: 'none', RestartPolicy: { Name: 'unless-stopped', MaximumRetryCount: 0 } },
  });
  await container.start();
  const v2 = await publish(ref, V2, pushed);

  const infra = await tempDir(`t-${form}-infra-`);
  await mkdir(join(infra, 'inventories'));
  await mkdir(join(infra, 'playbooks'));
  await writeFile(
    join(infra, 'inventories/hosts.yml'),
    [
      'all:',
      '  vars:',
      `    registry: "${REGISTRY}"`,
      `    rollout_tag: ${tag}`,
      '  hosts:',
      '    web1:',
      '      docker:',
      `        host: "ssh://${SSH.user}@${SSH.host}:${SSH.port}"`,
      `        socket: ${web1SshSocket()}`,
      `        identity_file: ${sshFiles.identity}`,
      `        known_hosts: ${sshFiles.knownHosts}`,
      '',
    ].join('\n'),
  );
  await writeFile(
    join(infra, 'playbooks/rollout.yml'),
    ['- name: Roll out', '  hosts: all', '  steps: [pull, stop, { start: { healthy_timeout: 30s, settle: 1s } }]', ''].join('\n'),
  );
  const cleanup = async (): Promise<void> => {
    await cleanUp(web1, app, []);
    await removeImages(web1, `${REGISTRY}/${repo}`);
    await removeImages(labDocker('build1'), `${REGISTRY}/${repo}`);
    await deleteManifests(repo, pushed);
  };
  return { infra, app, v1, v2, cleanup };
}

/** The paths a form's command is given, relative to the infra repo it runs in. */
export const INFRA_ARGS = { playbook: 'playbooks/rollout.yml', inventory: 'inventories/hosts.yml' } as const;

/**
 * The same user journey for every form: `--version`, `validate`, `run --check` (nothing changes), `run` (web1 runs v2,
 * healthy), `run` again (changed=0). `freshen` runs the form's command with the infra repo as its working directory.
 */
export async function expectInstalledRollout(fixture: InstalledRollout, freshen: (args: string[]) => Promise<CliResult>): Promise<void> {
  const web1 = labDocker('web1');
  const { playbook, inventory } = INFRA_ARGS;
  const version = await freshen(['--version']);
  expect(version).toMatchObject({ code: 0, stdout: `${PACKAGE_VERSION}\n` });

  const valid = await freshen(['validate', playbook, '-i', inventory]);
  expect(valid.stderr).toBe('');
  expect(valid).toMatchObject({ code: 0, stdout: `${playbook}: valid (1 play, 1 host in ${inventory})\n` });

  const check = await freshen(['run', playbook, '-i', inventory, '--check']);
  expect(check.stdout).toMatch(/web1\s+: ok=\d+\s+changed=3\s+unreachable=0\s+failed=0/);
  expect(check.code).toBe(0);
  expect(await containerState(web1, fixture.app)).toMatchObject({ running: true, image: fixture.v1 });

  const apply = await freshen(['run', playbook, '-i', inventory]);
  expect(apply.stdout).toMatch(/web1\s+: ok=\d+\s+changed=3\s+unreachable=0\s+failed=0/);
  expect(apply.code).toBe(0);
  const replaced = await web1.getContainer(fixture.app).inspect();
  expect(replaced).toMatchObject({ Image: fixture.v2, State: { Running: true, Health: { Status: 'healthy' } } });

  const again = await freshen(['run', playbook, '-i', inventory]);
  expect(again.stdout).toMatch(/web1\s+: ok=3\s+changed=0\s+unreachable=0\s+failed=0/);
  expect(again.code).toBe(0);
}

export { LAB_DIR };

/** Runs a program to its end: its exit code (1 when it could not start or was killed) and what it printed. */
export function execResult(file: string, args: string[], options: { cwd: string; env?: NodeJS.ProcessEnv }): Promise<CliResult> {
  return new Promise((resolve) => {
    execFile(file, args, { cwd: options.cwd, env: options.env ?? process.env, maxBuffer: 16 << 20 }, (error, stdout, stderr) =>
      resolve({ code: error === null ? 0 : typeof error.code === 'number' ? error.code : 1, stdout, stderr }),
    );
  });
}

/** dist-sea/freshen, built by `npm run build:sea` (its script run here when the executable is missing or older than dist/). */
export const SEA = join(REPO_ROOT, 'dist-sea/freshen');

function processAlive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (error) {
    return (error as NodeJS.ErrnoException).code === 'EPERM';
  }
}

export async function ensureSea(): Promise<string> {
  // sea.test.ts and image.test.ts run side by side, and the build empties dist-sea/ first: one build at a time (an exclusive
  // lock directory), and whoever waited finds the executable fresh. Without it, one file copied a half-written executable.
  const lock = join(REPO_ROOT, 'dist-sea.lock');
  const owner = join(lock, 'pid');
  for (;;) {
    const taken = await mkdir(lock).then(
      () => true,
      (error: NodeJS.ErrnoException) => {
        if (error.code !== 'EEXIST') throw error;
        return false;
      },
    );
    if (taken) break;
    // A test process killed while it built leaves the directory behind: its pid names no process, so the lock is free.
    const pid = Number(await readFile(owner, 'utf8').catch(() => ''));
    if (pid > 0 && !processAlive(pid)) await rm(lock, { recursive: true, force: true });
    else await new Promise((resolve) => setTimeout(resolve, 500));
  }
  await writeFile(owner, String(process.pid));
  try {
    const built = await stat(SEA).catch(() => undefined);
    const sources = await Promise.all(['dist/cli/main.js', 'scripts/build-sea.mjs'].map((path) => stat(join(REPO_ROOT, path))));
    if (built === undefined || sources.some((source) => source.mtimeMs > built.mtimeMs)) {
      const result = await execResult(process.execPath, [join(REPO_ROOT, 'scripts/build-sea.mjs')], { cwd: REPO_ROOT });
      if (result.code !== 0) throw new Error(`scripts/build-sea.mjs failed:\n${result.stdout}${result.stderr}`);
    }
  } finally {
    await rm(lock, { recursive: true, force: true });
  }
  return SEA;
}
