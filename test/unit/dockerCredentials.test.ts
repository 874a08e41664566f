// Registry credentials where Docker keeps them: config.json's auths, credHelpers and credsStore, with real helper programs
// (shell scripts speaking the credential helper protocol) on a PATH of the test's own. The integration side, against an
// htpasswd-protected docker-registry, is test/integration/docker-credentials.test.ts.
import { chmodSync, mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { cachedDockerCredential, dockerCredential, forgetDockerCredentials, registryKey } from '../../src/adapters/dockerCredentials.js';
import { runSecrets } from '../../src/shared/secretText.js';

/** A DOCKER_CONFIG directory with `config`, and helpers `docker-credential-NAME` (shell bodies) on its own PATH. */
function dockerConfig(config: unknown, helpers: Record<string, string> = {}): NodeJS.ProcessEnv {
  const dir = mkdtempSync(join(tmpdir(), 't-docker-config-'));
  writeFileSync(join(dir, 'config.json'), typeof config === 'string' ? config : JSON.stringify(config));
  for (const [name, body] of Object.entries(helpers)) {
    const file = join(dir, `docker-credential-${name}`);
    writeFileSync(file, `#!/bin/sh\n${body}\n`);
    chmodSync(file, 0o755);
  }
  return { DOCKER_CONFIG: dir, PATH: `${dir}:/usr/bin:/bin`, HOME: dir };
}

/** A helper that answers for one registry (read from stdin, as the protocol has it) and says "not found" for others. */
const storeFor = (registry: string, user: string, secret: string): string =>
  `read -r server; [ "$1" = get ] || exit 3; if [ "$server" = "${registry}" ]; then printf '{"ServerURL":"%s","Username":"${user}","Secret":"${secret}"}' "$server"; else echo "credentials not found in native keychain"; exit 1; fi`;

describe('credentials from the Docker config', () => {
  it('auths: base64 user:password, keys written as URLs or host:port', async () => {
    const env = dockerConfig({ auths: { 'https://reg.example.org:5000/v1/': { auth: Buffer.from('ci:pa:ss-w0rd').toString('base64') } } });
    expect(await dockerCredential('reg.example.org:5000', { env })).toMatchObject({ username: 'ci', password: 'pa:ss-w0rd' });
    expect(await dockerCredential('other.example.org', { env })).toBeUndefined();
    expect(runSecrets.redact('leak pa:ss-w0rd here')).toBe('leak *** here');
    expect(registryKey('http://127.0.0.1:5055')).toBe('127.0.0.1:5055');
  });

  it('credHelpers for the registry win over credsStore, which wins over auths', async () => {
    const env = dockerConfig(
      {
        credHelpers: { 'reg.example.org': 'per-registry' },
        credsStore: 'store',
        auths: { 'reg.example.org': { auth: Buffer.from('a:b-inline').toString('base64') } },
      },
      { 'per-registry': storeFor('reg.example.org', 'helper-user', 'helper-secret-1'), store: storeFor('other.example.org', 'store-user', 'store-secret-2') },
    );
    expect(await dockerCredential('reg.example.org', { env })).toEqual({
      username: 'helper-user',
      password: 'helper-secret-1',
      source: 'credential helper docker-credential-per-registry',
    });
    expect(await dockerCredential('other.example.org', { env })).toMatchObject({ username: 'store-user', password: 'store-secret-2' });
    // The store has nothing for a third registry: no credentials, not an error (and the auths entry is not consulted, as Docker does).
    expect(await dockerCredential('third.example.org', { env })).toBeUndefined();
  });

  it("identity tokens: a helper's <token> user, or an auths identitytoken, become an identity token, registered as a secret", async () => {
    const env = dockerConfig(
      { credHelpers: { 'hub.example.org': 'oauth' }, auths: { 'acr.example.org': { identitytoken: 'refresh-token-from-auths-9f2' } } },
      { oauth: storeFor('hub.example.org', '<token>', 'refresh-token-from-helper-7c1') },
    );
    expect(await dockerCredential('hub.example.org', { env })).toEqual({
      username: '<token>',
      password: '',
      identityToken: 'refresh-token-from-helper-7c1',
      source: 'credential helper docker-credential-oauth',
    });
    expect(await dockerCredential('acr.example.org', { env })).toMatchObject({ identityToken: 'refresh-token-from-auths-9f2' });
    expect(runSecrets.redact('x refresh-token-from-helper-7c1 y refresh-token-from-auths-9f2')).toBe('x *** y ***');
  });

  it('a failing helper is an error that names it and never shows a secret it printed', async () => {
    const env = dockerConfig({ credsStore: 'broken' }, { broken: 'echo "keychain locked; last secret was hunter2-hunter2" >&2; exit 2' });
    runSecrets.add('hunter2-hunter2');
    const error = await dockerCredential('reg.example.org', { env }).catch((e: Error) => e);
    expect((error as Error).message).toBe('the credential helper docker-credential-broken failed for reg.example.org: keychain locked; last secret was ***');
  });

  it('a helper that is not installed, one that hangs, one that answers garbage: each a clear error', async () => {
    const env = dockerConfig({ credHelpers: { a: 'missing', b: 'slow', c: 'garbage' } }, { slow: 'sleep 5', garbage: 'echo not json' });
    await expect(dockerCredential('a', { env })).rejects.toThrow(
      'the Docker config names the credential helper docker-credential-missing, which is not on PATH',
    );
    await expect(dockerCredential('b', { env, helperTimeoutMs: 300 })).rejects.toThrow(
      'the credential helper docker-credential-slow did not answer within 0.3 s',
    );
    await expect(dockerCredential('c', { env })).rejects.toThrow('the credential helper docker-credential-garbage answered something that is not JSON for c');
  });

  it('a helper name cannot be a path, and a config that is not JSON says so', async () => {
    await expect(dockerCredential('r', { env: dockerConfig({ credsStore: '../../bin/sh' }) })).rejects.toThrow('which is not a helper name');
    await expect(dockerCredential('r', { env: dockerConfig('{ not json') })).rejects.toThrow(/cannot read the Docker config .*config\.json: it is not JSON/);
  });

  it('no config file: no credentials', async () => {
    expect(await dockerCredential('r', { env: { DOCKER_CONFIG: join(tmpdir(), 'no-such-dir-t-docker'), PATH: '/usr/bin:/bin' } })).toBeUndefined();
  });

  it('asks the config once per registry, and again once forgotten', async () => {
    const auths = (user: string) => ({ auths: { 'cache.example.org': { auth: Buffer.from(`${user}:pw-${user}`).toString('base64') } } });
    const saved = process.env.DOCKER_CONFIG;
    try {
      process.env.DOCKER_CONFIG = dockerConfig(auths('first')).DOCKER_CONFIG;
      expect(await cachedDockerCredential('cache.example.org')).toMatchObject({ username: 'first' });
      process.env.DOCKER_CONFIG = dockerConfig(auths('second')).DOCKER_CONFIG;
      expect(await cachedDockerCredential('cache.example.org')).toMatchObject({ username: 'first' });
      forgetDockerCredentials();
      expect(await cachedDockerCredential('cache.example.org')).toMatchObject({ username: 'second' });
    } finally {
      if (saved === undefined) delete process.env.DOCKER_CONFIG;
      else process.env.DOCKER_CONFIG = saved;
      forgetDockerCredentials();
    }
  });
});
