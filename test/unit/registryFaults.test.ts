// Broken and hostile registries on loopback: floods, drips, overload, dropped connections, and Ctrl-C while a request hangs.
// Every case ends in bounded time with an error that says what the peer did; idempotent reads are retried, writes never.
import { Writable } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import { describe, expect, it } from 'vitest';
import { RegistryError, UnreachableError } from '../../src/adapters/errors.js';
import { createRegistryClient } from '../../src/adapters/registry.js';
import { parseRetryAfter, retryDelayMs } from '../../src/adapters/retry.js';
import { json, rejection, serve } from '../support/loopbackHttp.js';

const client = (name: string, extra: { timeoutMs?: number; signal?: AbortSignal } = {}) =>
  createRegistryClient({ name, url: `http://${name}` }, { timeoutMs: extra.timeoutMs ?? 5_000, ...(extra.signal ? { signal: extra.signal } : {}) });

const TAGS = { name: 'app/web', tags: ['prod'] };

describe('bounded answers', () => {
  it('cuts off a flood of a JSON answer at 8 MiB instead of holding it in memory', async () => {
    const chunk = Buffer.alloc(1024 * 1024, 'x');
    let sent = 0;
    const name = await serve((_req, res) => {
      res.writeHead(200, { 'Content-Type': 'application/json' });
      const flood = (): void => {
        while (sent < 512 * chunk.length && res.write(chunk)) sent += chunk.length;
        if (sent < 512 * chunk.length) res.once('drain', flood);
      };
      flood();
    });
    const error = await rejection(client(name).tags('app/web'));
    expect(error).toBeInstanceOf(RegistryError);
    expect(error.message).toBe(`registry ${name} answered GET /v2/app/web/tags/list with too much: the answer is larger than 8.0 MiB`);
    expect(sent).toBeLessThan(64 * chunk.length);
  });

  it('refuses an answer whose Content-Length is over the bound before reading it', async () => {
    const name = await serve((_req, res) => res.writeHead(200, { 'Content-Length': String(2 ** 40) }).write('{'));
    const error = await rejection(client(name).manifest('app/web', 'prod'));
    expect(error.message).toMatch(/too much: the answer is larger than 8\.0 MiB$/);
  });

  it('gives up on a blob dripped a byte at a time, though the socket is never silent for a whole timeout', async () => {
    const name = await serve((_req, res) => {
      res.writeHead(200, { 'Content-Length': '1000000' });
      const drip = setInterval(() => (res.destroyed ? clearInterval(drip) : res.write('x')), 100);
    });
    const started = Date.now();
    const blob = await client(name, { timeoutMs: 600 }).openBlob('app/web', `sha256:${'a'.repeat(64)}`);
    const error = await rejection(pipeline(blob.stream, new Writable({ write: (_c, _e, done) => done() })));
    expect(error).toBeInstanceOf(UnreachableError);
    expect(error.message).toBe(`registry ${name} stalled on GET /v2/app/web/blobs/sha256:${'a'.repeat(64)}: it sent less than 32.0 KiB in 0.6 s`);
    // The drip would take 100 000 s; the bound leaves a loaded machine room.
    expect(Date.now() - started).toBeLessThan(15_000);
  });

  it('does not count a slow reader (back-pressure) against the peer', async () => {
    const body = Buffer.alloc(1024 * 1024, 'y');
    const name = await serve((_req, res) => res.writeHead(200, { 'Content-Length': String(body.length) }).end(body));
    const blob = await client(name, { timeoutMs: 300 }).openBlob('app/web', `sha256:${'a'.repeat(64)}`);
    let size = 0;
    const started = Date.now();
    const slowDisk = new Writable({ highWaterMark: 1024, write: (c: Buffer, _e, done) => ((size += c.length), setTimeout(done, 60)) });
    await pipeline(blob.stream, slowDisk);
    expect(size).toBe(body.length);
    expect(Date.now() - started).toBeGreaterThan(600);
  });
});

describe('retries of idempotent reads', () => {
  it('asks again after 503s and a dropped connection, and succeeds', async () => {
    let calls = 0;
    const name = await serve((req, res) => {
      calls += 1;
      if (calls === 1) return res.writeHead(503).end();
      if (calls === 2) return req.socket.destroy();
      json(res, 200, TAGS);
    });
    expect(await client(name).tags('app/web')).toEqual(['prod']);
    expect(calls).toBe(3);
  });

  it('waits as long as Retry-After asks on a 429', async () => {
    const times: number[] = [];
    const name = await serve((_req, res) => {
      times.push(Date.now());
      if (times.length === 1) return json(res, 429, { errors: [{ code: 'TOOMANYREQUESTS', message: 'slow down' }] }, { 'Retry-After': '1' });
      json(res, 200, TAGS);
    });
    expect(await client(name).tags('app/web')).toEqual(['prod']);
    expect(times[1]! - times[0]!).toBeGreaterThanOrEqual(950);
  });

  it('does not wait for a Retry-After longer than 30 s, and says what was asked', async () => {
    let calls = 0;
    const name = await serve((_req, res) => {
      calls += 1;
      json(res, 429, {}, { 'Retry-After': '3600' });
    });
    const error = await rejection(client(name).tags('app/web'));
    expect(calls).toBe(1);
    expect(error.message).toBe(`registry ${name} answered 429 Too Many Requests to GET /v2/app/web/tags/list: too many requests; it asks to wait 60m0s`);
  });

  it('gives up after three attempts', async () => {
    let calls = 0;
    const name = await serve((_req, res) => {
      calls += 1;
      json(res, 500, { errors: [{ code: 'UNKNOWN', message: 'still broken' }] });
    });
    const error = await rejection(client(name).tags('app/web'));
    expect(calls).toBe(3);
    expect((error as RegistryError).status).toBe(500);
  });

  it('never repeats a write', async () => {
    let calls = 0;
    const name = await serve((_req, res) => {
      calls += 1;
      res.writeHead(503).end();
    });
    await rejection(client(name).deleteManifest('app/web', `sha256:${'b'.repeat(64)}`));
    await rejection(client(name).putManifest('app/web', 'prod', { mediaType: 'application/vnd.oci.image.manifest.v1+json', raw: Buffer.from('{}') }));
    expect(calls).toBe(2);
  });

  it('reads Retry-After as seconds or as a date', () => {
    const now = Date.parse('2026-12-01T10:00:00Z');
    expect(parseRetryAfter('7', now)).toBe(7000);
    expect(parseRetryAfter('Tue, 01 Dec 2026 10:00:05 GMT', now)).toBe(5000);
    expect(parseRetryAfter('soon', now)).toBeUndefined();
    expect(retryDelayMs(1, undefined, now, 0)).toBe(500);
    expect(retryDelayMs(2, undefined, now, 1)).toBe(1250);
  });
});

describe('Ctrl-C aborts requests in flight', () => {
  it('a request to a registry that never answers ends at once as interrupted, long before its timeout', async () => {
    const name = await serve(() => undefined);
    const interrupt = new AbortController();
    const pending = rejection(client(name, { timeoutMs: 60_000, signal: interrupt.signal }).tags('app/web'));
    setTimeout(() => interrupt.abort(), 200);
    const started = Date.now();
    const error = await pending;
    // Long before the request's 60 s time-out, with room for a loaded machine.
    expect(Date.now() - started).toBeLessThan(20_000);
    expect((error as { code?: string }).code).toBe('interrupted');
    expect(error.message).toBe(`interrupted during GET /v2/app/web/tags/list to registry ${name}`);
  });

  it('a blob being read fails with the interruption, and no new request starts', async () => {
    const name = await serve((_req, res) => {
      res.writeHead(200, { 'Content-Length': '100000000' });
      res.write(Buffer.alloc(64 * 1024));
    });
    const interrupt = new AbortController();
    const registry = client(name, { signal: interrupt.signal });
    const blob = await registry.openBlob('app/web', `sha256:${'c'.repeat(64)}`);
    setTimeout(() => interrupt.abort(), 100);
    const error = await rejection(pipeline(blob.stream, new Writable({ write: (_c, _e, done) => done() })));
    expect(error.message).toBe(`interrupted during GET /v2/app/web/blobs/sha256:${'c'.repeat(64)} to registry ${name}`);
    const next = await rejection(registry.tags('app/web'));
    expect((next as { code?: string }).code).toBe('interrupted');
  });

  it('a retry wait is cut short too', async () => {
    const name = await serve((_req, res) => json(res, 503, {}, { 'Retry-After': '20' }));
    const interrupt = new AbortController();
    setTimeout(() => interrupt.abort(), 200);
    const started = Date.now();
    const error = await rejection(client(name, { signal: interrupt.signal }).tags('app/web'));
    // Long before the 20 s Retry-After, with room for a loaded machine.
    expect(Date.now() - started).toBeLessThan(15_000);
    expect(error).not.toBeInstanceOf(UnreachableError);
    expect((error as { code?: string }).code).toBe('interrupted');
  });
});
