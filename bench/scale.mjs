// The scale benchmarks (npm run bench): start-up, the daily no-op image check at 30 to 1000 images against serial and
// parallel curl loops, check mode with every image stale, and control-node memory over many hosts served by a minimal fake
// Engine API. Each scenario runs BENCH_ROUNDS times beside its baseline in the same run; the page (docs/benchmarks.md,
// between the scale markers) gets median, min and max, the machine, the date and the exact commands.
// Needs the lab up (npm run bench starts it), root (the lab), curl and GNU time (/usr/bin/time, for peak RSS).
import { execFile, spawn } from 'node:child_process';
import { cpus, loadavg, totalmem, tmpdir } from 'node:os';
import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { existsSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { promisify } from 'node:util';
import { publishFresh, touchTree, writeTree } from './fixtures.mjs';
import { startCountingProxy } from './countingProxy.mjs';
import { startFakeEngine } from './fakeEngine.mjs';

const REPO = resolve(new URL('..', import.meta.url).pathname);
const FRESHEN = join(REPO, 'bin/freshen.js');
const LAB = process.env.FRESHEN_LAB_DIR ?? '/tmp/freshen-lab';
const REGISTRY = '127.0.0.1:5055';
const BUILDER_SOCKET = join(LAB, 'docker/build1/docker.sock');
const TAG = 'bench';
const SIZES = (process.env.BENCH_SIZES ?? '30,100,300,1000').split(',').map(Number);
const STALE_SIZE = Number(process.env.BENCH_STALE_SIZE ?? 300);
const HOST_COUNTS = (process.env.BENCH_HOSTS ?? '100,500').split(',').map(Number);
const ROUNDS = Number(process.env.BENCH_ROUNDS ?? 3);
const ROLLOUT_HOSTS = Number(process.env.BENCH_ROLLOUT_HOSTS ?? 30);
const FORKS = 10;
/** Which scenarios run (all by default); the page keeps the others' last figures only when all run, so use it for trials. */
const SCENARIOS = new Set((process.env.BENCH_SCENARIOS ?? 'startup,noop,stale,rollout,hosts').split(','));
const ACCEPT = 'Accept: application/vnd.docker.distribution.manifest.v2+json, application/vnd.oci.image.manifest.v1+json';
const TIME = '/usr/bin/time';

const sh = promisify(execFile);
const median = (xs) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)];
const fmt = (ms) => (ms >= 10_000 ? `${(ms / 1000).toFixed(1)} s` : `${Math.round(ms)} ms`);
const stats = (xs) => `${fmt(median(xs))} (${fmt(Math.min(...xs))}–${fmt(Math.max(...xs))})`;
const log = (line) => process.stderr.write(`bench: ${line}\n`);

/** Runs a command, timing it from spawn to exit; peak RSS from GNU time when it is there. */
async function timed(command, args, env = {}) {
  const rssFile = join(tmpdir(), `bench-rss-${process.pid}-${Math.random().toString(36).slice(2)}`);
  const withTime = existsSync(TIME) ? [TIME, ['-f', '%M', '-o', rssFile, command, ...args]] : [command, args];
  const started = process.hrtime.bigint();
  const { code, stderr } = await new Promise((done) => {
    const child = spawn(withTime[0], withTime[1], { env: { ...process.env, ...env }, stdio: ['ignore', 'ignore', 'pipe'] });
    let err = '';
    child.stderr.on('data', (chunk) => (err += chunk));
    child.on('close', (exit) => done({ code: exit, stderr: err }));
  });
  const ms = Number(process.hrtime.bigint() - started) / 1e6;
  const rssKiB = Number((await readFile(rssFile, 'utf8').catch(() => '')).trim().split('\n').pop()) || undefined;
  await rm(rssFile, { force: true });
  if (code !== 0) throw new Error(`${command} ${args.join(' ')} exited ${code}:\n${stderr.slice(-2000)}`);
  return { ms, rssMiB: rssKiB !== undefined ? rssKiB / 1024 : undefined };
}

/** `rounds` alternating runs of each contender, so load changes hit all of them alike. */
async function sideBySide(contenders, rounds = ROUNDS) {
  const results = Object.fromEntries(Object.keys(contenders).map((k) => [k, []]));
  for (let r = 0; r < rounds; r++) for (const [name, run] of Object.entries(contenders)) results[name].push(await run());
  return results;
}

const freshenRun = (playbook, inventory, extra = [], env = {}) => timed(process.execPath, [FRESHEN, 'run', playbook, '-i', inventory, ...extra], env);

async function inventoryFile(dir, name, vars, hosts) {
  const path = join(dir, name);
  await writeFile(path, JSON.stringify({ all: { vars, children: { builders: { hosts } } } }));
  return path;
}

async function startup(dir) {
  log('start-up');
  const results = await sideBySide(
    {
      node: () => timed(process.execPath, ['-e', '0']),
      version: () => timed(process.execPath, [FRESHEN, '--version']),
      validate: () => timed(process.execPath, [FRESHEN, 'validate', join(REPO, 'playbooks/demo.yml'), '-i', join(REPO, 'inventories/example.yml')]),
    },
    Math.max(ROUNDS, 5),
  );
  void dir;
  return [
    '| command | wall time, median (min–max) | peak RSS |',
    '|---|---|---|',
    `| \`node -e 0\` (the floor) | ${stats(results.node.map((r) => r.ms))} | ${Math.round(median(results.node.map((r) => r.rssMiB ?? 0)))} MiB |`,
    `| \`freshen --version\` | ${stats(results.version.map((r) => r.ms))} | ${Math.round(median(results.version.map((r) => r.rssMiB ?? 0)))} MiB |`,
    `| \`freshen validate playbooks/demo.yml -i inventories/example.yml\` | ${stats(results.validate.map((r) => r.ms))} | ${Math.round(median(results.validate.map((r) => r.rssMiB ?? 0)))} MiB |`,
  ];
}

async function noOp(dir) {
  const rows = [
    '| images | freshen | serial curl | parallel curl (8) | freshen / parallel | requests per repository | freshen peak RSS |',
    '|---|---|---|---|---|---|---|',
  ];
  const points = [];
  for (const size of SIZES) {
    log(`no-op check at ${size} images: publishing`);
    const tree = join(dir, `tree-${size}`);
    const repos = await writeTree(tree, `bench-n${size}`, size);
    await publishFresh(`http://${REGISTRY}`, tree, repos, TAG);
    const list = join(dir, `repos-${size}.txt`);
    await writeFile(list, repos.map((r) => `http://${REGISTRY}/v2/${r}/manifests/${TAG}`).join('\n') + '\n');
    const playbook = join(dir, `discover-${size}.yml`);
    await writeFile(playbook, `- name: Look\n  hosts: builders\n  steps:\n    - discover: { root: ${tree} }\n`);
    const hosts = { build1: { docker: { host: `unix://${BUILDER_SOCKET}` } } };
    const inventory = await inventoryFile(dir, `inventory-${size}.yml`, { registry: REGISTRY, rollout_tag: TAG }, hosts);
    const env = { FRESHEN_CACHE_DIR: join(dir, `cache-${size}`) };
    // The cache is the daily run's state: fill it once, as yesterday's run did.
    await freshenRun(playbook, inventory, [], env);
    const proxy = await startCountingProxy(REGISTRY);
    const viaProxy = await inventoryFile(
      dir,
      `inventory-${size}-proxy.yml`,
      { registry: REGISTRY, registry_url: `http://${proxy.address}`, rollout_tag: TAG },
      hosts,
    );
    await freshenRun(playbook, viaProxy, [], env);
    const perRepo = proxy.requests.length / size;
    await proxy.close();
    log(`no-op check at ${size} images: timing`);
    const results = await sideBySide({
      freshen: () => freshenRun(playbook, inventory, [], env),
      serial: () => timed('bash', ['-c', `while read -r url; do curl -s -o /dev/null -I -H '${ACCEPT}' "$url"; done < ${list}`]),
      parallel: () => timed('bash', ['-c', `xargs -P 8 -n 1 curl -s -o /dev/null -I -H '${ACCEPT}' < ${list}`]),
    });
    const f = results.freshen.map((r) => r.ms);
    const p = results.parallel.map((r) => r.ms);
    points.push({ size, freshen: median(f), serial: median(results.serial.map((r) => r.ms)) });
    rows.push(
      `| ${size} | ${stats(f)} | ${stats(results.serial.map((r) => r.ms))} | ${stats(p)} | ${(median(f) / median(p)).toFixed(2)} | ${perRepo.toFixed(2)} | ${Math.round(median(results.freshen.map((r) => r.rssMiB ?? 0)))} MiB |`,
    );
    await cleanRegistry(repos);
  }
  const [first, last] = [points[0], points.at(-1)];
  const slope = (key) => ((last[key] - first[key]) / (last.size - first.size)).toFixed(2);
  if (points.length > 1)
    rows.push('', `Per-repository slope between ${first.size} and ${last.size} images: freshen ${slope('freshen')} ms, serial curl ${slope('serial')} ms.`);
  return rows;
}

async function allStale(dir) {
  log(`check mode with ${STALE_SIZE} stale images`);
  const tree = join(dir, 'tree-stale');
  const repos = await writeTree(tree, `bench-stale${STALE_SIZE}`, STALE_SIZE);
  await publishFresh(`http://${REGISTRY}`, tree, repos, TAG);
  await touchTree(tree, repos, 'changed');
  // A builder with a long image list, as a real one has: 600 tags of one image.
  const filler = await fillBuilder(600);
  const playbook = join(dir, 'stale.yml');
  await writeFile(playbook, `- name: Rebuild\n  hosts: builders\n  steps:\n    - discover: { root: ${tree} }\n    - rebuild\n    - push\n`);
  const inventory = await inventoryFile(
    dir,
    'inventory-stale.yml',
    { registry: REGISTRY, rollout_tag: TAG },
    { build1: { docker: { host: `unix://${BUILDER_SOCKET}` } } },
  );
  const env = { FRESHEN_CACHE_DIR: join(dir, 'cache-stale') };
  const results = await sideBySide({ check: () => freshenRun(playbook, inventory, ['--check'], env) });
  await filler.remove();
  await cleanRegistry(repos);
  return [
    '| scenario | wall time, median (min–max) | peak RSS |',
    '|---|---|---|',
    `| \`freshen run … --check\`: discover, rebuild and push of ${STALE_SIZE} stale images, builder engine with ${filler.count} more tags | ${stats(results.check.map((r) => r.ms))} | ${Math.round(median(results.check.map((r) => r.rssMiB ?? 0)))} MiB |`,
  ];
}

const APP_CMD = `sh -c "trap 'exit 0' TERM; while true; do sleep 1; done"`;

/** Builds `ref` on build1 from the lab's upstream image with one label, and pushes it. */
async function buildAndPush(ref, version) {
  const dockerfile = `FROM ${REGISTRY}/upstream/os:stable\nLABEL bench.version=${version}\n`;
  await sh('bash', [
    '-c',
    `printf '${dockerfile}' | DOCKER_BUILDKIT=0 docker -H unix://${BUILDER_SOCKET} build -q -t ${ref} - && docker -H unix://${BUILDER_SOCKET} push -q ${ref}`,
  ]);
}

async function rollout(dir) {
  log(`rollout over ${ROLLOUT_HOSTS} hosts: starting their engines`);
  const engines = join(REPO, 'bench/engines.sh');
  const started = await sh('bash', [engines, 'start', String(ROLLOUT_HOSTS)], { maxBuffer: 16 << 20 });
  const sockets = started.stdout
    .trim()
    .split('\n')
    .map((line) => line.split(' ')[1]);
  const base = `${REGISTRY}/bench-roll/app`;
  const ref = `${base}:${TAG}`;
  try {
    for (const version of [1, 2]) await buildAndPush(`${base}:v${version}`, version);
    let current = 1;
    /** Points `:bench` at the other build, so every contender has a real update to roll out. */
    const flip = async () => {
      current = 3 - current;
      await sh('bash', ['-c', `docker -H unix://${BUILDER_SOCKET} tag ${base}:v${current} ${ref} && docker -H unix://${BUILDER_SOCKET} push -q ${ref}`]);
    };
    await flip();
    await Promise.all(
      sockets.map((socket) =>
        sh('bash', [
          '-c',
          `docker -H unix://${socket} pull -q ${ref} >/dev/null && docker -H unix://${socket} run -d --name app --network none --restart unless-stopped ${ref} ${APP_CMD}`,
        ]),
      ),
    );
    const list = join(dir, 'sockets.txt');
    await writeFile(list, sockets.join('\n') + '\n');
    const script = join(dir, 'replace.sh');
    await writeFile(
      script,
      [
        '#!/bin/sh',
        '# The hand-written update of one host: pull, then stop, remove and run again.',
        'set -e',
        `docker -H "unix://$1" pull -q ${ref} >/dev/null`,
        `docker -H "unix://$1" stop -t 30 app >/dev/null`,
        `docker -H "unix://$1" rm app >/dev/null`,
        `docker -H "unix://$1" run -d --name app --network none --restart unless-stopped ${ref} ${APP_CMD} >/dev/null`,
        '',
      ].join('\n'),
    );
    const hosts = Object.fromEntries(sockets.map((socket, i) => [`b${String(i + 1).padStart(2, '0')}`, { docker: { host: `unix://${socket}` } }]));
    const inventory = join(dir, 'inventory-rollout.yml');
    await writeFile(inventory, JSON.stringify({ all: { vars: { registry: REGISTRY, rollout_tag: TAG }, children: { web: { hosts } } } }));
    const playbook = join(dir, 'rollout-real.yml');
    await writeFile(playbook, '- name: Roll out\n  hosts: web\n  steps: [pull, stop, { start: { settle: 0s } }]\n');
    log(`rollout over ${ROLLOUT_HOSTS} hosts: timing`);
    const results = await sideBySide({
      freshen: async () => (await flip(), freshenRun(playbook, inventory, ['--forks', String(FORKS)])),
      parallel: async () => (await flip(), timed('bash', ['-c', `xargs -P ${FORKS} -n 1 sh ${script} < ${list}`])),
      serial: async () => (await flip(), timed('bash', ['-c', `while read -r socket; do sh ${script} "$socket"; done < ${list}`])),
    });
    const [f, p, q] = ['freshen', 'parallel', 'serial'].map((k) => results[k].map((r) => r.ms));
    const overhead = (median(f) - median(p)) / (ROLLOUT_HOSTS * 3);
    return [
      '| contender | wall time, median (min–max) | against the parallel script |',
      '|---|---|---|',
      `| freshen \`pull, stop, start\` (\`--forks ${FORKS}\`, \`settle: 0s\`) | ${stats(f)} | ${(median(f) / median(p)).toFixed(2)} |`,
      `| parallel script (\`xargs -P ${FORKS}\`) | ${stats(p)} | 1.00 |`,
      `| serial script | ${stats(q)} | ${(median(q) / median(p)).toFixed(2)} |`,
      '',
      `freshen's overhead per host-step: ${overhead.toFixed(1)} ms ((freshen − parallel script) / (${ROLLOUT_HOSTS} hosts × 3 steps)).`,
    ];
  } finally {
    await sh('bash', [engines, 'stop', String(ROLLOUT_HOSTS)]).catch((error) => log(`stopping the engines: ${error.message}`));
  }
}

async function manyHosts(dir) {
  const rows = ['| hosts | wall time, median (min–max) | peak RSS | per host |', '|---|---|---|---|'];
  for (const count of HOST_COUNTS) {
    log(`control node over ${count} hosts (fake Engine API)`);
    const engine = await startFakeEngine(join(dir, `engine-${count}.sock`));
    const hosts = Object.fromEntries(
      Array.from({ length: count }, (_, i) => [`host${String(i).padStart(3, '0')}`, { docker: { host: `unix://${engine.socket}` } }]),
    );
    const path = join(dir, `inventory-hosts-${count}.yml`);
    await writeFile(path, JSON.stringify({ all: { vars: { registry: REGISTRY, rollout_tag: TAG }, children: { web: { hosts } } } }));
    const playbook = join(dir, 'rollout.yml');
    await writeFile(playbook, '- name: Roll out\n  hosts: web\n  steps: [pull, stop, start]\n');
    const results = await sideBySide({ run: () => freshenRun(playbook, path) });
    await engine.close();
    const rss = median(results.run.map((r) => r.rssMiB ?? 0));
    rows.push(`| ${count} | ${stats(results.run.map((r) => r.ms))} | ${Math.round(rss)} MiB | ${fmt(median(results.run.map((r) => r.ms)) / count)} |`);
  }
  return rows;
}

/** Tags one image on build1 `count` times; `remove` untags them. */
async function fillBuilder(count) {
  const docker = (...args) => sh('docker', ['-H', `unix://${BUILDER_SOCKET}`, ...args], { maxBuffer: 64 << 20 });
  const image = (await docker('images', '-q', `${REGISTRY}/upstream/os:stable`)).stdout.trim().split('\n')[0];
  for (let i = 0; i < count; i += 50) {
    await Promise.all(Array.from({ length: Math.min(50, count - i) }, (_, j) => docker('tag', image, `bench/filler:${i + j}`)));
  }
  return {
    count,
    remove: async () => {
      for (let i = 0; i < count; i += 100) await docker('rmi', ...Array.from({ length: Math.min(100, count - i) }, (_, j) => `bench/filler:${i + j}`));
    },
  };
}

/** Deletes the benchmark's manifests from the lab registry (blobs go with the lab's next garbage collection). */
async function cleanRegistry(repos) {
  let next = 0;
  const worker = async () => {
    while (next < repos.length) {
      const repo = repos[next++];
      const head = await fetch(`http://${REGISTRY}/v2/${repo}/manifests/${TAG}`, { method: 'HEAD', headers: { Accept: ACCEPT.slice(8) } });
      const digest = head.headers.get('docker-content-digest');
      if (digest) await fetch(`http://${REGISTRY}/v2/${repo}/manifests/${digest}`, { method: 'DELETE' });
    }
  };
  await Promise.all(Array.from({ length: 8 }, worker));
}

async function machine() {
  const model = cpus()[0]?.model ?? 'unknown CPU';
  const docker = (
    await sh('docker', ['-H', `unix://${BUILDER_SOCKET}`, 'version', '--format', '{{.Server.Version}}']).catch(() => ({ stdout: '?' }))
  ).stdout.trim();
  return `${cpus().length} × ${model}, ${Math.round(totalmem() / 2 ** 30)} GiB, load average ${loadavg()[0].toFixed(1)} at the start; Node.js ${process.version}; Docker ${docker}; registry on loopback`;
}

async function writePage(sections, about) {
  const page = join(REPO, 'docs/benchmarks.md');
  const text = await readFile(page, 'utf8');
  const [begin, end] = ['<!-- scale:begin (written by npm run bench) -->', '<!-- scale:end -->'];
  const body = [
    begin,
    '## Scale (`npm run bench`)',
    '',
    `Measured ${new Date().toISOString().slice(0, 10)} on ${about}. ${ROUNDS} rounds per scenario, contenders alternating within each`,
    'round; times are wall times from spawn to exit (start-up included), peak RSS from GNU time.',
    '',
    ...sections.flatMap(([title, commands, rows]) => [`### ${title}`, '', ...commands, '', ...rows, '']),
    end,
  ].join('\n');
  const next = text.includes(begin) ? text.slice(0, text.indexOf(begin)) + body + text.slice(text.indexOf(end) + end.length) : `${text.trimEnd()}\n\n${body}\n`;
  await writeFile(page, next);
  log(`wrote ${page}`);
}

const dir = await mkdtemp(join(tmpdir(), 'freshen-bench-'));
try {
  const about = await machine();
  const sections = [];
  if (SCENARIOS.has('startup'))
    sections.push(['Start-up', ['`node bin/freshen.js --version`, `node bin/freshen.js validate …`, and `node -e 0` as the floor.'], await startup(dir)]);
  if (SCENARIOS.has('noop'))
    sections.push([
      'The daily no-op image check',
      [
        'A tree of N repositories, each published fresh in the lab registry (`bench/fixtures.mjs`); `freshen run` of a playbook with',
        'only `discover`, its config cache filled by one run before. Baselines: `curl -I` of each `REPO:bench` manifest, one after',
        'another (`while read url; do curl …; done`) and 8 at a time (`xargs -P 8 curl …`). Requests are counted by a loopback proxy',
        '(`bench/countingProxy.mjs`) in one more run.',
      ],
      await noOp(dir),
    ]);
  if (SCENARIOS.has('stale'))
    sections.push([
      'Check mode with every image stale',
      ['The same tree with every context changed, `discover`, `rebuild` and `push` under `--check`.'],
      await allStale(dir),
    ]);
  if (SCENARIOS.has('rollout'))
    sections.push([
      `A rollout over ${ROLLOUT_HOSTS} container hosts`,
      [
        `${ROLLOUT_HOSTS} extra dockerds (\`bench/engines.sh\`, built like the lab's), each running one container of \`bench-roll/app:bench\`;`,
        'before every contender `:bench` is moved to the other of two builds, so each one rolls out a real update. Baselines: the',
        'same `docker pull; docker stop; docker rm; docker run` per host, with the same concurrency (`xargs -P`), and one host',
        'after another.',
      ],
      await rollout(dir),
    ]);
  if (SCENARIOS.has('hosts'))
    sections.push([
      'Control node over many hosts',
      [
        '`pull, stop, start` over N hosts whose engine is a minimal fake Engine API on a unix socket (`bench/fakeEngine.mjs`), with no',
        'managed containers: what freshen itself costs per host (connections, variables, events, report), not the engines’ work.',
      ],
      await manyHosts(dir),
    ]);
  await writePage(sections, about);
} finally {
  await rm(dir, { recursive: true, force: true });
}
