// Ten patch cycles against ten `docker commit` cycles on the same upstream image, in one run (node bench/patch-cycles.mjs,
// as root, after `npm run build` and `scripts/lab.sh up && scripts/lab.sh debian`). The upstream is the lab's debootstrapped
// bookworm with real pending updates; apt talks to the loopback mirror only.
//   patch:  `freshen run` of a playbook with one `patch` step (forced each cycle: `max_age: 1ms`, `skip_identical: false`),
//           which always upgrades the original and writes one layer on top of it.
//   commit: what patching by hand looks like: a container of the previous cycle's image runs `apt-get update && apt-get -y
//           upgrade`, and `docker commit` makes the next image.
// Prints, per cycle, the image's layer count and size (docker image inspect) and the cycle's wall time, as a Markdown table.
import { execFile } from 'node:child_process';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { promisify } from 'node:util';

const REPO = resolve(new URL('..', import.meta.url).pathname);
const FRESHEN = join(REPO, 'bin/freshen.js');
const LAB = process.env.FRESHEN_LAB_DIR ?? '/tmp/freshen-lab';
const REGISTRY = '127.0.0.1:5055';
const UPSTREAM = `${REGISTRY}/upstream/debian:bookworm`;
const SOCKET = join(LAB, 'docker/build1/docker.sock');
const CYCLES = Number(process.env.BENCH_CYCLES ?? 10);
const TARGET = `bench-patch/debian`;
const sh = promisify(execFile);
const docker = (...args) => sh('docker', ['-H', `unix://${SOCKET}`, ...args], { maxBuffer: 64 << 20 });
const MB = (bytes) => `${(bytes / 1e6).toFixed(1)} MB`;

async function inspect(ref) {
  const { stdout } = await docker('image', 'inspect', ref, '--format', '{{len .RootFS.Layers}} {{.Size}}');
  const [layers, size] = stdout.trim().split(' ').map(Number);
  return { layers, size };
}

async function timed(run) {
  const start = process.hrtime.bigint();
  await run();
  return Number(process.hrtime.bigint() - start) / 1e6;
}

const work = await mkdtemp(join(tmpdir(), 'bench-patch-'));
try {
  await docker('pull', '-q', UPSTREAM);
  const upstream = await inspect(UPSTREAM);
  const inventory = join(work, 'inventory.yml');
  const playbook = join(work, 'patch.yml');
  await writeFile(inventory, `all:\n  vars: { registry: "${REGISTRY}", rollout_tag: bench }\n  hosts:\n    build1: { docker: { host: "unix://${SOCKET}" } }\n`);
  await writeFile(
    playbook,
    `- name: patch\n  hosts: build1\n  steps:\n    - patch: { images: [{ from: "${UPSTREAM}", to: ${TARGET} }], max_age: 1ms, skip_identical: false, probe: false }\n    - push\n`,
  );
  const rows = [];
  for (let cycle = 1; cycle <= CYCLES; cycle++) {
    const ms = await timed(() =>
      sh('node', [FRESHEN, 'run', playbook, '-i', inventory], { env: { ...process.env, FRESHEN_LOCK_DIR: work }, maxBuffer: 16 << 20 }),
    );
    rows.push({ cycle, patch: { ...(await inspect(`${REGISTRY}/${TARGET}:bench`)), ms } });
  }
  let image = UPSTREAM;
  for (let cycle = 1; cycle <= CYCLES; cycle++) {
    const name = `bench-patch-commit`;
    const next = `bench-patch/commit:${cycle}`;
    const ms = await timed(async () => {
      await docker(
        'run',
        '--name',
        name,
        '--network',
        'host',
        image,
        'sh',
        '-c',
        'export DEBIAN_FRONTEND=noninteractive; apt-get -qq update && apt-get -y -qq upgrade >/dev/null',
      );
      await docker('commit', name, next);
      await docker('rm', name);
    });
    image = next;
    rows[cycle - 1].commit = { ...(await inspect(next)), ms };
  }
  console.log(`Upstream ${UPSTREAM}: ${upstream.layers} layer(s), ${MB(upstream.size)}.\n`);
  console.log('| cycle | patch: layers | patch: size | patch: time | docker commit: layers | docker commit: size | docker commit: time |');
  console.log('|---|---|---|---|---|---|---|');
  for (const r of rows) {
    console.log(
      `| ${r.cycle} | ${r.patch.layers} | ${MB(r.patch.size)} | ${(r.patch.ms / 1000).toFixed(1)} s | ${r.commit.layers} | ${MB(r.commit.size)} | ${(r.commit.ms / 1000).toFixed(1)} s |`,
    );
  }
} finally {
  for (let cycle = 1; cycle <= CYCLES; cycle++) await docker('rmi', `bench-patch/commit:${cycle}`).catch(() => undefined);
  await rm(work, { recursive: true, force: true });
}
