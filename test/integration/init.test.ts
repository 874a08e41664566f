// freshen init against the lab: it reads what runs (containers of each kind freshen leaves alone, and managed ones), the
// registry's tags, a host it cannot reach; writes an inventory and a playbook that validate and whose --check runs at once;
// and refuses to overwrite them, or to start from hosts it cannot parse, writing nothing.
import { mkdtemp, readFile, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { parse, stringify } from 'yaml';
import { runCli } from '../support/cli.js';
import { removeImages } from './steps-rollout.helpers.js';
import { buildBusyboxImage, labDocker, labSocket, pushImage, REGISTRY, REPO_ROOT, removeContainers } from '../support/lab.js';

const web2 = labDocker('web2');
const PREFIX = 't-init-';
const SLEEP = 'CMD ["/bin/sh", "-c", "trap \'exit 0\' TERM; while true; do sleep 1; done"]';
let dir: string;
let pinned: string;

async function runContainer(name: string, image: string, labels: Record<string, string> = {}): Promise<void> {
  await (await web2.createContainer({ name, Image: image, Labels: labels, HostConfig: { NetworkMode: 'none' } })).start();
}

beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), 't-init-'));
  await removeContainers(web2, PREFIX);
  const app = `${REGISTRY}/t-init/app`;
  await buildBusyboxImage(web2, `${app}:prod`, { lines: [`LABEL t-init=app`, SLEEP] });
  const digest = await pushImage(web2, `${app}:prod`);
  pinned = `${app}@${digest}`;
  await web2.getImage(`${app}:prod`).tag({ repo: app, tag: 'v1' });
  // Tagged :prod here, but never pushed: the registry has no t-init/unpushed:prod.
  await buildBusyboxImage(web2, `${REGISTRY}/t-init/unpushed:prod`, { lines: [`LABEL t-init=unpushed`, SLEEP] });
  await buildBusyboxImage(web2, 't-init/local:1', { lines: [`LABEL t-init=local`, SLEEP] });
  await runContainer(`${PREFIX}managed`, `${app}:prod`);
  await runContainer(`${PREFIX}other-tag`, `${app}:v1`);
  await runContainer(`${PREFIX}pinned`, pinned);
  await runContainer(`${PREFIX}opted-out`, `${app}:prod`, { 'freshen.enable': 'false' });
  await runContainer(`${PREFIX}unpushed`, `${REGISTRY}/t-init/unpushed:prod`);
  await runContainer(`${PREFIX}elsewhere`, 't-init/local:1', { 'com.docker.compose.project': 'shop' });
}, 120_000);

afterAll(async () => {
  await removeContainers(web2, PREFIX);
  for (const repository of ['t-init/app', 't-init/unpushed', 't-init/local']) await removeImages(web2, repository);
});

/** The table row of one container on web2. */
const row = (stdout: string, name: string): string => stdout.split('\n').find((line) => line.startsWith('web2') && line.includes(` ${name}`)) ?? '';

/** The README's "Your own fleet": its commands (continuation lines joined) and its inventory, as written. */
async function readmeWalkthrough(): Promise<{ commands: string[]; inventory: unknown }> {
  const readme = await readFile(join(REPO_ROOT, 'README.md'), 'utf8');
  const section = readme.slice(readme.indexOf('## Your own fleet'), readme.indexOf('\n## ', readme.indexOf('## Your own fleet') + 1));
  const commands = section
    .replace(/\\\n\s*/g, '')
    .split('\n')
    .filter((line) => /^ {4}freshen /.test(line))
    .map((line) => line.trim().replace(/\s+#.*$/, ''));
  const yaml = /```yaml\n([\s\S]*?)```/.exec(section)![1]!;
  return { commands, inventory: parse(yaml) };
}

/**
 * The README's example addresses, as the lab has them (its engines listen on sockets of their own, which an ssh:// address
 * cannot name, so both are unix://; SSH engines are tested in ansible-inventory.test.ts and elsewhere); and its relative
 * paths, in the test's directory.
 */
function onTheLab(text: string, out: string): string {
  return text
    .replaceAll('registry.example.org:5000', REGISTRY)
    .replaceAll('ssh://deploy@web1.example.org', `unix://${labSocket('web1')}`)
    .replaceAll('ssh://deploy@web2.example.org', `unix://${labSocket('web2')}`)
    .replaceAll(' inventories/', ` ${out}/inventories/`)
    .replaceAll(' playbooks/', ` ${out}/playbooks/`);
}

describe('freshen init', () => {
  it("runs the README's walkthrough as written, on the lab: init, ping, the first --check", async () => {
    const out = join(dir, 'readme');
    const { commands, inventory } = await readmeWalkthrough();
    expect(commands.map((command) => command.split(' ').slice(0, 2).join(' '))).toEqual(['freshen init', 'freshen ping', 'freshen run']);
    const words = (command: string): string[] => onTheLab(command, out).split(/\s+/).slice(1);
    const init = await runCli(...words(commands[0]!), '-o', out);
    expect(init.code, init.stdout + init.stderr).toBe(0);
    expect(init.stdout).toMatch(/^web1 +web +127\.0\.0\.1:5055\/lab\/web:prod +managed/m);
    // What init wrote is the inventory the README shows.
    const written = parse(await readFile(join(out, 'inventories/production.yml'), 'utf8')) as unknown;
    expect(written).toEqual(parse(onTheLab(stringify(inventory), out)));
    for (const command of commands.slice(1)) {
      const r = await runCli(...words(command));
      expect({ command, code: r.code }, r.stdout + r.stderr).toEqual({ command, code: 0 });
    }
  });

  it('reads the fleet, says what it would manage and why not, and writes files whose --check runs at once', async () => {
    const out = join(dir, 'repo');
    const r = await runCli(
      'init',
      '--registry',
      REGISTRY,
      '--host',
      `web1=unix://${labSocket('web1')}`,
      '--host',
      `web2=unix://${labSocket('web2')}`,
      '--host',
      `gone=unix://${join(dir, 'no-engine.sock')}`,
      '-o',
      out,
    );
    // One host could not be read: exit 4, and the files are written all the same.
    expect(r.code, r.stdout + r.stderr).toBe(4);
    expect(row(r.stdout, `${PREFIX}managed`)).toMatch(/t-init\/app:prod +managed: pull, stop and start replace it$/);
    expect(row(r.stdout, `${PREFIX}other-tag`)).toMatch(/left alone: runs :v1, not the rollout tag :prod$/);
    expect(row(r.stdout, `${PREFIX}pinned`)).toMatch(/left alone: pinned by digest$/);
    expect(row(r.stdout, `${PREFIX}opted-out`)).toMatch(/left alone: labelled freshen\.enable=false$/);
    expect(row(r.stdout, `${PREFIX}unpushed`)).toMatch(/left alone: the registry has no t-init\/unpushed:prod$/);
    expect(row(r.stdout, `${PREFIX}elsewhere (compose shop)`)).toMatch(/left alone: from docker\.io, not 127\.0\.0\.1:5055/);
    expect(r.stdout).toMatch(/^gone +- +- +UNREACHABLE: .*no such socket/m);
    expect(r.stdout).toMatch(/^web1 +web +127\.0\.0\.1:5055\/lab\/web:prod +managed/m);
    expect(r.stdout).toContain(`freshen run ${join(out, 'playbooks/freshen.yml')} -i ${join(out, 'inventories/production.yml')} --check --diff`);

    const inventory = join(out, 'inventories/production.yml');
    const playbook = join(out, 'playbooks/freshen.yml');
    expect(await readFile(inventory, 'utf8')).toContain(`web2: { docker: { host: "unix://${labSocket('web2')}" } }`);
    // The canary is the first host that runs a managed container.
    expect(await readFile(playbook, 'utf8')).toMatch(/- name: Canary\n {2}hosts: web1\n/);
    expect(await readFile(playbook, 'utf8')).toContain('hosts: "docker_hosts:!web1"');

    const valid = await runCli('validate', playbook, '-i', inventory);
    expect(valid.code, valid.stderr).toBe(0);
    const check = await runCli('run', playbook, '-i', inventory, '--check', '--limit', 'all:!gone', '--json', join(dir, 'check.json'));
    expect(check.code, check.stdout + check.stderr).toBe(0);
    const report = JSON.parse(await readFile(join(dir, 'check.json'), 'utf8')) as {
      check: boolean;
      plays: Array<{ name: string; hosts: Record<string, Array<{ step: string }>> }>;
    };
    expect(report.check).toBe(true);
    expect(report.plays.map((play) => [play.name, Object.keys(play.hosts).sort()])).toEqual([
      ['Canary', ['web1']],
      ['Everyone else', ['web2']],
    ]);
    expect(report.plays[1]!.hosts.web2!.map((result) => result.step)).toEqual(['pull', 'stop', 'start']);
  });

  it('with an existing inventory, writes only the playbook; it never overwrites without --force, and bad hosts write nothing', async () => {
    const out = join(dir, 'existing');
    const inventory = join(dir, 'hosts.ini');
    await writeFile(inventory, `[web]\nweb2 ansible_connection=local docker='{"socket": "${labSocket('web2')}"}'\n[all:vars]\nregistry=${REGISTRY}\n`);
    const first = await runCli('init', '-i', inventory, '-o', out);
    expect(first.code, first.stdout + first.stderr).toBe(0);
    expect(first.stdout).toContain(`Wrote ${join(out, 'playbooks/freshen.yml')}. Next`);
    const written = await readFile(join(out, 'playbooks/freshen.yml'), 'utf8');
    expect(written).toMatch(/- name: Canary\n {2}hosts: web2\n/);
    expect(written).not.toContain('Everyone else');

    const again = await runCli('init', '-i', inventory, '-o', out);
    expect(again.code).toBe(5);
    expect(again.stderr).toContain('already exists; nothing was written (--force replaces them)');
    expect(await readFile(join(out, 'playbooks/freshen.yml'), 'utf8')).toBe(written);

    const bad = await runCli('init', '--registry', REGISTRY, '--host', 'web2', '-o', join(dir, 'bad'));
    expect(bad.code).toBe(5);
    expect(bad.stderr).toContain('--host #1 is not NAME=ADDRESS');
    // An address with a password is refused without being echoed, and nothing is written.
    for (const host of ['web1=ssh://deploy:hunter2secret@web1.example.org', 'deploy:hunter2secret@web1', 'w=http://u:hunter2secret@h']) {
      const secret = await runCli('init', '--registry', REGISTRY, '--host', host, '-o', join(dir, 'bad'));
      expect(secret.code).toBe(5);
      expect(secret.stdout + secret.stderr).not.toContain('hunter2secret');
    }
    await expect(readFile(join(dir, 'bad/inventories/production.yml'))).rejects.toThrow(/ENOENT/);
  });
});
