// Rebase against rebuild of the same image after its base's security update, in one run (node bench/rebase.mjs, as root, after
// `npm run build` and `scripts/lab.sh up && scripts/lab.sh debian`). apt talks to the lab's loopback mirror only.
//   setup:   freshen builds a Debian base without its pending upgrades and 1 + BENCH_REBUILDS identical apps on it (COPY of
//            BENCH_APP_MB of files and a script), then BENCH_FLEET images like the first app, each with an own layer of its
//            own (BENCH_FLEET_LAYER_MB of random bytes), and then the base again with the upgrades (its security update).
//   rebuild: `freshen run` of discover, rebuild and push for the BENCH_REBUILDS apps, on build1's engine (no cache).
//   rebase:  `freshen run` of one `rebase` step for the first app, on a host with only `registry`, through a counting proxy.
//   fleet:   the same for the BENCH_FLEET copies at once: the base's layers are read once for all of them.
// Prints the wall times and the bytes freshen moved to and from the registry, as a Markdown table.
import { execFile } from 'node:child_process';
import { createHash, randomBytes } from 'node:crypto';
import { gzipSync } from 'node:zlib';
import { mkdir, mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { promisify } from 'node:util';
import { startCountingProxy } from './countingProxy.mjs';

const REPO = resolve(new URL('..', import.meta.url).pathname);
const FRESHEN = join(REPO, 'bin/freshen.js');
const LAB = process.env.FRESHEN_LAB_DIR ?? '/tmp/freshen-lab';
const REGISTRY = '127.0.0.1:5055';
const SOCKET = join(LAB, 'docker/build1/docker.sock');
const FLEET = Number(process.env.BENCH_FLEET ?? 100);
const APP_MB = Number(process.env.BENCH_APP_MB ?? 20);
const FLEET_LAYER_MB = Number(process.env.BENCH_FLEET_LAYER_MB ?? 2);
const REBUILDS = Number(process.env.BENCH_REBUILDS ?? 10);
const P = `bench-rebase-${randomBytes(3).toString('hex')}`;
const sh = promisify(execFile);
const MB = (bytes) => `${(bytes / 1e6).toFixed(2)} MB`;
const s = (ms) => `${(ms / 1000).toFixed(2)} s`;

async function timed(run) {
  const start = process.hrtime.bigint();
  await run();
  return Number(process.hrtime.bigint() - start) / 1e6;
}

const work = await mkdtemp(join(tmpdir(), 'bench-rebase-'));
const freshen = (playbook, inventory) =>
  sh('node', [FRESHEN, 'run', playbook, '-i', inventory], { env: { ...process.env, FRESHEN_LOCK_DIR: work }, maxBuffer: 64 << 20 }).catch((error) => {
    throw new Error(`${error.message}\n${error.stdout}`);
  });
const registry = (path, init = {}) => fetch(`http://${REGISTRY}${path}`, init);

/** Uploads `bytes` as a blob of `repository` (one monolithic PUT); returns its digest. */
async function uploadBlob(repository, bytes) {
  const digest = `sha256:${createHash('sha256').update(bytes).digest('hex')}`;
  const started = await registry(`/v2/${repository}/blobs/uploads/`, { method: 'POST' });
  const location = new URL(started.headers.get('location'), `http://${REGISTRY}`);
  location.searchParams.set('digest', digest);
  const put = await registry(location.pathname + location.search, { method: 'PUT', headers: { 'content-type': 'application/octet-stream' }, body: bytes });
  if (put.status !== 201) throw new Error(`uploading to ${repository}: ${put.status}`);
  return digest;
}

/**
 * Makes `to`:prod from `from`'s prod image with its last layer replaced by one of `to`'s own (FLEET_LAYER_MB of files of its
 * own content, made by GNU tar): the same base, labels and history, so each fleet image has an own layer to read.
 */
async function fleetImage(from, to, index) {
  const accept = 'application/vnd.docker.distribution.manifest.v2+json';
  const answer = await registry(`/v2/${from}/manifests/prod`, { headers: { accept } });
  const manifest = await answer.json();
  const config = await (await registry(`/v2/${from}/blobs/${manifest.config.digest}`)).json();
  const dir = await mkdtemp(join(work, 'layer-'));
  await mkdir(join(dir, 'srv/app'), { recursive: true });
  await writeFile(join(dir, 'srv/app/data.bin'), randomBytes(FLEET_LAYER_MB << 20));
  await writeFile(join(dir, 'srv/app/id'), `${index}\n`);
  const { stdout: tar } = await sh('tar', ['-cf', '-', '--owner=0', '--group=0', '-C', dir, 'srv'], { encoding: 'buffer', maxBuffer: 256 << 20 });
  await rm(dir, { recursive: true, force: true });
  const gz = gzipSync(tar);
  for (const blob of manifest.layers.slice(0, -1)) {
    const mounted = await registry(`/v2/${to}/blobs/uploads/?mount=${blob.digest}&from=${from}`, { method: 'POST' });
    if (mounted.status !== 201) throw new Error(`mounting ${blob.digest} into ${to}: ${mounted.status}`);
  }
  const layer = { mediaType: manifest.layers.at(-1).mediaType, digest: await uploadBlob(to, gz), size: gz.length };
  config.rootfs.diff_ids[config.rootfs.diff_ids.length - 1] = `sha256:${createHash('sha256').update(tar).digest('hex')}`;
  const configBytes = Buffer.from(JSON.stringify(config));
  const configDescriptor = { ...manifest.config, digest: await uploadBlob(to, configBytes), size: configBytes.length };
  const body = JSON.stringify({ ...manifest, config: configDescriptor, layers: [...manifest.layers.slice(0, -1), layer] });
  const put = await registry(`/v2/${to}/manifests/prod`, { method: 'PUT', headers: { 'content-type': manifest.mediaType }, body });
  if (put.status !== 201) throw new Error(`putting ${to}:prod: ${put.status}`);
}

const proxy = await startCountingProxy(REGISTRY);
try {
  const tree = join(work, 'tree');
  const baseTree = join(work, 'base-tree');
  const rebuildTree = join(work, 'rebuild-tree');
  const baseDockerfile = await readFile(join(REPO, 'lab/debian/images/deb/base/Dockerfile'), 'utf8');
  for (const root of [tree, baseTree]) {
    await mkdir(join(root, P, 'base'), { recursive: true });
    await writeFile(join(root, P, 'base/Dockerfile'), baseDockerfile);
  }
  const app = `ARG REGISTRY=${REGISTRY}\nFROM \${REGISTRY}/${P}/base:prod\nCOPY srv/ /srv/app/\nCOPY app.sh /usr/local/bin/app.sh\nENV APP_MODE=serve\nCMD ["/bin/sh", "/usr/local/bin/app.sh"]\n`;
  const rebuilds = Array.from({ length: REBUILDS }, (_, i) => `app-rebuild-${i}`);
  for (const dir of [join(tree, P, 'app-rebase'), ...rebuilds.flatMap((name) => [join(tree, P, name), join(rebuildTree, P, name)])]) {
    await mkdir(join(dir, 'srv'), { recursive: true });
    await writeFile(join(dir, 'Dockerfile'), app);
    await writeFile(join(dir, 'app.sh'), "#!/bin/sh\ntrap 'exit 0' TERM\nwhile true; do sleep 1; done\n");
    // The app's files: a few of them, the same in every app (each app's build makes its own layer of them).
    for (let i = 0; i < 4; i++) await writeFile(join(dir, 'srv', `part${i}.bin`), Buffer.alloc((APP_MB << 20) / 4, i * 37 + 11));
  }
  const inventory = join(work, 'inventory.yml');
  await writeFile(
    inventory,
    `all:\n  vars: { registry: "${REGISTRY}" }\n  hosts:\n    build1: { docker: { host: "unix://${SOCKET}" } }\n    reg: { registry_url: "http://${proxy.address}" }\n`,
  );
  const play = async (name, hosts, steps, dir = tree) => {
    const file = join(dir, `${name}.yml`);
    await writeFile(file, `- name: ${name}\n  hosts: ${hosts}\n  steps:\n${steps.map((step) => `    - ${step}\n`).join('')}`);
    return file;
  };
  console.error('seeding the base without its upgrades, and the apps on it');
  await freshen(await play('seed', 'build1', ['discover: { root: ., include_unpublished: true }', 'rebuild: { network: none }', 'push']), inventory);
  for (let i = 0; i < FLEET; i++) await fleetImage(`${P}/app-rebase`, `${P}/fleet-${String(i).padStart(3, '0')}`, i);
  console.error("the base's security update");
  await freshen(await play('update', 'build1', ['discover: { root: ., probe: { network: host } }', 'rebuild: { network: host }', 'push'], baseTree), inventory);

  const rebuildMs = await timed(async () =>
    freshen(await play('rebuild', 'build1', ['discover: { root: . }', 'rebuild: { network: none }', 'push'], rebuildTree), inventory),
  );
  proxy.bytes.sent = proxy.bytes.received = 0;
  const rebaseMs = await timed(async () => freshen(await play('rebase', 'reg', [`rebase: { images: [${P}/app-rebase] }`]), inventory));
  const one = { ...proxy.bytes };
  proxy.bytes.sent = proxy.bytes.received = 0;
  const fleetMs = FLEET > 0 ? await timed(async () => freshen(await play('fleet', 'reg', [`rebase: { images: ["${P}/fleet-*"] }`]), inventory)) : 0;
  const fleet = { ...proxy.bytes };
  console.log(`| | wall time | to the registry | from the registry |`);
  console.log(`|---|---|---|---|`);
  console.log(`| rebuild and push ${REBUILDS} apps (no cache, build1) | ${s(rebuildMs)} (${s(rebuildMs / REBUILDS)} each) | their new layers (the engine pushes; not counted) | |`);
  console.log(`| rebase one app (registry only) | ${s(rebaseMs)} | ${MB(one.sent)} | ${MB(one.received)} |`);
  if (FLEET > 0)
    console.log(`| rebase ${FLEET} apps on one base | ${s(fleetMs)} (${s(fleetMs / FLEET)} each) | ${MB(fleet.sent)} | ${MB(fleet.received)} |`);
  console.log(`\nper app: rebuild ${s(rebuildMs / REBUILDS)}, rebase alone ${s(rebaseMs)} (${(rebuildMs / REBUILDS / rebaseMs).toFixed(1)} ×)${FLEET > 0 ? `, rebase in a fleet of ${FLEET} ${s(fleetMs / FLEET)} (${(rebuildMs / REBUILDS / (fleetMs / FLEET)).toFixed(1)} ×)` : ''}`);
} finally {
  // The benchmark's repositories go: every manifest their tags name (registry gc then frees the blobs).
  const names = ['base', 'app-rebase', ...Array.from({ length: REBUILDS }, (_, i) => `app-rebuild-${i}`), ...Array.from({ length: FLEET }, (_, i) => `fleet-${String(i).padStart(3, '0')}`)];
  for (const repository of names.map((name) => `${P}/${name}`)) {
    const { tags } = await (await registry(`/v2/${repository}/tags/list`)).json().catch(() => ({}));
    for (const tag of tags ?? []) {
      const head = await registry(`/v2/${repository}/manifests/${tag}`, {
        method: 'HEAD',
        headers: { accept: 'application/vnd.docker.distribution.manifest.v2+json, application/vnd.oci.image.manifest.v1+json, application/vnd.oci.image.index.v1+json' },
      });
      const digest = head.headers.get('docker-content-digest');
      if (digest) await registry(`/v2/${repository}/manifests/${digest}`, { method: 'DELETE' });
    }
  }
  const { stdout: local } = await sh('docker', ['-H', `unix://${SOCKET}`, 'images', '-q', '--filter', `reference=${REGISTRY}/${P}/*`]);
  const ids = [...new Set(local.split('\n').filter(Boolean))];
  if (ids.length > 0) await sh('docker', ['-H', `unix://${SOCKET}`, 'rmi', '-f', ...ids]).catch(() => undefined);
  await proxy.close();
  await rm(work, { recursive: true, force: true });
}
