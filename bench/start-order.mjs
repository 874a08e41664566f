#!/usr/bin/env node
// Downtime of one service during an update, seen by a client that polls it, for three ways to replace it, in one run on the lab
// (web2's engine, the lab registry): freshen with order: start-first, freshen with order: stop-first, and a plain
// `docker stop; docker rm; docker run` (image pulled beforehand, so only the replacement is timed). The service is a busybox
// httpd on an internal network, reached by a network alias; it serves at once and turns healthy one second after its start.
// The client (perl from the lab's Debian image, `scripts/lab.sh debian`) opens a new connection every 10 ms (giving up on a
// connect after 250 ms) and prints one line per request; the engine's own log timestamps give the gaps. Run by hand:
//   npm run build && node bench/start-order.mjs          # BENCH_ROUNDS=5 to choose
// Results go into docs/benchmarks.md.
import { execFileSync, spawn } from 'node:child_process';
import { copyFileSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';

const repo = resolve(dirname(fileURLToPath(import.meta.url)), '..');
const lab = process.env.FRESHEN_LAB_DIR ?? '/tmp/freshen-lab';
const registry = '127.0.0.1:5055';
const sockets = { build1: `${lab}/docker/build1/docker.sock`, web2: `${lab}/docker/web2/docker.sock` };
const rounds = Number(process.env.BENCH_ROUNDS ?? 5);
const ref = `${registry}/bench/order:prod`;
const network = 'bench-order-net';
const alias = 'bench-order-svc';
const service = 'bench-order-web';
const client = 'bench-order-client';
const debian = `${registry}/upstream/debian:bookworm`;

const docker = (host, args) =>
  execFileSync('docker', args, { env: { ...process.env, DOCKER_HOST: `unix://${sockets[host]}`, DOCKER_BUILDKIT: '0' }, encoding: 'utf8' });
const quietly = (host, args) => {
  try {
    docker(host, args);
  } catch {
    // already gone
  }
};

let version = 0;
/** Builds and pushes the next version of the service. */
function publish() {
  version++;
  const context = mkdtempSync(join(tmpdir(), 'freshen-bench-'));
  copyFileSync('/bin/busybox', join(context, 'busybox'));
  writeFileSync(
    join(context, 'Dockerfile'),
    [
      'FROM scratch',
      'COPY busybox /bin/busybox',
      'RUN ["/bin/busybox", "sh", "-c", "/bin/busybox --install -s /bin && mkdir -p -m 1777 /tmp"]',
      `ENV MODE=v${version}`,
      'HEALTHCHECK --interval=1s --timeout=2s --retries=100 CMD test -f /tmp/alive',
      'CMD ["/bin/sh", "-c", "mkdir -p /www; echo $MODE > /www/index.html; (sleep 1; touch /tmp/alive) & exec httpd -f -p 80 -h /www"]',
      '',
    ].join('\n'),
  );
  docker('build1', ['build', '-q', '-t', ref, context]);
  docker('build1', ['push', '-q', ref]);
  rmSync(context, { recursive: true, force: true });
}

// A read gives up after a second: a request in flight when the old container leaves its network gets no answer and no reset,
// and without a limit the client would hang there and stop polling.
const POLLER = `$| = 1; $SIG{PIPE} = "IGNORE"; while (1) { my $c = IO::Socket::INET->new(PeerAddr => "${alias}:80", Timeout => 0.25);
  if ($c) { print $c "GET / HTTP/1.0\\r\\n\\r\\n"; my $r = eval { local $SIG{ALRM} = sub { die "timeout\\n" }; alarm 1; local $/; my $got = <$c>; alarm 0; $got // "" };
    print((defined $r && $r =~ /(v\\d+)/) ? "ok\\n" : "fail empty\\n") } else { print "fail\\n" }
  select(undef, undef, undef, 0.01) }`;

/** The client's lines since `since` (RFC 3339), with the engine's nanosecond timestamps: failed requests and the longest gap. */
function gaps(since) {
  const lines = docker('web2', ['logs', '--timestamps', '--since', since, client]).trim().split('\n').filter(Boolean);
  const polls = lines.map((line) => ({
    at: Date.parse(line.slice(0, 23) + 'Z') + Number(`0.${line.slice(23, 29).replace(/\D/g, '') || '0'}`),
    ok: line.endsWith(' ok'),
  }));
  let longest = 0;
  let lastOk;
  for (const poll of polls) {
    if (!poll.ok) continue;
    if (lastOk !== undefined) longest = Math.max(longest, poll.at - lastOk);
    lastOk = poll.at;
  }
  return { polls: polls.length, failed: polls.filter((p) => !p.ok).length, longestMs: longest };
}

const freshen = (playbook, inventory) =>
  new Promise((done, fail) => {
    const child = spawn('node', [join(repo, 'bin/freshen.js'), 'run', playbook, '-i', inventory, '--lock-wait', '10m'], { stdio: 'ignore' });
    child.on('exit', (code) => (code === 0 ? done() : fail(new Error(`freshen exited ${code}`))));
  });

function runService() {
  docker('web2', ['run', '-d', '--name', service, '--network', network, '--network-alias', alias, ref]);
  for (let i = 0; i < 100 && docker('web2', ['inspect', '-f', '{{.State.Health.Status}}', service]).trim() !== 'healthy'; i++) execFileSync('sleep', ['0.1']);
}

function plainReplace() {
  docker('web2', ['pull', '-q', ref]);
  const since = new Date().toISOString();
  docker('web2', ['stop', service]);
  docker('web2', ['rm', service]);
  runService();
  return since;
}

const dir = mkdtempSync(join(tmpdir(), 'freshen-bench-'));
const inventory = join(dir, 'inventory.yml');
writeFileSync(inventory, `all:\n  vars: { registry: "${registry}", rollout_tag: prod }\n  hosts:\n    web2: { docker: { host: "unix://${sockets.web2}" } }\n`);
const playbooks = {};
for (const order of ['start-first', 'stop-first']) {
  playbooks[order] = join(dir, `${order}.yml`);
  writeFileSync(playbooks[order], `- name: update\n  hosts: web2\n  steps: [pull, stop, { start: { order: ${order}, settle: 1s } }]\n`);
}

/** Removes every container of this bench (an interrupted run may leave `.freshen-old`/`.freshen-new` ones) and its network. */
function cleanUp() {
  const ids = docker('web2', ['ps', '-aq', '--filter', 'name=bench-order-']).trim().split('\n').filter(Boolean);
  if (ids.length > 0) quietly('web2', ['rm', '-f', ...ids]);
  quietly('web2', ['network', 'rm', network]);
}

cleanUp();
docker('web2', ['network', 'create', '--internal', network]);
docker('web2', ['pull', '-q', debian]);
publish();
docker('web2', ['pull', '-q', ref]);
runService();
docker('web2', ['run', '-d', '--name', client, '--network', network, debian, 'perl', '-MIO::Socket::INET', '-e', POLLER]);
execFileSync('sleep', ['1']);

const rows = [];
for (let round = 0; round < rounds; round++) {
  for (const method of ['start-first', 'stop-first', 'plain']) {
    publish();
    let since = new Date().toISOString();
    if (method === 'plain') since = plainReplace();
    else await freshen(playbooks[method], inventory);
    execFileSync('sleep', ['1']);
    const seen = gaps(since);
    rows.push({ method, ...seen });
    console.log(`round ${round + 1} ${method}: ${seen.failed} of ${seen.polls} requests failed, longest gap ${Math.round(seen.longestMs)} ms`);
  }
}
cleanUp();
rmSync(dir, { recursive: true, force: true });

const median = (xs) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)];
console.log(`\n| replacement | failed requests (all ${rounds} rounds) | longest gap between answers (median) | (max) |\n|---|---|---|---|`);
for (const method of ['start-first', 'stop-first', 'plain']) {
  const mine = rows.filter((r) => r.method === method);
  const label = method === 'plain' ? 'docker stop, rm, run' : `freshen, order: ${method}`;
  const total = mine.reduce((n, r) => n + r.failed, 0);
  const polls = mine.reduce((n, r) => n + r.polls, 0);
  console.log(
    `| ${label} | ${total} of ${polls} | ${Math.round(median(mine.map((r) => r.longestMs)))} ms | ${Math.round(Math.max(...mine.map((r) => r.longestMs)))} ms |`,
  );
}
