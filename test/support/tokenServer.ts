// A token service of the test suite's own, as the registry token spec describes it (docs.docker.com/registry/spec/auth/token):
// GET /token?service=…&scope=repository:NAME:ACTIONS with Basic credentials answers a JWT (ES256, the signing certificate in
// its x5c header) granting the intersection of what was asked and what the user may do. The real docker-registry verifies it
// against its rootcertbundle. Users and their rights are given; every request is recorded (without credentials).
import { execFile } from 'node:child_process';
import { createPrivateKey, randomBytes, sign, type KeyObject } from 'node:crypto';
import { readFile } from 'node:fs/promises';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { join } from 'node:path';
import { promisify } from 'node:util';

/** What a user may do to every repository: a subset of pull, push, delete. */
export type Rights = Record<string, { password: string; actions: string[] }>;

export interface TokenService {
  /** The realm to configure in the registry: `http://127.0.0.1:PORT/token`. */
  realm: string;
  service: string;
  issuer: string;
  /** The PEM certificate the registry trusts (its rootcertbundle). */
  certificate: string;
  /** Each request's user (or `anonymous`) and the scope asked, in order. */
  requests: Array<{ user: string; scope: string; granted: string }>;
  close(): Promise<void>;
}

const b64url = (data: Buffer | string): string => Buffer.from(data).toString('base64url');

/** Starts the service on a free loopback port; keys and a self-signed certificate are made in `dir` with openssl. */
export async function startTokenService(dir: string, rights: Rights): Promise<TokenService> {
  const certificate = join(dir, 'token.pem');
  const keyFile = join(dir, 'token.key');
  await promisify(execFile)('openssl', [
    'req',
    '-x509',
    '-newkey',
    'ec',
    '-pkeyopt',
    'ec_paramgen_curve:prime256v1',
    '-nodes',
    '-keyout',
    keyFile,
    '-out',
    certificate,
    '-subj',
    '/CN=t-token-issuer',
    '-days',
    '2',
  ]);
  const key = createPrivateKey(await readFile(keyFile));
  const der = (await readFile(certificate, 'utf8')).replace(/-----[^-]+-----|\s/g, '');
  const service = 't-token-registry';
  const issuer = 't-token-issuer';
  const requests: TokenService['requests'] = [];
  const server: Server = createServer((req, res) => {
    const url = new URL(req.url ?? '/', 'http://token');
    const basic = /^Basic (.+)$/.exec(req.headers.authorization ?? '')?.[1];
    const [user, password] = basic ? Buffer.from(basic, 'base64').toString('utf8').split(/:(.*)/s) : ['anonymous', ''];
    const known = user !== undefined && rights[user] !== undefined && rights[user].password === password;
    if (basic && !known) {
      requests.push({ user: user ?? '', scope: url.searchParams.get('scope') ?? '', granted: 'refused' });
      return res.writeHead(401, { 'Content-Type': 'application/json' }).end('{"errors":[{"code":"UNAUTHORIZED","message":"bad credentials"}]}');
    }
    const allowed = known ? rights[user!]!.actions : [];
    const access = url.searchParams.getAll('scope').flatMap((scope) => {
      const [type, name, actions] = scope.split(':');
      if (name === undefined || actions === undefined) return [];
      // Listing the catalog takes registry:catalog:*, which this service gives every known user.
      if (type === 'registry') return name === 'catalog' && known ? [{ type, name, actions: ['*'] }] : [];
      if (type !== 'repository') return [];
      return [{ type, name, actions: actions.split(',').filter((a) => allowed.includes(a) || (a === '*' && allowed.length === 3)) }];
    });
    requests.push({
      user: known ? user! : 'anonymous',
      scope: url.searchParams.getAll('scope').join(' '),
      granted: access.map((a) => `${a.name}:${a.actions.join(',')}`).join(' '),
    });
    const token = jwt(key, der, { iss: issuer, sub: known ? user : '', aud: url.searchParams.get('service') ?? service, access });
    res
      .writeHead(200, { 'Content-Type': 'application/json' })
      .end(JSON.stringify({ token, access_token: token, expires_in: 300, issued_at: new Date().toISOString() }));
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const port = (server.address() as AddressInfo).port;
  return {
    realm: `http://127.0.0.1:${port}/token`,
    service,
    issuer,
    certificate,
    requests,
    close: () => new Promise((resolve) => server.close(() => resolve())),
  };
}

function jwt(key: KeyObject, der: string, claims: Record<string, unknown>): string {
  const now = Math.floor(Date.now() / 1000);
  const header = b64url(JSON.stringify({ typ: 'JWT', alg: 'ES256', x5c: [der] }));
  const body = b64url(JSON.stringify({ ...claims, iat: now, nbf: now - 5, exp: now + 300, jti: randomBytes(8).toString('hex') }));
  const signature = sign('sha256', Buffer.from(`${header}.${body}`), { key, dsaEncoding: 'ieee-p1363' });
  return `${header}.${body}.${b64url(signature)}`;
}
