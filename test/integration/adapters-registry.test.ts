// The registry client against real distribution registries: the lab's (no auth), and one started here with htpasswd.
import { spawn, type ChildProcess } from 'node:child_process';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { RegistryError } from '../../src/adapters/errors.js';
import { createRegistryClient, type ClosableRegistryClient } from '../../src/adapters/registry.js';
import { MEDIA_TYPES } from '../../src/adapters/registryFormats.js';
import { REGISTRY, REGISTRY_URL, buildBusyboxImage, labDocker, pushImage } from '../support/lab.js';

const REPO = 't-adapters/registry';
const build1 = labDocker('build1');

describe('the lab registry', () => {
  let registry: ClosableRegistryClient;
  let pushedDigest: string;
  let imageId: string;

  beforeAll(async () => {
    registry = createRegistryClient({ name: REGISTRY, url: REGISTRY_URL });
    // A fresh image each run (the label changes its config), so digests are never left over from an earlier run.
    imageId = await buildBusyboxImage(build1, `${REGISTRY}/${REPO}:prod`, { lines: [`LABEL t-adapters.run="${Date.now()}"`] });
    pushedDigest = await pushImage(build1, `${REGISTRY}/${REPO}:prod`);
  });

  afterAll(async () => {
    for (const tag of ['prod', 'copy'])
      await build1
        .getImage(`${REGISTRY}/${REPO}:${tag}`)
        .remove({ force: true })
        .catch(() => undefined);
    registry.close();
  });

  it('answers the /v2/ ping', async () => {
    await expect(registry.ping()).resolves.toBeUndefined();
  });

  it('lists the pushed repository in the catalog and its tag', async () => {
    expect(await registry.catalog()).toContain(REPO);
    expect(await registry.tags(REPO)).toContain('prod');
  });

  it('lists no tags for a repository that does not exist', async () => {
    expect(await registry.tags('t-adapters/never-pushed')).toEqual([]);
  });

  it('gives the digest the daemon reported on push, by HEAD', async () => {
    expect(await registry.manifestDigest(REPO, 'prod')).toBe(pushedDigest);
    expect(await registry.manifestDigest(REPO, 'no-such-tag')).toBeUndefined();
  });

  it('serves the manifest with its media type and raw bytes', async () => {
    const manifest = await registry.manifest(REPO, 'prod');
    expect(manifest?.digest).toBe(pushedDigest);
    expect(manifest?.mediaType).toBe(MEDIA_TYPES.dockerManifest);
    expect(JSON.parse(manifest!.raw.toString('utf8'))).toEqual(manifest!.body);
    expect(await registry.manifest(REPO, 'no-such-tag')).toBeUndefined();
  });

  it('resolves the image config, whose digest is the local image ID', async () => {
    const config = await registry.imageConfig(REPO, 'prod');
    expect(config?.manifestDigest).toBe(pushedDigest);
    expect(config?.configDigest).toBe(imageId);
    expect(config?.config.config?.Labels?.['t-adapters.run']).toMatch(/^\d+$/);
    expect(await registry.imageConfig(REPO, 'no-such-tag')).toBeUndefined();
  });

  it('puts a manifest under another tag byte for byte, then deletes it by digest', async () => {
    const manifest = (await registry.manifest(REPO, 'prod'))!;
    expect(await registry.putManifest(REPO, 'copy', manifest)).toBe(pushedDigest);
    expect((await registry.tags(REPO)).sort()).toEqual(['copy', 'prod']);

    await registry.deleteManifest(REPO, pushedDigest);
    expect(await registry.tags(REPO)).toEqual([]);
    expect(await registry.manifestDigest(REPO, 'prod')).toBeUndefined();
    // Deleting what is already gone is not an error.
    await expect(registry.deleteManifest(REPO, pushedDigest)).resolves.toBeUndefined();
  });

  it('reports a bad manifest as a RegistryError with the registry’s words', async () => {
    const error = await registry.putManifest(REPO, 'broken', { mediaType: MEDIA_TYPES.dockerManifest, raw: Buffer.from('{"schemaVersion":2}') }).then(
      () => undefined,
      (e: unknown) => e,
    );
    expect(error).toBeInstanceOf(RegistryError);
    expect((error as RegistryError).message).toMatch(new RegExp(`^registry ${REGISTRY} answered 400 Bad Request to PUT /v2/${REPO}/manifests/broken: `));
  });
});

// bcrypt of "t-adapters-pw" (cost 5), made once with crypt(3); distribution's htpasswd accepts only bcrypt.
const HTPASSWD = 't-adapters:$2y$05$zfXR6aRSKXPC7CD825hxHeMydLGrHr4PGV3.x6qt5f7yvbZTx65PC\n';
const PASSWORD = 't-adapters-pw';

async function freeLoopbackPort(): Promise<number> {
  const server = createServer();
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as { port: number };
  await new Promise((resolve) => server.close(resolve));
  return port;
}

describe('a registry with htpasswd (Basic) authentication', () => {
  let dir: string;
  let child: ChildProcess;
  let name: string;

  beforeAll(async () => {
    dir = await mkdtemp(join(tmpdir(), 't-adapters-registry-'));
    name = `127.0.0.1:${await freeLoopbackPort()}`;
    await writeFile(join(dir, 'htpasswd'), HTPASSWD);
    await writeFile(
      join(dir, 'config.yml'),
      [
        'version: 0.1',
        'log: { level: error, accesslog: { disabled: true } }',
        `storage: { filesystem: { rootdirectory: ${join(dir, 'data')} }, delete: { enabled: true } }`,
        `http: { addr: "${name}" }`,
        `auth: { htpasswd: { realm: t-adapters, path: ${join(dir, 'htpasswd')} } }`,
      ].join('\n'),
    );
    child = spawn('docker-registry', ['serve', join(dir, 'config.yml')], { stdio: 'ignore' });
    for (let i = 0; i < 100; i += 1) {
      const status = await fetch(`http://${name}/v2/`).then(
        (res) => res.status,
        () => 0,
      );
      if (status === 401) return;
      await new Promise((resolve) => setTimeout(resolve, 100));
    }
    throw new Error(`the htpasswd registry on ${name} did not start`);
  });

  afterAll(async () => {
    if (child.exitCode === null) {
      const exited = new Promise((resolve) => child.once('exit', resolve));
      child.kill('SIGTERM');
      await exited;
    }
    await rm(dir, { recursive: true, force: true });
  });

  it('gets in with the right password', async () => {
    const registry = createRegistryClient({ name, url: `http://${name}`, auth: { username: 't-adapters', password: PASSWORD } });
    await registry.ping();
    expect(await registry.catalog()).toEqual([]);
    expect(await registry.tags('t-adapters/none')).toEqual([]);
    registry.close();
  });

  it('is refused with a wrong password, and the message does not contain it', async () => {
    const registry = createRegistryClient({ name, url: `http://${name}`, auth: { username: 't-adapters', password: 'not-the-password' } });
    const error = await registry.ping().then(
      () => undefined,
      (e: unknown) => e as RegistryError,
    );
    registry.close();
    expect(error).toBeInstanceOf(RegistryError);
    expect(error?.status).toBe(401);
    expect(error?.message).toBe(`registry ${name} answered 401 Unauthorized to GET /v2/: the credentials of user t-adapters (from registry_auth) were refused`);
    expect(error?.message).not.toContain('not-the-password');
  });

  it('is refused without credentials', async () => {
    const registry = createRegistryClient({ name, url: `http://${name}` });
    await expect(registry.ping()).rejects.toThrow(
      `registry ${name} answered 401 Unauthorized to GET /v2/: it needs credentials (set registry_auth, or log in with docker login)`,
    );
    registry.close();
  });
});
