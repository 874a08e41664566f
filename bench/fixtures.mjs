// Fixtures for the scale benchmarks: an image tree of N repositories and, for each, a published image in the lab registry
// whose provenance labels match the tree, so discover finds them fresh. Published straight over the registry API (one
// shared layer, one config and one manifest per repository) because building 1000 images would take the benchmark's hour;
// the labels come from freshen's own code (dist/), so discover judges them exactly as it judges images it built.
import { createHash } from 'node:crypto';
import { mkdir, rm, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { gzipSync } from 'node:zlib';
import { readBuildContext } from '../dist/images/contextFiles.js';

const sha256 = (bytes) => `sha256:${createHash('sha256').update(bytes).digest('hex')}`;

/** A tar of one empty-ish file, gzipped: the layer every fixture image shares. */
function tinyLayer() {
  const header = Buffer.alloc(512);
  header.write('f', 0);
  header.write('0000644\0', 100);
  header.write('0000000\0', 108);
  header.write('0000000\0', 116);
  header.write('00000000000\0', 124);
  header.write('00000000000\0', 136);
  header.write('        ', 148);
  header.write('0', 156);
  header.write('ustar\0', 257);
  header.write('00', 263);
  let sum = 0;
  for (const byte of header) sum += byte;
  header.write(`${sum.toString(8).padStart(6, '0')}\0 `, 148);
  const tar = Buffer.concat([header, Buffer.alloc(1024)]);
  return { gz: gzipSync(tar), diffId: sha256(tar) };
}

/** Writes `count` image directories below `root`: `PREFIX/img-0000` … with a Dockerfile FROM scratch and one file. */
export async function writeTree(root, prefix, count) {
  await rm(root, { recursive: true, force: true });
  const repos = [];
  for (let i = 0; i < count; i++) {
    const repo = `${prefix}/img-${String(i).padStart(4, '0')}`;
    await mkdir(join(root, repo), { recursive: true });
    await writeFile(join(root, repo, 'Dockerfile'), 'FROM scratch\nCOPY f /f\n');
    await writeFile(join(root, repo, 'f'), `${repo}\n`);
    repos.push(repo);
  }
  return repos;
}

/** Changes every image's context, so discover finds all of them stale (`context-changed`). */
export async function touchTree(root, repos, marker) {
  for (const repo of repos) await writeFile(join(root, repo, 'f'), `${repo} ${marker}\n`);
}

async function request(url, method, body, headers = {}) {
  const response = await fetch(url, { method, body, headers, redirect: 'manual' });
  if (response.status >= 300) throw new Error(`${method} ${url}: ${response.status} ${await response.text()}`);
  return response;
}

async function uploadBlob(registryUrl, repo, bytes, digest) {
  const head = await fetch(`${registryUrl}/v2/${repo}/blobs/${digest}`, { method: 'HEAD' });
  if (head.status === 200) return;
  const start = await request(`${registryUrl}/v2/${repo}/blobs/uploads/`, 'POST');
  const location = new URL(start.headers.get('location'), registryUrl);
  location.searchParams.set('digest', digest);
  await request(location.href, 'PUT', bytes, { 'Content-Type': 'application/octet-stream' });
}

/** Publishes `repo:tag` for every repository, fresh against the tree below `root`; `concurrency` uploads at once. */
export async function publishFresh(registryUrl, root, repos, tag, concurrency = 8) {
  const layer = tinyLayer();
  const layerDigest = sha256(layer.gz);
  let next = 0;
  const worker = async () => {
    while (next < repos.length) {
      const repo = repos[next++];
      const context = await readBuildContext(join(root, repo));
      const config = Buffer.from(
        JSON.stringify({
          architecture: 'amd64',
          os: 'linux',
          created: new Date().toISOString(),
          config: { Labels: { 'org.freshen.context': context.digest, 'org.freshen.bases': '{}' } },
          rootfs: { type: 'layers', diff_ids: [layer.diffId] },
        }),
      );
      await uploadBlob(registryUrl, repo, layer.gz, layerDigest);
      await uploadBlob(registryUrl, repo, config, sha256(config));
      const manifest = JSON.stringify({
        schemaVersion: 2,
        mediaType: 'application/vnd.docker.distribution.manifest.v2+json',
        config: { mediaType: 'application/vnd.docker.container.image.v1+json', size: config.length, digest: sha256(config) },
        layers: [{ mediaType: 'application/vnd.docker.image.rootfs.diff.tar.gzip', size: layer.gz.length, digest: layerDigest }],
      });
      await request(`${registryUrl}/v2/${repo}/manifests/${tag}`, 'PUT', manifest, {
        'Content-Type': 'application/vnd.docker.distribution.manifest.v2+json',
      });
    }
  };
  await Promise.all(Array.from({ length: concurrency }, worker));
}
