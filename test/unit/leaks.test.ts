// Secrets never reach any output: whole runs through the CLI with known secrets against loopback registries and token services
// that echo the request and fail, and inputs whose diagnostics would quote a secret; every byte of stdout, stderr and the
// JSON report is searched for the secret and for the Basic credentials built from it.
import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import type { IncomingMessage, ServerResponse } from 'node:http';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { main } from '../../src/cli/main.js';
import type { Output } from '../../src/cli/output.js';
import { serve } from '../support/loopbackHttp.js';

async function freshen(...args: string[]): Promise<{ code: number; all: string }> {
  const o = { text: '', isTTY: false, out: (t: string) => void (o.text += `${t}\n`), err: (t: string) => void (o.text += `${t}\n`) };
  const code = await main(['node', 'freshen', ...args], o as Output);
  return { code, all: o.text };
}

// Whole runs against loopback servers, two of them in one test: a few seconds on a quiet machine, several times that on a
// loaded one; the assertions are about bytes, never about time.
const RUN_TIMEOUT_MS = 60_000;

const dir = (): string => mkdtempSync(join(tmpdir(), 't-leaks-'));

/** Every form a secret could leak in: as written, and inside Basic credentials. */
const forms = (username: string, password: string): string[] => [password, Buffer.from(`${username}:${password}`).toString('base64')];

function expectNoLeak(text: string, secrets: string[]): void {
  for (const secret of secrets) expect(text, `leaked ${secret}`).not.toContain(secret);
}

/** An answer that repeats what the client sent, as some broken registries and proxies do. */
const echo = (req: IncomingMessage, res: ServerResponse, status: number): void => {
  res.writeHead(status, { 'Content-Type': 'application/json' });
  res.end(JSON.stringify({ errors: [{ code: 'UNKNOWN', message: `rejected ${req.method} ${req.url} with ${JSON.stringify(req.headers)}` }] }));
};

describe('no secret in any output', () => {
  it.each([
    {
      name: 'a registry that echoes the Basic credentials in its error',
      handler: (req: IncomingMessage, res: ServerResponse) =>
        req.headers.authorization ? echo(req, res, 500) : res.writeHead(401, { 'WWW-Authenticate': 'Basic realm="r"' }).end(),
    },
    {
      name: 'a token service that echoes the credentials it was sent',
      handler: (req: IncomingMessage, res: ServerResponse) =>
        req.url?.startsWith('/token')
          ? echo(req, res, 500)
          : res.writeHead(401, { 'WWW-Authenticate': `Bearer realm="http://${req.headers.host}/token",service="s",scope="repository:app/web:pull"` }).end(),
    },
    {
      name: 'a token service whose token the registry then echoes',
      handler: (req: IncomingMessage, res: ServerResponse) => {
        if (req.url?.startsWith('/token')) return void res.writeHead(200, { 'Content-Type': 'application/json' }).end('{"token":"tok-abcdef-123456"}');
        if (req.headers.authorization) return echo(req, res, 500);
        res.writeHead(401, { 'WWW-Authenticate': `Bearer realm="http://${req.headers.host}/token",service="s",scope="repository:app/web:pull"` }).end();
      },
      extra: ['tok-abcdef-123456'],
    },
  ])(
    '$name: stdout, stderr and the JSON report',
    async ({ handler, extra = [] }) => {
      const registry = await serve(handler);
      const d = dir();
      const password = 'Hunter2-very-secret';
      writeFileSync(
        join(d, 'inv.yml'),
        `all:\n  vars:\n    registry: "${registry}"\n    registry_auth: { username: ci, password_env: T_LEAK_PW }\n  hosts:\n    reg1: {}\n`,
      );
      writeFileSync(join(d, 'play.yml'), '- name: back\n  hosts: reg1\n  steps: [{ rollback: { repository: app/web, tag: "20261101-0300" } }]\n');
      process.env.T_LEAK_PW = password;
      try {
        const json = join(d, 'report.json');
        const run = await freshen('run', join(d, 'play.yml'), '-i', join(d, 'inv.yml'), '--json', json, '-v');
        expect(run.code).toBe(2);
        expect(run.all).toContain('***');
        expectNoLeak(run.all + readFileSync(json, 'utf8'), [...forms('ci', password), ...extra]);
        const direct = await freshen('rollback', '-i', join(d, 'inv.yml'), 'app/web', '20261101-0300', '--json', join(d, 'rb.json'));
        expect(direct.code).toBe(2);
        expectNoLeak(direct.all + readFileSync(join(d, 'rb.json'), 'utf8'), [...forms('ci', password), ...extra]);
      } finally {
        delete process.env.T_LEAK_PW;
      }
    },
    RUN_TIMEOUT_MS,
  );

  it(
    'a password in registry_url, sent by the HTTP client as Basic credentials that the registry echoes: --check run and its report',
    async () => {
      const registry = await serve((req, res) => echo(req, res, 500));
      const d = dir();
      const password = 'Url-basic-pw-2718';
      writeFileSync(
        join(d, 'inv.yml'),
        `all:\n  vars:\n    registry: "${registry}"\n    registry_url: "http://ci:${password}@${registry}"\n  hosts:\n    reg1: {}\n`,
      );
      writeFileSync(join(d, 'play.yml'), '- name: back\n  hosts: reg1\n  steps: [{ rollback: { repository: app/web, tag: "20261101-0300" } }]\n');
      const json = join(d, 'report.json');
      const run = await freshen('run', join(d, 'play.yml'), '-i', join(d, 'inv.yml'), '--check', '--json', json, '-v');
      expect(run.code).toBe(2);
      // The echo came back (so the credentials were there to leak) and was scrubbed in both forms.
      expect(run.all).toContain('"authorization":"Basic ***"');
      expectNoLeak(run.all + readFileSync(json, 'utf8'), forms('ci', password));
    },
    RUN_TIMEOUT_MS,
  );

  it('names of password variables and paths of password files are shown; the values read from them are not', async () => {
    const d = dir();
    writeFileSync(join(d, 'play.yml'), '- name: p\n  hosts: all\n  steps: [pull]\n');
    writeFileSync(join(d, 'env.yml'), 'all:\n  vars:\n    registry_auth: { username: ci, password_env: T_UNSET_REGISTRY_PASSWORD }\n  hosts: { h: {} }\n');
    const unset = await freshen('validate', join(d, 'play.yml'), '-i', join(d, 'env.yml'));
    expect(unset.code).toBe(5);
    expect(unset.all).toContain('The environment variable T_UNSET_REGISTRY_PASSWORD (registry_auth.password_env) is not set');
    expect(unset.all).toContain('password_env: T_UNSET_REGISTRY_PASSWORD }');
    expect(unset.all).not.toContain('***');
    writeFileSync(join(d, 'file.yml'), 'all:\n  vars:\n    registry_auth: { username: ci, password_file: secrets/missing-password.txt }\n  hosts: { h: {} }\n');
    const missing = await freshen('validate', join(d, 'play.yml'), '-i', join(d, 'file.yml'));
    expect(missing.code).toBe(5);
    expect(missing.all).toContain('Cannot read the password file "secrets/missing-password.txt" (registry_auth.password_file): it does not exist');
    expect(missing.all).not.toContain('***');
    writeFileSync(join(d, 'pw.txt'), 'File-read-pw-1618\n');
    writeFileSync(
      join(d, 'read.yml'),
      `all:\n  vars:\n    registry: 127.0.0.1:9\n    registry_auth: { username: ci, password_file: pw.txt }\n  hosts: { h: {} }\n`,
    );
    const list = await freshen('inventory', '-i', join(d, 'read.yml'), '--list');
    expect(list.code).toBe(0);
    expect(list.all).toContain('"password_file": "');
    expectNoLeak(list.all, forms('ci', 'File-read-pw-1618'));
  });

  it('a password in an ssh:// engine address is refused at its position, and not shown', async () => {
    const d = dir();
    writeFileSync(join(d, 'play.yml'), '- name: p\n  hosts: all\n  steps: [pull]\n');
    writeFileSync(join(d, 'inv.yml'), 'all:\n  hosts:\n    h:\n      docker: { host: "ssh://deploy:Ssh-pw-1414@web1.example.org" }\n');
    const result = await freshen('validate', join(d, 'play.yml'), '-i', join(d, 'inv.yml'));
    expect(result.code).toBe(5);
    expect(result.all).toMatch(/inv\.yml:4:23: error: An ssh:\/\/ address takes no password/);
    expectNoLeak(result.all, forms('deploy', 'Ssh-pw-1414'));
  });

  it.each([
    {
      name: 'a wrong-type inline password',
      inventory: 'all:\n  vars:\n    registry_auth: { username: ci, password: 8675309123 }\n  hosts: { h: {} }\n',
      secret: '8675309123',
    },
    {
      name: 'the source line under a diagnostic on the password’s line',
      inventory: 'all:\n  vars:\n    registry_auth: { username: ci, password: Pw-inline-4242, extra: 1 }\n  hosts: { h: {} }\n',
      secret: 'Pw-inline-4242',
    },
    {
      name: 'a password inside registry_url',
      inventory: 'all:\n  vars:\n    registry: r.example.org\n    registry_url: "https://ci:Url-pw-31337@r.example.org"\n  hosts: { h: {} }\n',
      secret: 'Url-pw-31337',
    },
  ])('$name: validate and inventory --list', async ({ inventory, secret }) => {
    const d = dir();
    writeFileSync(join(d, 'inv.yml'), inventory);
    writeFileSync(join(d, 'play.yml'), '- name: p\n  hosts: all\n  steps: [pull]\n');
    const validate = await freshen('validate', join(d, 'play.yml'), '-i', join(d, 'inv.yml'));
    expect(validate.code).toBe(5);
    const list = await freshen('inventory', '-i', join(d, 'inv.yml'), '--list');
    expectNoLeak(validate.all + list.all, [secret]);
  });

  it('a malformed -e that holds a password', async () => {
    const d = dir();
    writeFileSync(join(d, 'inv.yml'), 'all:\n  hosts: { h: {} }\n');
    writeFileSync(join(d, 'play.yml'), '- name: p\n  hosts: all\n  steps: [pull]\n');
    const result = await freshen('validate', join(d, 'play.yml'), '-i', join(d, 'inv.yml'), '-e', '{registry_auth: {username: ci, password: Broken-Yaml-77');
    expect(result.code).toBe(5);
    expectNoLeak(result.all, ['Broken-Yaml-77']);
  });
});

describe('a peer’s text reaches the terminal inert', () => {
  it('escape sequences and carriage returns in a registry’s error are shown as \\xNN, never sent raw', async () => {
    const registry = await serve((_req, res) => {
      res.writeHead(500, { 'Content-Type': 'application/json' });
      res.end(JSON.stringify({ errors: [{ code: 'UNKNOWN', message: 'boom\u001b[2J\u001b[31m all good \r\u0007ok' }] }));
    });
    const d = dir();
    writeFileSync(join(d, 'inv.yml'), `all:\n  vars:\n    registry: "${registry}"\n  hosts:\n    reg1: {}\n`);
    writeFileSync(join(d, 'play.yml'), '- name: back\n  hosts: reg1\n  steps: [{ rollback: { repository: app/web, tag: "20261101-0300" } }]\n');
    const run = await freshen('run', join(d, 'play.yml'), '-i', join(d, 'inv.yml'));
    expect(run.code).toBe(2);
    expect(run.all).toContain('boom\\x1b[2J\\x1b[31m all good \\x0d\\x07ok');
    // eslint-disable-next-line no-control-regex -- matching control characters is the point
    expect(run.all).not.toMatch(/[\u0000-\u0008\u000b-\u001f\u007f]/);
  });
});
