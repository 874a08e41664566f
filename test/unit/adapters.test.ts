import { homedir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { isConnectionError } from '../../src/adapters/errors.js';
import { parseDockerHost, redactAddress } from '../../src/adapters/docker.js';
import { expandHome, hostKeyAlgorithms, hostKeyRefusal, sshConnectError, sshTarget } from '../../src/adapters/sshOptions.js';

describe('parseDockerHost', () => {
  it.each([
    { address: 'unix:///var/run/docker.sock', expected: { kind: 'unix', socketPath: '/var/run/docker.sock' } },
    { address: 'tcp://127.0.0.1:2375', expected: { kind: 'tcp', host: '127.0.0.1', port: 2375 } },
    { address: 'tcp://docker.example.org', expected: { kind: 'tcp', host: 'docker.example.org', port: 2375 } },
    { address: 'tcp://[::1]:2376', expected: { kind: 'tcp', host: '::1', port: 2376 } },
    { address: 'ssh://deploy@web1.example.org', expected: { kind: 'ssh', user: 'deploy', host: 'web1.example.org', port: 22 } },
    { address: 'ssh://root@127.0.0.1:2222', expected: { kind: 'ssh', user: 'root', host: '127.0.0.1', port: 2222 } },
  ])('$address', ({ address, expected }) => {
    expect(parseDockerHost(address)).toEqual(expected);
  });

  it('defaults to 2376 with TLS and to the given user for ssh', () => {
    expect(parseDockerHost('tcp://d.example.org', { tls: true })).toEqual({ kind: 'tcp', host: 'd.example.org', port: 2376 });
    expect(parseDockerHost('ssh://web1.example.org', { user: 'ops' })).toEqual({ kind: 'ssh', user: 'ops', host: 'web1.example.org', port: 22 });
  });

  it.each([
    { address: 'unix://relative.sock', message: 'docker host unix://relative.sock needs an absolute socket path (unix:///path/docker.sock)' },
    { address: 'http://d:2375', message: 'docker host http://d:2375 has an unsupported scheme http: (use unix://, tcp:// or ssh://)' },
    { address: 'not a url', message: 'docker host not a url is not unix:///path, tcp://host:port or ssh://user@host' },
  ])('rejects $address', ({ address, message }) => {
    expect(() => parseDockerHost(address)).toThrow(message);
  });

  it('never echoes a password written into the address', () => {
    expect(() => parseDockerHost('http://u:secret@d:2375')).toThrow('docker host http://u@d:2375 has an unsupported scheme http:');
    expect(redactAddress('ssh://u:secret@h:22')).toBe('ssh://u@h:22');
    expect(redactAddress('unix:///var/run/docker.sock')).toBe('unix:///var/run/docker.sock');
  });
});

describe('hostKeyAlgorithms', () => {
  it('offers the ssh2 defaults when nothing is known', () => {
    expect(hostKeyAlgorithms([])).toEqual([
      'ssh-ed25519',
      'ecdsa-sha2-nistp256',
      'ecdsa-sha2-nistp384',
      'ecdsa-sha2-nistp521',
      'rsa-sha2-512',
      'rsa-sha2-256',
      'ssh-rsa',
    ]);
  });

  it('puts the known key types first, rsa with its signature algorithms', () => {
    expect(hostKeyAlgorithms(['ssh-rsa', 'ecdsa-sha2-nistp256']).slice(0, 5)).toEqual([
      'rsa-sha2-512',
      'rsa-sha2-256',
      'ssh-rsa',
      'ecdsa-sha2-nistp256',
      'ssh-ed25519',
    ]);
    expect(hostKeyAlgorithms(['ssh-rsa'])).toHaveLength(7);
  });

  it('ignores key types ssh2 cannot use', () => {
    expect(hostKeyAlgorithms(['sk-ssh-ed25519@openssh.com'])[0]).toBe('ssh-ed25519');
  });
});

describe('SSH messages', () => {
  const endpoint = { host: 'web1.example.org', user: 'deploy' };

  it('names the target', () => {
    expect(sshTarget(endpoint)).toBe('deploy@web1.example.org:22');
    expect(sshTarget({ ...endpoint, port: 2222 })).toBe('deploy@web1.example.org:2222');
  });

  it.each([
    {
      verdict: 'unknown' as const,
      code: 'host-key-unknown',
      message:
        'SSH host key of web1.example.org:22 (ssh-ed25519 SHA256:abc) is not in /k; after checking the fingerprint, add it with `ssh-keyscan web1.example.org >> /k`',
    },
    {
      verdict: 'mismatch' as const,
      code: 'host-key-mismatch',
      message:
        'SSH host key of web1.example.org:22 (ssh-ed25519 SHA256:abc) does not match the one in /k; refusing to connect (the server was reinstalled, or someone is in the middle)',
    },
    {
      verdict: 'revoked' as const,
      code: 'host-key-revoked',
      message: 'SSH host key of web1.example.org:22 (ssh-ed25519 SHA256:abc) is marked @revoked in /k; refusing to connect',
    },
  ])('refuses a host key that is $verdict', ({ verdict, code, message }) => {
    const error = hostKeyRefusal(verdict, endpoint, '/k', 'ssh-ed25519', 'SHA256:abc');
    expect([error.code, error.message]).toEqual([code, message]);
  });

  it('gives ssh-keyscan the port when it is not 22', () => {
    expect(hostKeyRefusal('unknown', { ...endpoint, port: 2222 }, '/k', 't', 'f').message).toContain('`ssh-keyscan -p 2222 web1.example.org >> /k`');
  });

  it.each([
    {
      error: Object.assign(new Error('All configured authentication methods failed'), { level: 'client-authentication' }),
      code: 'auth-failed',
      message: 'SSH server deploy@web1.example.org:22 did not accept /id for user deploy',
    },
    {
      error: Object.assign(new Error('Timed out while waiting for handshake'), { level: 'client-timeout' }),
      code: 'timeout',
      message: 'SSH server deploy@web1.example.org:22 did not complete the handshake within 20.0s (timeouts.ssh)',
    },
    {
      error: Object.assign(new Error('connect ECONNREFUSED'), { code: 'ECONNREFUSED' }),
      code: 'connection-refused',
      message: 'could not connect to SSH server deploy@web1.example.org:22: connection refused',
    },
    {
      error: Object.assign(new Error('getaddrinfo ENOTFOUND'), { code: 'ENOTFOUND' }),
      code: 'unreachable',
      message: 'could not connect to SSH server deploy@web1.example.org:22: ENOTFOUND',
    },
  ])('maps ssh2 error $code', ({ error, code, message }) => {
    const mapped = sshConnectError(error, endpoint, '/id', 20_000);
    expect([mapped.code, mapped.message]).toEqual([code, message]);
  });
});

it('expands ~ in paths', () => {
  expect(expandHome('~/.ssh/known_hosts')).toBe(join(homedir(), '.ssh/known_hosts'));
  expect(expandHome('/etc/ssh/known')).toBe('/etc/ssh/known');
  expect(expandHome('~')).toBe(homedir());
});

it('recognises connection failures through causes', () => {
  expect(isConnectionError(Object.assign(new Error('fetch failed'), { cause: { code: 'ECONNREFUSED' } }))).toBe(true);
  expect(isConnectionError(new Error('HTTP 500'))).toBe(false);
});
