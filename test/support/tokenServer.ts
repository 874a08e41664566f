// A token service of the test suite's own, as the registry token spec describes it (docs.docker.com/registry/spec/auth/token):
// GET /token?service=…&scope=repository:NAME:ACTIONS with Basic credentials answers a JWT (ES256, the signing certificate in
// its x5c header) granting the intersection of what was asked and what the user may do. The real docker-registry verifies it
// against its rootcertbundle. Users and their rights are given; every request is recorded (without credentials). A user with
// a `refreshToken` may also get tokens the OAuth2 way Docker uses for identity tokens: POST /token with
// grant_type=refresh_token, refresh_token, service, scope (space-separated) and client_id, answered with access_token.
import { execFile } from 'node:child_process';
import { createPrivateKey, randomBytes, sign, type KeyObject } from 'node:crypto';
import { readFile } from 'node:fs/promises';
import { createServer, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { join } from 'node:path';
import { promisify } from 'node:util';

/** What a user may do to every repository: a subset of pull, push, delete. */
export type Rights = Record<string, { password: string; actions: string[]; refreshToken?: string }>;

export interface TokenService {
  /** The realm to configure in the registry: `http://127.0.0.1:PORT/token`. */
  realm: string;
  service: string;
  issuer: string;
  /** The PEM certificate the registry trusts (its rootcertbundle). */
  certificate: string;
  /** Each request's user (or `anonymous`), the scope asked and how (`basic` GET or OAuth2 `refresh_token` POST), in order. */
  requests: Array<{ user: string; scope: string; granted: string; grant?: 'refresh_token' }>;
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
  const grant = (res: ServerResponse, user: string | undefined, scopes: string[], audience: string | null, how?: 'refresh_token') => {
    const allowed = user !== undefined ? rights[user]!.actions : [];
    const access = scopes.flatMap((scope) => {
      const [type, name, actions] = scope.split(':');
      if (name === undefined || actions === undefined) return [];
      // Listing the catalog takes registry:catalog:*, which this service gives every known user.
      if (type === 'registry') return name === 'catalog' && user !== undefined ? [{ type, name, actions: ['*'] }] : [];
      if (type !== 'repository') return [];
      return [{ type, name, actions: actions.split(',').filter((a) => allowed.includes(a) || (a === '*' && allowed.length === 3)) }];
    });
    requests.push({
      user: user ?? 'anonymous',
      scope: scopes.join(' '),
      granted: access.map((a) => `${a.name}:${a.actions.join(',')}`).join(' '),
      ...(how !== undefined ? { grant: how } : {}),
    });
    const token = jwt(key, der, { iss: issuer, sub: user ?? '', aud: audience ?? service, access });
    res
      .writeHead(200, { 'Content-Type': 'application/json' })
      .end(JSON.stringify({ token, access_token: token, expires_in: 300, issued_at: new Date().toISOString() }));
  };
  const server: Server = createServer((req, res) => {
    const url = new URL(req.url ?? '/', 'http://token');
    if (req.method === 'POST') {
      let body = '';
      req.on('data', (chunk: Buffer) => (body += chunk.toString('utf8')));
      req.on('end', () => {
        const form = new URLSearchParams(body);
        const user = Object.keys(rights).find((name) => rights[name]!.refreshToken !== undefined && rights[name]!.refreshToken === form.get('refresh_token'));
        if (form.get('grant_type') !== 'refresh_token' || user === undefined || !form.get('client_id')) {
          requests.push({ user: '', scope: form.get('scope') ?? '', granted: 'refused', grant: 'refresh_token' });
          return res.writeHead(401, { 'Content-Type': 'application/json' }).end('{"error":"invalid_grant"}');
        }
        grant(res, user, (form.get('scope') ?? '').split(' ').filter(Boolean), form.get('service'), 'refresh_token');
      });
      return;
    }
    const basic = /^Basic (.+)$/.exec(req.headers.authorization ?? '')?.[1];
    const [user, password] = basic ? Buffer.from(basic, 'base64').toString('utf8').split(/:(.*)/s) : ['anonymous', ''];
    const known = user !== undefined && rights[user] !== undefined && rights[user].password === password;
    if (basic && !known) {
      requests.push({ user: user ?? '', scope: url.searchParams.get('scope') ?? '', granted: 'refused' });
      return res.writeHead(401, { 'Content-Type': 'application/json' }).end('{"errors":[{"code":"UNAUTHORIZED","message":"bad credentials"}]}');
    }
    grant(res, known ? user : undefined, url.searchParams.getAll('scope'), url.searchParams.get('service'));
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
