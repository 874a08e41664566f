// Engine API negotiation: the rule itself, and connectDocker against loopback engines that answer /version as Docker 20.10
// and Engine 29 do (Engine 29 refuses every request versioned below 1.44 with its own 400 message). The real engines are in
// test/integration/engine-versions.test.ts.
import { createServer, type Server } from 'node:http';
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import fc from 'fast-check';
import { afterEach, describe, expect, it } from 'vitest';
import { closeDocker, connectDocker, engineApiVersion } from '../../src/adapters/docker.js';
import { CLIENT_API_MAX, CLIENT_API_MIN, compareApiVersions, negotiateApiVersion } from '../../src/adapters/engineApi.js';
import { UnreachableError } from '../../src/adapters/errors.js';

describe('negotiateApiVersion', () => {
  it.each([
    { name: 'Docker 20.10', info: { ApiVersion: '1.41', MinAPIVersion: '1.12' }, version: '1.41' },
    { name: 'Engine 29 (min 1.44)', info: { ApiVersion: '1.52', MinAPIVersion: '1.44' }, version: CLIENT_API_MAX },
    { name: 'an engine that does not say its minimum', info: { ApiVersion: '1.43' }, version: '1.43' },
    { name: 'versions compare as numbers, not text', info: { ApiVersion: '1.9', MinAPIVersion: '1.5' }, problem: /no version in common/ },
  ])('$name', ({ info, version, problem }) => {
    const outcome = negotiateApiVersion(info);
    if (version !== undefined) expect(outcome).toEqual({ version });
    else expect('problem' in outcome && outcome.problem).toMatch(problem!);
  });

  it('names both ranges when there is no version in common', () => {
    expect(negotiateApiVersion({ ApiVersion: '1.60', MinAPIVersion: '1.55', Version: '31.0.0' })).toEqual({
      problem: `it speaks Engine API 1.55 to 1.60 (Docker 31.0.0) and freshen speaks ${CLIENT_API_MIN} to ${CLIENT_API_MAX}: no version in common`,
    });
    expect(negotiateApiVersion({ ApiVersion: 'banana' })).toEqual({ problem: expect.stringContaining('no usable ApiVersion') });
  });

  it('always picks a version both sides speak, and the highest such', () => {
    const version = fc.tuple(fc.integer({ min: 1, max: 2 }), fc.integer({ min: 0, max: 70 })).map(([a, b]) => `${a}.${b}`);
    fc.assert(
      fc.property(version, version, (x, y) => {
        const [min, max] = compareApiVersions(x, y) <= 0 ? [x, y] : [y, x];
        const outcome = negotiateApiVersion({ ApiVersion: max, MinAPIVersion: min });
        const overlap = compareApiVersions(max, CLIENT_API_MIN) >= 0 && compareApiVersions(min, CLIENT_API_MAX) <= 0;
        expect('version' in outcome).toBe(overlap);
        if ('version' in outcome) {
          expect(compareApiVersions(outcome.version, min) >= 0 && compareApiVersions(outcome.version, max) <= 0).toBe(true);
          expect(compareApiVersions(outcome.version, CLIENT_API_MIN) >= 0 && compareApiVersions(outcome.version, CLIENT_API_MAX) <= 0).toBe(true);
          const best = compareApiVersions(max, CLIENT_API_MAX) < 0 ? max : CLIENT_API_MAX;
          expect(outcome.version).toBe(best);
        }
      }),
    );
  });
});

const servers: Server[] = [];
afterEach(async () => {
  await Promise.all(servers.splice(0).map((s) => new Promise((resolve) => s.close(resolve))));
});

/** An engine on a unix socket that speaks `min`..`max` and refuses other versions as Engine 29 does; records request paths. */
async function fakeEngine(min: string, max: string): Promise<{ socket: string; paths: string[] }> {
  const paths: string[] = [];
  const server = createServer((req, res) => {
    paths.push(req.url ?? '');
    const versioned = /^\/v(\d+\.\d+)(\/.*)$/.exec(req.url ?? '');
    const path = versioned?.[2] ?? req.url;
    if (versioned && compareApiVersions(versioned[1]!, min) < 0) {
      const message = `client version ${versioned[1]} is too old. Minimum supported API version is ${min}, please upgrade your client to a newer version`;
      return res.writeHead(400, { 'Content-Type': 'application/json' }).end(JSON.stringify({ message }));
    }
    if (path === '/_ping') return res.writeHead(200, { 'Api-Version': max }).end('OK');
    if (path === '/version')
      return res.writeHead(200, { 'Content-Type': 'application/json' }).end(JSON.stringify({ ApiVersion: max, MinAPIVersion: min, Version: '29.0.0' }));
    if (path?.startsWith('/containers/json')) return res.writeHead(200, { 'Content-Type': 'application/json' }).end('[]');
    res.writeHead(404).end();
  });
  servers.push(server);
  const socket = join(mkdtempSync(join(tmpdir(), 't-engine-api-')), 'docker.sock');
  await new Promise<void>((resolve) => server.listen(socket, resolve));
  return { socket, paths };
}

describe('connectDocker negotiates', () => {
  it('with an engine that refuses API < 1.44, as Engine 29 does: a pinned 1.41 client is refused, the negotiated one works', async () => {
    const engine = await fakeEngine('1.44', '1.52');
    const docker = await connectDocker({ host: `unix://${engine.socket}` });
    try {
      expect(engineApiVersion(docker)).toBe(CLIENT_API_MAX);
      expect(await docker.listContainers()).toEqual([]);
      expect(engine.paths.at(-1)).toBe(`/v${CLIENT_API_MAX}/containers/json`);
      // What freshen did before negotiating: every request pinned to 1.41.
      (docker as unknown as { modem: { version: string } }).modem.version = 'v1.41';
      await expect(docker.listContainers()).rejects.toThrow(/client version 1\.41 is too old\. Minimum supported API version is 1\.44/);
    } finally {
      await closeDocker(docker);
    }
  });

  it('with an engine that shares no version: unreachable (api-mismatch), naming both ranges', async () => {
    const engine = await fakeEngine('1.60', '1.62');
    const error = await connectDocker({ host: `unix://${engine.socket}` }).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(UnreachableError);
    expect((error as UnreachableError).code).toBe('api-mismatch');
    expect((error as Error).message).toBe(
      `Docker Engine at unix://${engine.socket} cannot be used: it speaks Engine API 1.60 to 1.62 (Docker 29.0.0) and freshen speaks ${CLIENT_API_MIN} to ${CLIENT_API_MAX}: no version in common`,
    );
  });
});
