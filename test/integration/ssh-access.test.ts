// SSH as people use it, against real sshds: a passphrase-protected key (the passphrase from an environment variable), a
// bastion (a second sshd of this test's own on loopback) that the lab sshd is reached through, and keys held by a real
// ssh-agent. Each drives gc's dry run on the lab registry host over the session, end to end through the CLI.
import { execFile, spawn, type ChildProcess } from 'node:child_process';
import { appendFile, mkdir, readFile, writeFile } from 'node:fs/promises';
import { freePort } from '../support/ports.js';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { parse } from 'yaml';
import { LAB_DIR, LAB_INVENTORY, SSH, labSocket } from '../support/lab.js';
import { freshen, readReport, tempDir, waitFor, writePlaybook } from './rollout.helpers.js';

const run = promisify(execFile);
const AUTHORIZED_KEYS = join(LAB_DIR, 'ssh/authorized_keys');
const PASSPHRASE = 't-ssh-passphrase-1';

let dir: string;
let keyLine: string;
let bastion: ChildProcess;
let bastionLog = '';
let bastionPort: number;
let agent: { socket: string; pid: string } | undefined;
let registryGc: Record<string, string>;
let play: string;

/** An inventory with registry1 reached by `ssh`, and the lab's registry_gc. */
const inventory = (name: string, ssh: Record<string, unknown>): Promise<string> =>
  writePlaybook(dir, `${name}.yml`, JSON.stringify({ all: { vars: { registry: '127.0.0.1:5055' }, hosts: { registry1: { ssh, registry_gc: registryGc } } } }));
const gcCheck = (inv: string, json: string, env: NodeJS.ProcessEnv = {}) =>
  freshen(['run', play, '-i', inv, '--check', '--json', join(dir, json)], join(dir, 'locks'), env);
const gcStep = async (json: string) => (await readReport(join(dir, json))).plays[0]!.hosts.registry1![0]!;

beforeAll(async () => {
  dir = await tempDir('t-ssh-access-');
  registryGc = (
    parse(await readFile(LAB_INVENTORY, 'utf8')) as { all: { children: { registries: { hosts: { registry1: { registry_gc: Record<string, string> } } } } } }
  ).all.children.registries.hosts.registry1.registry_gc;
  play = await writePlaybook(dir, 'gc.yml', '- name: Tidy\n  hosts: registry1\n  steps:\n    - gc: { keep: 5, sweep: true }\n');
  await run('ssh-keygen', ['-q', '-t', 'ed25519', '-N', PASSPHRASE, '-C', 't-ssh-access', '-f', join(dir, 'id_pp')]);
  keyLine = `${(await readFile(join(dir, 'id_pp.pub'), 'utf8')).trim()}\n`;
  await appendFile(AUTHORIZED_KEYS, keyLine);

  // The bastion: an sshd of its own that lets the same key in and forwards TCP; it logs every forwarding it opens.
  bastionPort = await freePort();
  await run('ssh-keygen', ['-q', '-t', 'ecdsa', '-N', '', '-f', join(dir, 'bastion_host_key')]);
  // The bastion lets in the passphrase key and the lab's own key (which ~/.ssh/config names below).
  await writeFile(join(dir, 'bastion_keys'), `${keyLine}${await readFile(`${SSH.identityFile}.pub`, 'utf8')}`);
  await writeFile(
    join(dir, 'bastion_config'),
    [
      `Port ${bastionPort}`,
      'ListenAddress 127.0.0.1',
      `HostKey ${join(dir, 'bastion_host_key')}`,
      `AuthorizedKeysFile ${join(dir, 'bastion_keys')}`,
      `PidFile ${join(dir, 'bastion.pid')}`,
      'PermitRootLogin prohibit-password',
      'PasswordAuthentication no',
      'KbdInteractiveAuthentication no',
      'StrictModes no',
      'UsePAM no',
      'AllowTcpForwarding yes',
      'LogLevel DEBUG1',
      '',
    ].join('\n'),
  );
  const hostKey = (await readFile(join(dir, 'bastion_host_key.pub'), 'utf8')).split(' ').slice(0, 2).join(' ');
  await writeFile(join(dir, 'bastion_known_hosts'), `[127.0.0.1]:${bastionPort} ${hostKey}\n`);
  bastion = spawn('/usr/sbin/sshd', ['-D', '-e', '-f', join(dir, 'bastion_config')], { stdio: ['ignore', 'ignore', 'pipe'] });
  bastion.stderr!.on('data', (chunk: Buffer) => (bastionLog += chunk.toString('utf8')));
  await waitFor('the bastion sshd', async () => (bastionLog.includes(`Server listening on 127.0.0.1 port ${bastionPort}`) ? true : undefined), 15_000);
}, 120_000);

afterAll(async () => {
  bastion?.kill('SIGTERM');
  if (agent !== undefined) await run('kill', [agent.pid]).catch(() => undefined);
  if (keyLine !== undefined) await writeFile(AUTHORIZED_KEYS, (await readFile(AUTHORIZED_KEYS, 'utf8')).replace(keyLine, ''));
});

const target = { host: SSH.host, port: SSH.port, user: SSH.user, known_hosts: SSH.knownHosts };

/** The bastion as a `jump` setting, logging in with the passphrase key; its host key checked against `knownHosts`. */
const bastionJump = (knownHosts: string) => ({
  host: '127.0.0.1',
  port: bastionPort,
  user: 'root',
  identity_file: join(dir, 'id_pp'),
  known_hosts: knownHosts,
  passphrase_env: 'T_SSH_PASSPHRASE',
});

describe('SSH with the keys and paths people have', () => {
  it('a passphrase-protected key: the passphrase from passphrase_env works; a wrong one is refused, saying so', async () => {
    const inv = await inventory('pp', { ...target, identity_file: join(dir, 'id_pp'), passphrase_env: 'T_SSH_PASSPHRASE' });
    const ok = await gcCheck(inv, 'pp.json', { T_SSH_PASSPHRASE: PASSPHRASE });
    expect(ok.code, ok.stdout + ok.stderr).toBe(0);
    expect((await gcStep('pp.json')).status).not.toBe('failed');
    expect(ok.stdout + ok.stderr).not.toContain(PASSPHRASE);

    const wrong = await gcCheck(inv, 'pp-wrong.json', { T_SSH_PASSPHRASE: 'not-the-passphrase' });
    expect(wrong.code).toBe(2);
    expect((await gcStep('pp-wrong.json')).reason).toMatch(
      new RegExp(`^could not use ${join(dir, 'id_pp')} for root@127\\.0\\.0\\.1:${SSH.port}: .*(passphrase|decrypt)`, 'i'),
    );
  });

  it('through a bastion (jump): the lab sshd is reached over a channel the bastion opens', async () => {
    const jump = bastionJump(join(dir, 'bastion_known_hosts'));
    const inv = await inventory('jump', { ...target, identity_file: join(dir, 'id_pp'), passphrase_env: 'T_SSH_PASSPHRASE', jump });
    const r = await gcCheck(inv, 'jump.json', { T_SSH_PASSPHRASE: PASSPHRASE });
    expect(r.code, r.stdout + r.stderr).toBe(0);
    expect(bastionLog).toMatch(new RegExp(`direct-tcpip.*127\\.0\\.0\\.1.*${SSH.port}|connect(ed)? to 127\\.0\\.0\\.1 port ${SSH.port}`));
  });

  it('a bastion whose host key is unknown is refused before anything is forwarded (exit 4)', async () => {
    const jump = bastionJump(SSH.knownHosts);
    const inv = await inventory('jump-unknown', { ...target, identity_file: join(dir, 'id_pp'), passphrase_env: 'T_SSH_PASSPHRASE', jump });
    const r = await gcCheck(inv, 'jump-unknown.json', { T_SSH_PASSPHRASE: PASSPHRASE });
    expect(r.code).toBe(4);
    expect(await gcStep('jump-unknown.json')).toMatchObject({ status: 'unreachable', code: 'host-key-unknown' });
  });

  it('a Host alias of ~/.ssh/config, with its HostName, Port, User, IdentityFile, UserKnownHostsFile and ProxyJump', async () => {
    const home = join(dir, 'home');
    await mkdir(join(home, '.ssh'), { recursive: true });
    await writeFile(
      join(home, '.ssh/config'),
      [
        'Host lab-registry',
        `  HostName ${SSH.host}`,
        `  Port ${SSH.port}`,
        `  User ${SSH.user}`,
        `  IdentityFile ${SSH.identityFile}`,
        `  UserKnownHostsFile ${SSH.knownHosts}`,
        '  ProxyJump lab-bastion',
        'Host lab-bastion',
        '  HostName 127.0.0.1',
        `  Port ${bastionPort}`,
        '  User root',
        `  IdentityFile ${SSH.identityFile}`,
        `  UserKnownHostsFile ${join(dir, 'bastion_known_hosts')}`,
        '',
      ].join('\n'),
    );
    const forwardsBefore = (bastionLog.match(/direct-tcpip/g) ?? []).length;
    const r = await gcCheck(await inventory('alias', { host: 'lab-registry' }), 'alias.json', { HOME: home });
    expect(r.code, r.stdout + r.stderr).toBe(0);
    expect((bastionLog.match(/direct-tcpip/g) ?? []).length).toBeGreaterThan(forwardsBefore);
  });

  it('an ssh:// engine as a user that is not root, only in the docker group', async () => {
    const inv = await writePlaybook(
      dir,
      'docker-user.yml',
      JSON.stringify({
        all: {
          vars: { registry: '127.0.0.1:5055' },
          hosts: {
            web2: {
              docker: {
                host: `ssh://freshen-lab@${SSH.host}:${SSH.port}`,
                socket: labSocket('web2'),
                identity_file: SSH.identityFile,
                known_hosts: SSH.knownHosts,
              },
            },
          },
        },
      }),
    );
    const pull = await writePlaybook(dir, 'pull.yml', '- name: Pull\n  hosts: web2\n  steps: [pull, stop, start]\n');
    const logBefore = await readFile(join(LAB_DIR, 'ssh/sshd.log'), 'utf8');
    const r = await freshen(['run', pull, '-i', inv, '--check'], join(dir, 'locks'));
    expect(r.code, r.stdout + r.stderr).toBe(0);
    const logAfter = (await readFile(join(LAB_DIR, 'ssh/sshd.log'), 'utf8')).slice(logBefore.length);
    expect(logAfter).toMatch(/Accepted publickey for freshen-lab from 127\.0\.0\.1/);
  });

  it('keys held by ssh-agent, with no identity_file and no default key', async () => {
    const socket = join(dir, 'agent.sock');
    const { stdout } = await run('ssh-agent', ['-a', socket]);
    agent = { socket, pid: /SSH_AGENT_PID=(\d+)/.exec(stdout)![1]! };
    await run('ssh-add', [SSH.identityFile], { env: { ...process.env, SSH_AUTH_SOCK: socket } });
    const inv = await inventory('agent', target);
    const r = await gcCheck(inv, 'agent.json', { SSH_AUTH_SOCK: socket, HOME: dir });
    expect(r.code, r.stdout + r.stderr).toBe(0);
    expect((await gcStep('agent.json')).status).not.toBe('failed');
  });
});
