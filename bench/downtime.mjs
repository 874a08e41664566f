#!/usr/bin/env node
// Downtime of one container during an update: freshen (pull before stop, so only stop + start are down) against the naive
// sequence (stop, remove, pull, run), for images of growing size, measured in one run on the lab (web2's engine and the lab
// registry). Run by hand: `npm run build && node bench/downtime.mjs`. Results go into docs/benchmarks.md.
import { execFileSync, spawn } from 'node:child_process';
import { mkdtempSync, writeFileSync, copyFileSync, rmSync, openSync, writeSync, closeSync } from 'node:fs';
import { randomBytes } from 'node:crypto';
import { tmpdir } from 'node:os';
import { join, resolve, dirname } from 'node:path';
import { fileURLToPath } from 'node:url';

const repo = resolve(dirname(fileURLToPath(import.meta.url)), '..');
const lab = process.env.FRESHEN_LAB_DIR ?? '/tmp/freshen-lab';
const registry = '127.0.0.1:5055';
const sockets = { build1: `${lab}/docker/build1/docker.sock`, web2: `${lab}/docker/web2/docker.sock` };
const sizesMiB = (process.env.BENCH_SIZES ?? '1,32,128').split(',').map(Number);
const rounds = Number(process.env.BENCH_ROUNDS ?? 3);

const docker = (host, args) =>
  execFileSync('docker', args, { env: { ...process.env, DOCKER_HOST: `unix://${sockets[host]}`, DOCKER_BUILDKIT: '0' }, encoding: 'utf8' });

/** Builds and pushes `ref` with `mib` MiB of fresh random data, so every build is a new image of that size. */
function publish(ref, mib) {
  const context = mkdtempSync(join(tmpdir(), 'freshen-bench-'));
  copyFileSync('/bin/busybox', join(context, 'busybox'));
  const fd = openSync(join(context, 'payload'), 'w');
  for (let i = 0; i < mib; i++) writeSync(fd, randomBytes(1 << 20));
  closeSync(fd);
  writeFileSync(
    join(context, 'Dockerfile'),
    [
      'FROM scratch',
      'COPY busybox /bin/busybox',
      'RUN ["/bin/busybox", "--install", "-s", "/bin"]',
      'COPY payload /payload',
      'CMD ["sh", "-c", "trap \'exit 0\' TERM; while true; do sleep 1; done"]',
      '',
    ].join('\n'),
  );
  docker('build1', ['build', '-q', '-t', ref, context]);
  docker('build1', ['push', '-q', ref]);
  rmSync(context, { recursive: true, force: true });
}

/**
 * The container's downtime in an update, from the engine's own event log: from the old container's `die` to the first `start`
 * of a container with the same name after it (nanosecond timestamps, so the sampling of a poller does not blur it).
 */
function downtimeMs(name, sinceSeconds) {
  const untilSeconds = Math.ceil(Date.now() / 1000) + 1;
  const lines = docker('web2', [
    'events',
    '--since',
    String(sinceSeconds),
    '--until',
    String(untilSeconds),
    '--filter',
    `container=${name}`,
    '--filter',
    'event=die',
    '--filter',
    'event=start',
    '--format',
    '{{.Action}} {{.TimeNano}}',
  ])
    .trim()
    .split('\n');
  const events = lines
    .filter(Boolean)
    .map((line) => line.split(' '))
    .map(([action, nanos]) => ({ action, ns: BigInt(nanos) }));
  const die = events.find((e) => e.action === 'die');
  const start = die && events.find((e) => e.action === 'start' && e.ns > die.ns);
  if (!die || !start) throw new Error(`no die/start pair for ${name}: ${lines.join(' | ')}`);
  return Number(start.ns - die.ns) / 1e6;
}

function freshenUpdate(inventory, playbook) {
  return new Promise((done, fail) => {
    const child = spawn('node', [join(repo, 'bin/freshen.js'), 'run', playbook, '-i', inventory, '--lock-wait', '10m'], { stdio: 'ignore' });
    child.on('exit', (code) => (code === 0 ? done() : fail(new Error(`freshen exited ${code}`))));
  });
}

function naiveUpdate(name, ref) {
  docker('web2', ['stop', name]);
  docker('web2', ['rm', name]);
  docker('web2', ['pull', '-q', ref]);
  docker('web2', ['run', '-d', '--name', name, '--network', 'none', ref]);
}

const dir = mkdtempSync(join(tmpdir(), 'freshen-bench-'));
const inventory = join(dir, 'inventory.yml');
const playbook = join(dir, 'playbook.yml');
writeFileSync(inventory, `all:\n  vars: { registry: "${registry}" }\n  hosts:\n    web2: { docker: { host: "unix://${sockets.web2}" } }\n`);
writeFileSync(playbook, '- name: update\n  hosts: web2\n  steps: [pull, stop, { start: { settle: 1s } }]\n');

const rows = [];
for (const mib of sizesMiB) {
  const ref = `${registry}/bench/downtime-${mib}:prod`;
  for (const name of ['bench-freshen', 'bench-naive']) docker('web2', ['rm', '-f', name]);
  publish(ref, mib);
  docker('web2', ['pull', '-q', ref]);
  for (const name of ['bench-freshen', 'bench-naive']) docker('web2', ['run', '-d', '--name', name, '--network', 'none', ref]);
  for (let round = 0; round < rounds; round++) {
    publish(ref, mib);
    let since = Math.floor(Date.now() / 1000) - 1;
    await freshenUpdate(inventory, playbook);
    const freshenMs = downtimeMs('bench-freshen', since);
    // The naive sequence gets the same new image, published anew so it must pull it too.
    publish(ref, mib);
    since = Math.floor(Date.now() / 1000) - 1;
    naiveUpdate('bench-naive', ref);
    const naiveMs = downtimeMs('bench-naive', since);
    // freshen's container must be on the newest image for the next round; bring it along outside the measurement.
    await freshenUpdate(inventory, playbook);
    rows.push({ mib, round, freshenMs: Math.round(freshenMs), naiveMs: Math.round(naiveMs) });
    console.log(`${mib} MiB round ${round + 1}: freshen down ${Math.round(freshenMs)} ms, naive down ${Math.round(naiveMs)} ms`);
  }
  for (const name of ['bench-freshen', 'bench-naive']) docker('web2', ['rm', '-f', name]);
}
console.log('\n| image size | freshen downtime (median) | naive downtime (median) | ratio |\n|---|---|---|---|');
for (const mib of sizesMiB) {
  const median = (xs) => xs.sort((a, b) => a - b)[Math.floor(xs.length / 2)];
  const f = median(rows.filter((r) => r.mib === mib).map((r) => r.freshenMs));
  const n = median(rows.filter((r) => r.mib === mib).map((r) => r.naiveMs));
  console.log(`| ${mib} MiB | ${f} ms | ${n} ms | ${(f / n).toFixed(2)} |`);
}
rmSync(dir, { recursive: true, force: true });
