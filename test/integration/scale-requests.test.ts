// The daily no-op in requests, against the lab registry behind a counting proxy: a tree of four published images (two
// built on a third, one on the lab's upstream/os:stable) costs one manifest GET per repository and one per distinct
// external base, with no config blobs (kept in freshen's cache from the run before) and no tag lists. The benchmark times
// the same at 30 to 1000 images (bench/, docs/benchmarks.md); this holds the counts in npm test.
import { mkdir, readdir, rm, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { REGISTRY, UPSTREAM_IMAGE, labDocker, labSocket } from '../support/lab.js';
import { startHttpProxy, type HttpProxy } from '../support/faultProxy.js';
import { removeImages, deleteManifests } from './steps-rollout.helpers.js';
import { freshen, tempDir, writePlaybook } from './rollout.helpers.js';
import { createRegistryClient } from '../../src/adapters/registry.js';
import { registrySettings } from '../../src/model/inventory.js';

const TAG = 't-scale';
const REPOS = ['t-scale/base', 't-scale/app1', 't-scale/app2', 't-scale/solo'];
let dir: string;
let proxy: HttpProxy;
let inventory: string;

const dockerfile = (repo: string): string =>
  repo === 't-scale/base'
    ? `FROM ${UPSTREAM_IMAGE}\nCOPY marker /marker\n`
    : repo === 't-scale/solo'
      ? 'FROM scratch\nCOPY marker /marker\n'
      : `FROM ${REGISTRY}/t-scale/base:${TAG}\nCOPY marker /marker\n`;

const run = (playbook: string, env: NodeJS.ProcessEnv = {}) =>
  freshen(['run', join(dir, playbook), '-i', inventory], join(dir, 'locks'), { FRESHEN_CACHE_DIR: join(dir, 'cache'), ...env });

beforeAll(async () => {
  dir = await tempDir('t-scale-');
  for (const repo of REPOS) {
    await mkdir(join(dir, 'tree', repo), { recursive: true });
    await writeFile(join(dir, 'tree', repo, 'Dockerfile'), dockerfile(repo));
    await writeFile(join(dir, 'tree', repo, 'marker'), `${repo}\n`);
  }
  proxy = await startHttpProxy(REGISTRY);
  inventory = await writePlaybook(
    dir,
    'inventory.yml',
    JSON.stringify({
      all: {
        vars: { registry: REGISTRY, registry_url: `http://${proxy.address}`, rollout_tag: TAG },
        children: { builders: { hosts: { build1: { docker: { host: `unix://${labSocket('build1')}` } } } } },
      },
    }),
  );
  await writePlaybook(
    dir,
    'publish.yml',
    '- name: Publish\n  hosts: builders\n  steps:\n    - discover: { root: tree, include_unpublished: true }\n    - rebuild\n    - push\n',
  );
  await writePlaybook(dir, 'discover.yml', '- name: Look\n  hosts: builders\n  steps:\n    - discover: { root: tree }\n');
  const published = await run('publish.yml');
  expect(published.code, published.stdout + published.stderr).toBe(0);
}, 300_000);

afterAll(async () => {
  await proxy?.close();
  const registry = createRegistryClient(registrySettings({ registry: REGISTRY })!);
  for (const repo of REPOS) {
    const digests = await Promise.all((await registry.tags(repo).catch(() => [])).map((tag) => registry.manifestDigest(repo, tag)));
    await deleteManifests(repo, new Set(digests.filter((d) => d !== undefined)));
    await removeImages(labDocker('build1'), repo).catch(() => undefined);
  }
  registry.close();
  await rm(dir, { recursive: true, force: true });
});

const counted = (requests: HttpProxy['requests']) => requests.map((r) => `${r.method} ${r.path}`).sort();

describe('registry requests of the daily no-op', () => {
  it('one manifest GET per repository and per external base, once the config blobs are cached', async () => {
    const warm = await run('discover.yml');
    expect(warm.code, warm.stdout + warm.stderr).toBe(0);
    proxy.requests.length = 0;
    const again = await run('discover.yml');
    expect(again.code, again.stdout + again.stderr).toBe(0);
    expect(counted(proxy.requests)).toEqual([...REPOS.map((repo) => `GET /v2/${repo}/manifests/${TAG}`), 'GET /v2/upstream/os/manifests/stable'].sort());
  });

  it('a check run reads the cache but adds nothing to it: an empty cache stays empty, and the blobs are fetched again', async () => {
    proxy.requests.length = 0;
    const check = await freshen(['run', join(dir, 'discover.yml'), '-i', inventory, '--check'], join(dir, 'locks'), {
      FRESHEN_CACHE_DIR: join(dir, 'empty-cache'),
    });
    expect(check.code, check.stdout + check.stderr).toBe(0);
    // Each repository's config, and the external base's.
    expect(proxy.requests.filter((r) => r.path.includes('/blobs/'))).toHaveLength(REPOS.length + 1);
    await expect(readdir(join(dir, 'empty-cache'))).rejects.toMatchObject({ code: 'ENOENT' });
  });

  it('a stale repository costs its hold check on top (the tag list and the newest datestamp), and only that one', async () => {
    await writeFile(join(dir, 'tree', 't-scale/solo', 'marker'), 'changed\n');
    proxy.requests.length = 0;
    const stale = await run('discover.yml');
    expect(stale.code, stale.stdout + stale.stderr).toBe(0);
    const extra = counted(proxy.requests).filter((r) => !REPOS.some((repo) => r === `GET /v2/${repo}/manifests/${TAG}`) && !r.includes('upstream/os'));
    expect(extra).toHaveLength(2);
    expect(extra[0]).toMatch(/^GET \/v2\/t-scale\/solo\/tags\/list/);
    expect(extra[1]).toMatch(/^HEAD \/v2\/t-scale\/solo\/manifests\/\d{8}-\d{4}$/);
  });
});
