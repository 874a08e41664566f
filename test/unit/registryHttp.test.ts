// The registry client against small HTTP servers on 127.0.0.1 that answer what a real registry rarely does on demand:
// errors, challenges, pagination, missing headers, silence.
import { Readable } from 'node:stream';
import { describe, expect, it } from 'vitest';
import { RegistryError, UnreachableError } from '../../src/adapters/errors.js';
import { createRegistryClient } from '../../src/adapters/registry.js';
import { sha256Digest } from '../../src/adapters/registryFormats.js';
import { json, rejection, serve, stopLastServer } from '../support/loopbackHttp.js';

const client = (name: string, extra: { auth?: { username: string; password: string }; timeoutMs?: number } = {}) =>
  createRegistryClient({ name, url: `http://${name}`, auth: extra.auth }, { timeoutMs: extra.timeoutMs ?? 5_000 });

describe('registry errors', () => {
  it('turns an error status into a RegistryError naming registry, status, method and path', async () => {
    const name = await serve((_req, res) => json(res, 500, { errors: [{ code: 'UNKNOWN', message: 'disk on fire' }] }));
    const error = await rejection(client(name).manifest('t-adapters/x', 'prod'));
    expect(error).toBeInstanceOf(RegistryError);
    expect((error as RegistryError).status).toBe(500);
    expect(error.message).toBe(`registry ${name} answered 500 Internal Server Error to GET /v2/t-adapters/x/manifests/prod: disk on fire`);
  });

  it('reports a closed port as unreachable', async () => {
    const name = await serve((_req, res) => res.end());
    await stopLastServer();
    const error = await rejection(client(name).ping());
    expect(error).toBeInstanceOf(UnreachableError);
    expect((error as UnreachableError).code).toBe('connection-refused');
    expect(error.message).toBe(`registry ${name} could not be reached at http://${name}: connection refused`);
  });

  it('gives up on a registry that does not answer, as unreachable', async () => {
    const name = await serve(() => undefined);
    const started = Date.now();
    const error = await rejection(client(name, { timeoutMs: 300 }).tags('t-adapters/x'));
    // The peer never answers, so without the time-out this would not end; the bound leaves a loaded machine room.
    expect(Date.now() - started).toBeLessThan(15_000);
    expect(error).toBeInstanceOf(UnreachableError);
    expect(error.message).toBe(`registry ${name} did not answer GET /v2/t-adapters/x/tags/list within 300ms (timeouts.registry)`);
  });

  it('says when deletes are disabled', async () => {
    const name = await serve((_req, res) => json(res, 405, { errors: [{ code: 'UNSUPPORTED', message: 'The operation is unsupported.' }] }));
    const error = await rejection(client(name).deleteManifest('t-adapters/x', 'sha256:00'));
    expect(error.message).toBe(
      `registry ${name} answered 405 Method Not Allowed to DELETE /v2/t-adapters/x/manifests/sha256:00: deleting is disabled on this registry (storage.delete.enabled)`,
    );
  });
});

describe('registry authentication', () => {
  it('fetches a bearer token from the challenge, caches it per scope, and never shows the password', async () => {
    const tokenRequests: string[] = [];
    const registryName = await serve((req, res) => {
      const url = new URL(req.url!, 'http://x');
      if (url.pathname === '/token') {
        tokenRequests.push(`${url.searchParams.get('service')} ${url.searchParams.getAll('scope').join(' ')} ${req.headers.authorization}`);
        return json(res, 200, { token: `tok-${url.searchParams.get('scope')}`, expires_in: 300 });
      }
      const scope = url.pathname.includes('/a/') ? 'repository:t-adapters/a:pull' : 'repository:t-adapters/b:pull';
      if (req.headers.authorization !== `Bearer tok-${scope}`) {
        return json(
          res,
          401,
          { errors: [{ code: 'UNAUTHORIZED' }] },
          {
            'WWW-Authenticate': `Bearer realm="http://${req.headers.host}/token",service="test-registry",scope="${scope}"`,
          },
        );
      }
      return json(res, 200, { name: 'x', tags: ['prod'] });
    });
    const registry = client(registryName, { auth: { username: 'alice', password: 's3cret' } });
    expect(await registry.tags('t-adapters/a')).toEqual(['prod']);
    expect(await registry.tags('t-adapters/a')).toEqual(['prod']);
    expect(await registry.tags('t-adapters/b')).toEqual(['prod']);
    const basic = `Basic ${Buffer.from('alice:s3cret').toString('base64')}`;
    expect(tokenRequests).toEqual([`test-registry repository:t-adapters/a:pull ${basic}`, `test-registry repository:t-adapters/b:pull ${basic}`]);
  });

  it('answers a Basic challenge and keeps sending Basic; refused credentials name the user, not the password', async () => {
    const seen: Array<string | undefined> = [];
    const good = `Basic ${Buffer.from('alice:right').toString('base64')}`;
    const name = await serve((req, res) => {
      seen.push(req.headers.authorization);
      if (req.headers.authorization !== good) return json(res, 401, {}, { 'WWW-Authenticate': 'Basic realm="r"' });
      json(res, 200, {});
    });
    await client(name, { auth: { username: 'alice', password: 'right' } })
      .ping()
      .then(async () => undefined);
    const again = client(name, { auth: { username: 'alice', password: 'right' } });
    await again.ping();
    await again.ping();
    expect(seen).toEqual([undefined, good, undefined, good, good]);

    const error = await rejection(client(name, { auth: { username: 'alice', password: 'wrong-pw' } }).ping());
    expect(error.message).toBe(`registry ${name} answered 401 Unauthorized to GET /v2/: the credentials of user alice (from registry_auth) were refused`);
    expect(error.message).not.toContain('wrong-pw');
    const anonymous = await rejection(client(name).ping());
    expect(anonymous.message).toBe(
      `registry ${name} answered 401 Unauthorized to GET /v2/: it needs credentials (set registry_auth, or log in with docker login)`,
    );
  });
});

describe('registry answers', () => {
  it('follows Link pagination of the catalog', async () => {
    const pages: Record<string, { repositories: string[]; link?: string }> = {
      '': { repositories: ['a', 'b'], link: '</v2/_catalog?last=b&n=2>; rel="next"' },
      b: { repositories: ['c'] },
    };
    const name = await serve((req, res) => {
      const page = pages[new URL(req.url!, 'http://x').searchParams.get('last') ?? '']!;
      json(res, 200, { repositories: page.repositories }, page.link !== undefined ? { Link: page.link } : {});
    });
    expect(await client(name).catalog()).toEqual(['a', 'b', 'c']);
  });

  it('computes the digest when the registry sends no Docker-Content-Digest', async () => {
    const raw = Buffer.from(JSON.stringify({ schemaVersion: 2, mediaType: 'application/vnd.oci.image.manifest.v1+json', config: { digest: 'sha256:c' } }));
    const name = await serve((req, res) => {
      res.writeHead(200, { 'Content-Type': 'application/vnd.oci.image.manifest.v1+json' });
      res.end(req.method === 'HEAD' ? undefined : raw);
    });
    const registry = client(name);
    expect(await registry.manifestDigest('t-adapters/x', 'prod')).toBe(sha256Digest(raw));
    const manifest = await registry.manifest('t-adapters/x', 'prod');
    expect(manifest?.digest).toBe(sha256Digest(raw));
    expect(manifest?.mediaType).toBe('application/vnd.oci.image.manifest.v1+json');
    expect(manifest?.raw.equals(raw)).toBe(true);
  });

  it("reads a big blob's size from a HEAD (no body comes, whatever its Content-Length says), and still refuses a GET that large", async () => {
    const size = 200 << 20;
    const name = await serve((req, res) => {
      res.writeHead(200, { 'Content-Length': String(size), 'Content-Type': 'application/json' });
      // A HEAD answer ends at its headers; the GET's promised body never comes, the client stops at its header.
      if (req.method === 'HEAD') res.end();
      else res.flushHeaders();
    });
    expect(await client(name).blobSize('t-adapters/x', `sha256:${'1'.repeat(64)}`)).toBe(size);
    const error = await rejection(client(name).manifest('t-adapters/x', 'prod'));
    expect(error.message).toContain('with too much: the answer is larger than');
  });

  it('refuses content that does not match the digest asked for', async () => {
    const name = await serve((_req, res) => json(res, 200, { schemaVersion: 2 }));
    const error = await rejection(client(name).manifest('t-adapters/x', `sha256:${'0'.repeat(64)}`));
    expect(error.message).toMatch(/^registry 127\.0\.0\.1:\d+ served t-adapters\/x@sha256:0+ with content whose digest is sha256:[0-9a-f]{64}$/);
  });
});

describe('credentials go only to the registry they belong to', () => {
  const auth = { username: 'ci', password: 's3cret-pw' };
  const good = `Basic ${Buffer.from('ci:s3cret-pw').toString('base64')}`;

  it('an upload Location on another port receives no Authorization, and the failure says so without the secret', async () => {
    const seen: Array<string | undefined> = [];
    const elsewhere = await serve((req, res) => {
      seen.push(req.headers.authorization);
      req.resume();
      req.on('end', () => json(res, 401, { errors: [{ code: 'UNAUTHORIZED', message: 'who are you' }] }));
    });
    const name = await serve((req, res) => {
      if (req.headers.authorization !== good) return json(res, 401, {}, { 'WWW-Authenticate': 'Basic realm="r"' });
      if (req.method === 'POST') return json(res, 202, {}, { Location: `http://${elsewhere}/v2/t/blobs/uploads/1` });
      json(res, 404, {});
    });
    const content = Buffer.from('hello');
    const error = await rejection(client(name, { auth }).uploadBlob('t', sha256Digest(content), content.length, Readable.from([content])));
    expect(seen.length).toBeGreaterThan(0);
    expect(seen.every((header) => header === undefined)).toBe(true);
    expect(error.message).not.toContain('s3cret-pw');
    expect(error.message).not.toContain(good.slice(6));
  });

  it.each([
    { realm: 'http://token.example.invalid/token', refused: 'is plain HTTP on another host' },
    { realm: 'ftp://127.0.0.1/token', refused: 'uses ftp://, not https://' },
    { realm: 'not a url', refused: 'is not a URL' },
  ])('a Bearer realm $realm gets nothing', async ({ realm, refused }) => {
    const asked: string[] = [];
    const name = await serve((req, res) => {
      asked.push(req.url ?? '');
      json(res, 401, {}, { 'WWW-Authenticate': `Bearer realm="${realm}",service="s",scope="repository:t:pull"` });
    });
    const error = await rejection(client(name, { auth }).tags('t'));
    expect(error.message).toContain(refused);
    expect(error.message).toContain('nothing was sent to it');
    expect(asked).toEqual(['/v2/t/tags/list?n=1000']);
  });

  it('a Bearer realm on loopback over plain HTTP is asked, with the credentials', async () => {
    const tokenAuth: Array<string | undefined> = [];
    const name = await serve((req, res) => {
      if (req.url?.startsWith('/token')) {
        tokenAuth.push(req.headers.authorization);
        return json(res, 200, { token: 'tok' });
      }
      if (req.headers.authorization !== 'Bearer tok') {
        return json(res, 401, {}, { 'WWW-Authenticate': `Bearer realm="http://${req.headers.host}/token",service="s",scope="repository:t:pull"` });
      }
      json(res, 200, { name: 't', tags: ['prod'] });
    });
    expect(await client(name, { auth }).tags('t')).toEqual(['prod']);
    expect(tokenAuth).toEqual([good]);
  });
});
