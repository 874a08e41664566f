// The third engine transport against the real thing: a dockerd of the test's own serving tcp://127.0.0.1 with --tlsverify
// (mutual TLS, as `dockerd --tlsverify` is run in production), beside the lab's unix sockets and its ssh:// host. freshen
// negotiates the API over it and rolls a new build out there; without a client certificate the engine refuses the
// handshake and the host is unreachable with a TLS message.
import { spawn, type ChildProcess } from 'node:child_process';
import { openSync } from 'node:fs';
import { readFile, rm } from 'node:fs/promises';
import { join } from 'node:path';
import Docker from 'dockerode';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { REGISTRY } from '../support/lab.js';
import { makeCertificates } from '../support/certificates.js';
import { freePort } from '../support/ports.js';
import { closeDocker, connectDocker, engineApiVersion } from '../../src/adapters/docker.js';
import { freshen, healthyVersion, readReport, tempDir, waitFor, writePlaybook } from './rollout.helpers.js';
import { deleteManifests, publish, pullOn, removeImages } from './steps-rollout.helpers.js';

const TAG = 't-tcp-tls';
const REF = `${REGISTRY}/t-tcp-tls/app:${TAG}`;
const APP = 't-tcp-tls-app';
const pushed: string[] = [];
let dir: string;
let port: number;
let dockerd: ChildProcess | undefined;
let engine: Docker;

const endpoint = (withClientCertificate: boolean) => ({
  host: `tcp://127.0.0.1:${port}`,
  tls: { ca: join(dir, 'ca.pem'), ...(withClientCertificate ? { cert: join(dir, 'client.pem'), key: join(dir, 'client.key') } : {}) },
});

const inventory = (withClientCertificate: boolean) =>
  writePlaybook(
    dir,
    `inventory-${withClientCertificate}.yml`,
    JSON.stringify({ all: { vars: { registry: REGISTRY, rollout_tag: TAG }, hosts: { tls1: { docker: endpoint(withClientCertificate) } } } }),
  );

beforeAll(async () => {
  // Short: containerd's socket path below the exec root must stay under the unix socket limit.
  dir = await tempDir('t-tls-');
  await makeCertificates(dir, 't-tcp-tls-client', '127.0.0.1');
  port = await freePort();
  await writePlaybook(dir, 'daemon.json', JSON.stringify({ 'deprecated-key-path': join(dir, 'key.json') }));
  const logFile = openSync(join(dir, 'dockerd.log'), 'a');
  dockerd = spawn(
    'dockerd',
    [
      '--data-root',
      join(dir, 'data'),
      '--exec-root',
      join(dir, 'x'),
      '--pidfile',
      join(dir, 'docker.pid'),
      '-H',
      `tcp://127.0.0.1:${port}`,
      '--tlsverify',
      '--tlscacert',
      join(dir, 'ca.pem'),
      '--tlscert',
      join(dir, 'server.pem'),
      '--tlskey',
      join(dir, 'server.key'),
      '--bridge=none',
      '--iptables=false',
      '--ip6tables=false',
      '--ip-forward=false',
      '--ip-masq=false',
      '--userland-proxy=false',
      '--shutdown-timeout=5',
      '--config-file',
      join(dir, 'daemon.json'),
    ],
    { stdio: ['ignore', logFile, logFile], detached: true },
  );
  dockerd.unref();
  engine = await waitFor(
    'the TLS dockerd',
    async () => {
      const docker = await connectDocker(endpoint(true)).catch(() => undefined);
      return docker;
    },
    60_000,
    250,
  );
  await publish(REF, healthyVersion(1), pushed);
  await pullOn(engine, REF);
  await (await engine.createContainer({ name: APP, Image: REF, HostConfig: { NetworkMode: 'none' } })).start();
}, 120_000);

afterAll(async () => {
  if (engine !== undefined) {
    for (const name of [APP, `${APP}.freshen-old`])
      await engine
        .getContainer(name)
        .remove({ force: true })
        .catch(() => undefined);
    await removeImages(engine, 't-tcp-tls/app').catch(() => undefined);
    await closeDocker(engine);
  }
  await deleteManifests('t-tcp-tls/app', pushed);
  const pid = Number((await readFile(join(dir, 'docker.pid'), 'utf8').catch(() => '')).trim()) || dockerd?.pid;
  if (pid !== undefined) {
    process.kill(pid, 'SIGTERM');
    await waitFor(
      'dockerd to exit',
      async () => {
        try {
          process.kill(pid, 0);
          return undefined;
        } catch {
          return true;
        }
      },
      30_000,
      200,
    ).catch(() => process.kill(pid, 'SIGKILL'));
  }
  await rm(dir, { recursive: true, force: true }).catch(() => undefined);
}, 60_000);

describe('an engine over tcp:// with mutual TLS', () => {
  it('negotiates the API over it (Docker 20.10: 1.41)', async () => {
    expect(engineApiVersion(engine)).toBe('1.41');
  });

  it('freshen rolls a new build out there: pull, stop, start', async () => {
    const v2 = await publish(REF, healthyVersion(2), pushed);
    const playbook = await writePlaybook(dir, 'rollout.yml', '- name: Roll out\n  hosts: tls1\n  steps: [pull, stop, { start: { healthy_timeout: 60s } }]\n');
    const r = await freshen(['run', playbook, '-i', await inventory(true), '--json', join(dir, 'rollout.json')], join(dir, 'locks'));
    expect(r.code, r.stdout + r.stderr).toBe(0);
    const steps = (await readReport(join(dir, 'rollout.json'))).plays[0]!.hosts.tls1!;
    expect(steps.map((s) => s.status)).toEqual(['changed', 'changed', 'changed']);
    expect((await engine.getContainer(APP).inspect()).Image).toBe(v2);
  });

  it('without a client certificate the engine refuses the handshake: unreachable, saying TLS', async () => {
    const playbook = await writePlaybook(dir, 'pull.yml', '- name: Pull\n  hosts: tls1\n  steps: [pull]\n');
    const r = await freshen(['run', playbook, '-i', await inventory(false), '--json', join(dir, 'refused.json')], join(dir, 'locks'));
    expect(r.code).toBe(4);
    const step = (await readReport(join(dir, 'refused.json'))).plays[0]!.hosts.tls1![0]!;
    expect(step.status).toBe('unreachable');
    expect(step.reason).toMatch(/tcp:\/\/127\.0\.0\.1:\d+/);
    expect(step.reason).toMatch(/certificate|tls|handshake/i);
  });
});
