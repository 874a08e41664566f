// TLS plumbing of the Docker (tcp:// with ca/cert/key) and registry (registry_ca) clients, against an HTTPS server on
// 127.0.0.1 whose certificates openssl makes here: a private CA, a server certificate for 127.0.0.1, a client certificate.
import { copyFile, mkdir, mkdtemp, readFile, rm } from 'node:fs/promises';
import { createServer, type Server } from 'node:https';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { TLSSocket } from 'node:tls';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { closeDocker, connectDocker } from '../../src/adapters/docker.js';
import { UnreachableError } from '../../src/adapters/errors.js';
import { createRegistryClient } from '../../src/adapters/registry.js';
import { registryTlsFiles } from '../../src/adapters/registryTls.js';
import { makeCertificates } from '../support/certificates.js';

let dir: string;
let server: Server;
let address: string;
const clientNames: string[] = [];

beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), 't-adapters-tls-'));
  await makeCertificates(dir);
  const file = (name: string) => readFile(join(dir, name));
  server = createServer(
    { key: await file('server.key'), cert: await file('server.pem'), ca: await file('ca.pem'), requestCert: true, rejectUnauthorized: false },
    (req, res) => {
      const socket = req.socket as TLSSocket;
      if (req.url === '/v2/') return res.writeHead(200, { 'Content-Type': 'application/json' }).end('{}');
      // The Docker side insists on a client certificate from our CA, as dockerd --tlsverify does.
      if (!socket.authorized) return res.writeHead(403).end('client certificate required');
      clientNames.push(String(socket.getPeerCertificate().subject.CN));
      if (req.url === '/_ping') return res.writeHead(200, { 'Content-Type': 'text/plain' }).end('OK');
      if (req.url === '/version') return res.writeHead(200, { 'Content-Type': 'application/json' }).end('{"ApiVersion":"1.41","MinAPIVersion":"1.12"}');
      res.writeHead(404).end();
    },
  );
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  address = `127.0.0.1:${(server.address() as AddressInfo).port}`;
});

afterAll(async () => {
  server.closeAllConnections();
  await new Promise((resolve) => server.close(resolve));
  await rm(dir, { recursive: true, force: true });
});

describe('docker over tcp:// with TLS', () => {
  it('verifies the server with the CA and presents the client certificate', async () => {
    const tls = { ca: join(dir, 'ca.pem'), cert: join(dir, 'client.pem'), key: join(dir, 'client.key') };
    const docker = await connectDocker({ host: `tcp://${address}`, tls });
    await closeDocker(docker);
    expect(clientNames).toContain('t-adapters-client');
  });

  it('is unreachable when the engine refuses us for lack of a client certificate', async () => {
    const error = await connectDocker({ host: `tcp://${address}`, tls: { ca: join(dir, 'ca.pem') } }).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(UnreachableError);
    expect((error as Error).message).toMatch(new RegExp(`^Docker Engine at tcp://${address} did not answer a ping: `));
  });

  it('names a TLS file it cannot read', async () => {
    await expect(connectDocker({ host: `tcp://${address}`, tls: { ca: join(dir, 'missing.pem') } })).rejects.toThrow(
      `could not read the TLS ca file ${join(dir, 'missing.pem')} for docker host tcp://${address}: ENOENT`,
    );
  });
});

describe('registry over https with registry_ca', () => {
  it('trusts the private CA when told to', async () => {
    const registry = createRegistryClient({ name: address, url: `https://${address}`, tls: { ca: join(dir, 'ca.pem') } });
    await expect(registry.ping()).resolves.toBeUndefined();
    registry.close();
  });

  it('fails the TLS check without it, as unreachable', async () => {
    const registry = createRegistryClient({ name: address, url: `https://${address}` });
    const error = await registry.ping().catch((e: unknown) => e as UnreachableError);
    registry.close();
    expect(error).toBeInstanceOf(UnreachableError);
    expect(error?.code).toBe('tls-error');
    expect(error?.message).toMatch(
      new RegExp(`^registry ${address} at https://${address} failed the TLS check \\([A-Z_]+\\); is registry_tls\\.ca \\(or registry_ca\\) its CA\\?$`),
    );
  });

  it('names a CA file it cannot read', () => {
    expect(() => createRegistryClient({ name: address, url: `https://${address}`, tls: { ca: join(dir, 'missing.pem') } })).toThrow(
      `could not read the registry CA ${join(dir, 'missing.pem')} for registry ${address}: ENOENT`,
    );
  });

  it("reads Docker's certs.d layout when the inventory names no files: *.crt as CAs, NAME.cert with NAME.key", async () => {
    const certsDir = join(dir, 'certs.d');
    await mkdir(join(certsDir, address), { recursive: true });
    await copyFile(join(dir, 'ca.pem'), join(certsDir, address, 'ca.crt'));
    await copyFile(join(dir, 'client.pem'), join(certsDir, address, 'client.cert'));
    await copyFile(join(dir, 'client.key'), join(certsDir, address, 'client.key'));
    const files = registryTlsFiles({ name: address, url: `https://${address}`, certsDir });
    expect(files.from).toEqual([join(certsDir, address, 'ca.crt'), join(certsDir, address, 'client.cert')]);
    expect(files.key?.equals(await readFile(join(dir, 'client.key')))).toBe(true);
    const registry = createRegistryClient({ name: address, url: `https://${address}`, certsDir });
    await expect(registry.ping()).resolves.toBeUndefined();
    registry.close();
    // Files the inventory names win over certs.d; another registry's directory is not read.
    expect(registryTlsFiles({ name: '127.0.0.1:1', url: 'https://127.0.0.1:1', certsDir }).from).toEqual([]);
  });
});
