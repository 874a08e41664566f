// pin end to end on the lab: one playbook rebuilds an image (FROM an upstream-like image that carries a dpkg status), pushes it,
// rolls it out to a container on web2 and pins the infra repository, a git repository whose remote is a bare repository reached
// over the lab's sshd (host key checked). The pinned files are then used as their tools use them: `kubectl kustomize` renders
// the kustomization, `docker-compose config` reads the Compose file and `docker-compose up` runs it on web2.
import { execFile } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { mkdir, mkdtemp, readdir, readFile, rm, stat, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join, relative } from 'node:path';
import { promisify } from 'node:util';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createRegistryClient } from '../../src/adapters/registry.js';
import { registrySettings } from '../../src/model/inventory.js';
import { shortDigest } from '../../src/model/imageRef.js';
import { runCli } from '../support/cli.js';
import { FRESHEN } from './rollout.helpers.js';
import { buildBusyboxImage, labDocker, labSocket, pushImage, REGISTRY, removeRepositoryImages, SSH, untagRepositories } from '../support/lab.js';

const exec = promisify(execFile);
const HEX = randomBytes(3).toString('hex');
const NS = `t-pin-${HEX}`;
const OS = `${NS}/os`;
const APP = `${NS}/app`;
const TAG = `pin${HEX}`;
const OS_REF = `${REGISTRY}/${OS}:stable`;
const APP_REF = `${REGISTRY}/${APP}:${TAG}`;
const PLAIN = `t-pin-plain-${HEX}`;
const PROJECT = `tpin${HEX}`;

const build1 = labDocker('build1');
const web2 = labDocker('web2');
const registry = createRegistryClient(registrySettings({ registry: REGISTRY })!);
let root: string;
let infra: string;
let bare: string;

const git = async (dir: string, ...args: string[]): Promise<string> => (await exec('git', ['-C', dir, ...args])).stdout;
const compose = (dir: string, ...args: string[]) =>
  exec('docker-compose', ['-p', PROJECT, ...args], { cwd: dir, env: { ...process.env, DOCKER_HOST: `unix://${labSocket('web2')}` } });

/** The upstream-like image at a patch level, with a dpkg status naming openssl at that level's version. */
async function publishUpstream(version: string): Promise<void> {
  const status = `Package: openssl\nStatus: install ok installed\nArchitecture: amd64\nVersion: ${version}\n\n`;
  await buildBusyboxImage(build1, OS_REF, { files: { status: status }, lines: ['COPY status /var/lib/dpkg/status'] });
  await pushImage(build1, OS_REF);
}

/** Every file below the repository's .git with its size and modification time: what a run that writes nothing leaves equal. */
async function gitDirState(dir: string): Promise<string[]> {
  const out: string[] = [];
  const walk = async (at: string): Promise<void> => {
    for (const entry of await readdir(at, { withFileTypes: true })) {
      const path = join(at, entry.name);
      if (entry.isDirectory()) await walk(path);
      else {
        const s = await stat(path);
        out.push(`${relative(dir, path)} ${s.size} ${s.mtimeMs}`);
      }
    }
  };
  await walk(join(dir, '.git'));
  return out.sort();
}

/** Merges the pins into the infra clone's main, as a reviewer would (fast-forward): its Dockerfiles then name their bases' digests. */
async function mergePins(): Promise<void> {
  await git(infra, 'fetch', '--quiet', 'origin');
  await git(infra, 'merge', '--quiet', '--ff-only', 'origin/freshen/pins');
}

const remoteTip = async (): Promise<string> => (await git(bare, 'rev-parse', 'refs/heads/freshen/pins').catch(() => '')).trim();
const digestOf = async (repository: string, tag: string): Promise<string> => (await registry.manifestDigest(repository, tag))!;

beforeAll(async () => {
  root = await mkdtemp(join(tmpdir(), 't-pin-'));
  infra = join(root, 'infra');
  bare = join(root, 'remote.git');
  await mkdir(join(infra, 'images', APP), { recursive: true });
  await writeFile(
    join(infra, 'images', APP, 'Dockerfile'),
    [`FROM ${OS_REF}`, 'COPY index.html /srv/index.html', `CMD ["/bin/sh", "-c", "trap 'exit 0' TERM; while true; do sleep 1; done"]`, ''].join('\n'),
  );
  await writeFile(join(infra, 'images', APP, 'index.html'), '<h1>pinned</h1>\n');
  await mkdir(join(infra, 'deploy/k8s'), { recursive: true });
  await writeFile(
    join(infra, 'deploy/compose.yaml'),
    [
      '# the app and its tools, pinned by freshen',
      'services:',
      '  app:',
      `    image: ${APP_REF}`,
      '    network_mode: none',
      '  tools:',
      `    image: "${OS_REF}" # upstream, mirrored`,
      '    network_mode: none',
      '    command: ["sleep", "3600"]',
      '',
    ].join('\n'),
  );
  await writeFile(
    join(infra, 'deploy/k8s/deployment.yaml'),
    [
      'apiVersion: apps/v1',
      'kind: Deployment',
      'metadata: { name: app }',
      'spec:',
      '  selector: { matchLabels: { app: app } }',
      '  template:',
      '    metadata: { labels: { app: app } }',
      '    spec:',
      '      containers:',
      '        - name: app',
      // kustomize's placeholder: not a reference to the registry, so left alone; the kustomization's entry gets the digest.
      '          image: app',
      '',
    ].join('\n'),
  );
  await writeFile(
    join(infra, 'deploy/k8s/kustomization.yaml'),
    ['resources: [deployment.yaml]', 'images:', '  - name: app', `    newName: ${REGISTRY}/${APP}`, `    newTag: ${TAG}`, ''].join('\n'),
  );
  await mkdir(join(infra, 'charts/app'), { recursive: true });
  await writeFile(
    join(infra, 'charts/app/values.yaml'),
    ['image:', `  repository: ${REGISTRY}/${APP}`, `  tag: ${TAG}`, '  pullPolicy: IfNotPresent', ''].join('\n'),
  );
  await writeFile(join(infra, 'deploy/app.env'), `APP_IMAGE=${APP_REF} # freshen: ${REGISTRY}/${APP}\n`);
  await writeFile(
    join(infra, 'inventory.yml'),
    [
      'all:',
      '  vars:',
      `    registry: "${REGISTRY}"`,
      `    rollout_tag: ${TAG}`,
      '  hosts:',
      `    build1: { docker: { host: "unix://${labSocket('build1')}" } }`,
      `    web2: { docker: { host: "unix://${labSocket('web2')}" } }`,
      '    registry1: {}',
      '',
    ].join('\n'),
  );
  await writeFile(
    join(infra, 'pin.yml'),
    [
      '- name: Build',
      '  hosts: build1',
      '  steps:',
      '    - discover: { root: images, include_unpublished: true, pinned_bases: follow }',
      '    - rebuild',
      '    - push',
      '- name: Roll out',
      '  hosts: web2',
      '  steps: [pull, stop, { start: { settle: 1s } }]',
      '- name: Pin',
      '  hosts: registry1',
      '  steps:',
      '    - pin: { files: [deploy, images], helm_values: { charts/app/values.yaml: [image] } }',
      '',
    ].join('\n'),
  );
  await exec('git', ['init', '--quiet', '--bare', '--initial-branch=main', bare]);
  await exec('git', ['init', '--quiet', '--initial-branch=main', infra]);
  await git(infra, 'config', 'user.name', 'Test');
  await git(infra, 'config', 'user.email', 'test@example.invalid');
  // The remote over the lab's sshd, its host key pinned: what a user's ~/.ssh/config or core.sshCommand would say.
  await git(
    infra,
    'config',
    'core.sshCommand',
    `ssh -i ${SSH.identityFile} -o IdentitiesOnly=yes -o BatchMode=yes -o StrictHostKeyChecking=yes -o UserKnownHostsFile=${SSH.knownHosts}`,
  );
  await git(infra, 'remote', 'add', 'origin', `ssh://${SSH.user}@${SSH.host}:${SSH.port}${bare}`);
  await git(infra, 'add', '.');
  await git(infra, 'commit', '--quiet', '-m', 'infra');
  await git(infra, 'push', '--quiet', 'origin', 'main');
  await publishUpstream('3.0.13-1~deb12u1');
});

afterAll(async () => {
  // Where the Compose file is: from the checkout's root, `down` found no file and left the app running on web2.
  await compose(join(root, 'checkout', 'deploy'), 'down', '--timeout', '1').catch(() => undefined);
  await web2
    .getContainer(PLAIN)
    .remove({ force: true })
    .catch(() => undefined);
  await untagRepositories([OS, APP]);
  await removeRepositoryImages(build1, [APP, OS]);
  await removeRepositoryImages(web2, [APP, OS]);
  registry.close();
  await rm(root, { recursive: true, force: true });
});

const run = (...args: string[]) => runCli('run', join(infra, 'pin.yml'), '-i', join(infra, 'inventory.yml'), ...args);

describe('pin', () => {
  it('--check --diff shows the diff of what the registry already has and writes nothing, in the repository or its remote', async () => {
    const before = { state: await gitDirState(infra), remote: await git(bare, 'for-each-ref') };
    const result = await run('--check', '--diff');
    expect(result.stderr).toBe('');
    expect(result.code).toBe(0);
    const osDigest = await digestOf(OS, 'stable');
    // The upstream is in the registry: its line is pinned in the diff. The app is only planned: pinned once this run pushes it.
    expect(result.stdout).toContain('    --- a/deploy/compose.yaml\n    +++ b/deploy/compose.yaml\n');
    expect(result.stdout).toContain(`    -    image: "${OS_REF}" # upstream, mirrored\n    +    image: "${OS_REF}@${osDigest}" # upstream, mirrored\n`);
    expect(result.stdout).toContain(`Pin the references to ${APP_REF} to the build this run pushes`);
    expect(result.stdout).toContain(
      `Commit deploy/compose.yaml, images/${APP}/Dockerfile on top of HEAD (main), as origin has no branch freshen/pins yet; push it to origin freshen/pins`,
    );
    expect(await gitDirState(infra)).toEqual(before.state);
    expect(await git(bare, 'for-each-ref')).toBe(before.remote);
  });

  it('on a terminal, --check --diff prints the diffs below the live view, a DIFF section per step', async () => {
    // util-linux's script gives the CLI a terminal of its own, as a user's shell would (with a size: the live view needs one).
    const command = `stty cols 160 rows 50; node ${FRESHEN} run ${join(infra, 'pin.yml')} -i ${join(infra, 'inventory.yml')} --check --diff`;
    const { stdout } = await exec('script', ['-qec', command, '/dev/null'], { env: { ...process.env, TERM: 'xterm' } });
    // eslint-disable-next-line no-control-regex -- the terminal's escape sequences are what is removed
    const text = stdout.replace(/\x1b\[[0-9;?]*[A-Za-z]/g, '').replaceAll('\r', '');
    const section = text.slice(text.indexOf('DIFF [registry1] pin'));
    expect(section).toMatch(/^DIFF \[registry1\] pin\n {4}--- a\/deploy\/compose\.yaml\n {4}\+\+\+ b\/deploy\/compose\.yaml\n/);
    expect(section).toContain(`    +    image: "${OS_REF}@${await digestOf(OS, 'stable')}" # upstream, mirrored\n`);
    expect(section.indexOf('DIFF')).toBeLessThan(section.indexOf('PLAY RECAP'));
  });

  it('pins what it built to its digest: one commit on freshen/pins, which Compose and kustomize then run and render', async () => {
    const result = await run();
    expect(result.stderr).toBe('');
    expect(result.code).toBe(0);
    const appDigest = await digestOf(APP, TAG);
    const osDigest = await digestOf(OS, 'stable');
    expect(await git(bare, 'rev-list', '--count', 'main..freshen/pins')).toBe('1\n');
    expect(await git(bare, 'show', 'freshen/pins:deploy/app.env')).toBe(`APP_IMAGE=${APP_REF}@${appDigest} # freshen: ${REGISTRY}/${APP}\n`);
    expect(await git(bare, 'show', 'freshen/pins:deploy/compose.yaml')).toContain(`    image: ${APP_REF}@${appDigest}\n`);
    expect(await git(bare, 'show', 'freshen/pins:charts/app/values.yaml')).toBe(
      ['image:', `  repository: ${REGISTRY}/${APP}`, `  tag: ${TAG}`, '  pullPolicy: IfNotPresent', `  digest: ${appDigest}`, ''].join('\n'),
    );
    // The working tree and checked-out branch are left alone.
    expect(await readFile(join(infra, 'deploy/app.env'), 'utf8')).toBe(`APP_IMAGE=${APP_REF} # freshen: ${REGISTRY}/${APP}\n`);
    expect((await git(infra, 'symbolic-ref', '--short', 'HEAD')).trim()).toBe('main');
    expect(await git(bare, 'log', '-1', '--format=%s', 'freshen/pins')).toBe(`Pin 2 images: ${APP}, ${OS}\n`);
    expect(await git(bare, 'show', `freshen/pins:images/${APP}/Dockerfile`)).toMatch(new RegExp(`^FROM ${OS_REF}@${osDigest}\n`));
    await mergePins();
  });

  it('after a new upstream: rebuilt, rolled out, pinned in a commit that says why, with the package changes and where it runs', async () => {
    const oldApp = await digestOf(APP, TAG);
    const pulled = await web2.pull(APP_REF);
    await new Promise((done, fail) => web2.modem.followProgress(pulled, (error: Error | null) => (error ? fail(error) : done(undefined))));
    await web2.createContainer({ name: PLAIN, Image: APP_REF, HostConfig: { NetworkMode: 'none' } }).then((c) => c.start());
    await publishUpstream('3.0.15-1~deb12u1');
    const result = await run();
    expect(result.stderr).toBe('');
    expect(result.code).toBe(0);
    const newApp = await digestOf(APP, TAG);
    expect(newApp).not.toBe(oldApp);
    expect(await git(bare, 'rev-list', '--count', 'main..freshen/pins')).toBe('2\n');
    const message = await git(bare, 'log', '-1', '--format=%B', 'freshen/pins');
    expect(message).toMatch(
      new RegExp(`^${REGISTRY}/${APP}: ${shortDigest(oldApp)} → ${shortDigest(newApp)} \\(${REGISTRY}/${APP}:\\d{8}-\\d{4}(-\\d+)?\\)$`, 'm'),
    );
    expect(message).toMatch(new RegExp(`^  why: base ${OS_REF}: [0-9a-f]{12}… → [0-9a-f]{12}…; 1 package changed$`, 'm'));
    expect(message).toContain('  packages (1):\n    openssl 3.0.13-1~deb12u1 → 3.0.15-1~deb12u1\n');
    expect(message).toMatch(new RegExp(`^  SBOM: ${REGISTRY}/${APP}@sha256:[0-9a-f]{64}$`, 'm'));
    expect(message).toContain(`  runs on: web2 (${PLAIN})\n`);
    // The Dockerfile named the old base's digest: with pinned_bases: follow the build followed the tag, and the pin moved on.
    const newOs = await digestOf(OS, 'stable');
    expect(await git(bare, 'show', `freshen/pins:images/${APP}/Dockerfile`)).toMatch(new RegExp(`^FROM ${OS_REF}@${newOs}\n`));
    expect(message).toContain(`  files: deploy/compose.yaml:7, images/${APP}/Dockerfile:1\n`);
    await mergePins();
    expect(message).toMatch(/^ {2}files: charts\/app\/values\.yaml:5, deploy\/app\.env:1, deploy\/compose\.yaml:4, deploy\/k8s\/kustomization\.yaml:6$/m);
  });

  it('a second run changes nothing and makes no commit, the Dockerfile pinned by digest included', async () => {
    const tip = await remoteTip();
    const result = await run();
    expect(result.code).toBe(0);
    expect(result.stdout).toMatch(/registry1 +: ok=1 +changed=0/);
    expect(result.stdout).toMatch(/build1 +: ok=\d+ +changed=0/);
    expect(await remoteTip()).toBe(tip);
  });

  it('the pinned files are what kustomize renders and what docker-compose runs', async () => {
    const appDigest = await digestOf(APP, TAG);
    const checkout = join(root, 'checkout');
    await exec('git', ['clone', '--quiet', '--branch', 'freshen/pins', bare, checkout]);
    const rendered = (await exec('kubectl', ['kustomize', join(checkout, 'deploy/k8s')])).stdout;
    // kustomize 5 keeps the tag beside the digest, older ones drop it: either way the digest is what runs.
    expect(rendered).toMatch(new RegExp(`image: ${REGISTRY}/${APP}(:${TAG})?@${appDigest}\n`));
    await compose(join(checkout, 'deploy'), 'config', '--quiet');
    await compose(join(checkout, 'deploy'), 'up', '-d', 'app');
    const ids = (await compose(join(checkout, 'deploy'), 'ps', '-q', 'app')).stdout.trim();
    const running = await web2.getContainer(ids).inspect();
    expect(running.Config.Image).toBe(`${APP_REF}@${appDigest}`);
    expect(running.Image).toBe((await registry.imageConfig(APP, appDigest))!.configDigest);
  });
});
