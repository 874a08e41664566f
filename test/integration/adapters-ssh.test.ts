// connectSsh against the lab's sshd: commands, exit codes, timeouts, and every way a connection must be refused.
import { execFile } from 'node:child_process';
import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { UnreachableError } from '../../src/adapters/errors.js';
import { connectSsh, type Ssh2Session } from '../../src/adapters/ssh.js';
import type { SshEndpoint } from '../../src/model/inventory.js';
import { LAB_DIR, SSH } from '../support/lab.js';

const run = promisify(execFile);

const LAB_ENDPOINT: SshEndpoint = { host: SSH.host, port: SSH.port, user: SSH.user, identity_file: SSH.identityFile, known_hosts: SSH.knownHosts };

let dir: string;
let strangerKey: string;
let hostKeyLine: string;

async function refusal(endpoint: SshEndpoint): Promise<UnreachableError> {
  const outcome = await connectSsh(endpoint).then(
    async (session) => {
      await session.close();
      return new Error('connected, but should have been refused');
    },
    (error: unknown) => error,
  );
  if (!(outcome instanceof UnreachableError)) throw outcome;
  return outcome;
}

beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), 't-adapters-ssh-'));
  strangerKey = join(dir, 'stranger');
  await run('ssh-keygen', ['-q', '-t', 'ed25519', '-N', '', '-C', 'stranger', '-f', strangerKey]);
  hostKeyLine = (await readFile(join(LAB_DIR, 'ssh/ssh_host_ed25519_key.pub'), 'utf8')).split(' ').slice(0, 2).join(' ');
});

afterAll(async () => {
  await rm(dir, { recursive: true, force: true });
});

describe('a session to the lab sshd', () => {
  let session: Ssh2Session;
  beforeAll(async () => {
    session = await connectSsh(LAB_ENDPOINT);
  });
  afterAll(async () => {
    await session.close();
  });

  it('runs a command and returns its output and exit code', async () => {
    expect(await session.exec('echo "on $(hostname)"; echo warn >&2')).toEqual({ code: 0, stdout: `on ${(await run('hostname')).stdout}`, stderr: 'warn\n' });
  });

  it('returns a non-zero exit code as a result, not an error', async () => {
    expect(await session.exec('echo partial; exit 7')).toEqual({ code: 7, stdout: 'partial\n', stderr: '' });
  });

  it('reports a command killed by a signal as 128 + the signal', async () => {
    expect((await session.exec('kill -TERM $$')).code).toBe(143);
  });

  it('stops waiting for a command at its timeout, and the session stays usable', async () => {
    const started = Date.now();
    await expect(session.exec('sleep 60', { timeoutMs: 200 })).rejects.toThrow(`a command on ${SSH.user}@${SSH.host}:${SSH.port} did not finish within 200ms`);
    // Well before the command would have ended (60 s), with room for a loaded machine.
    expect(Date.now() - started).toBeLessThan(15_000);
    expect((await session.exec('echo still here')).stdout).toBe('still here\n');
  });

  it('stops waiting when aborted', async () => {
    const controller = new AbortController();
    setTimeout(() => controller.abort(new Error('interrupted by test')), 100);
    await expect(session.exec('sleep 5', { signal: controller.signal })).rejects.toThrow('interrupted by test');
  });

  it('runs commands in parallel over one connection', async () => {
    const results = await Promise.all([1, 2, 3, 4].map((n) => session.exec(`echo ${n}`)));
    expect(results.map((result) => result.stdout)).toEqual(['1\n', '2\n', '3\n', '4\n']);
  });

  it('refuses to run after close', async () => {
    const other = await connectSsh(LAB_ENDPOINT);
    await other.close();
    expect(other.isOpen).toBe(false);
    await expect(other.exec('true')).rejects.toBeInstanceOf(UnreachableError);
  });
});

describe('refused connections', () => {
  it('refuses a server whose host key is not in known_hosts', async () => {
    const knownHosts = join(dir, 'empty_known_hosts');
    await writeFile(knownHosts, '# nothing known yet\n');
    const error = await refusal({ ...LAB_ENDPOINT, known_hosts: knownHosts });
    expect(error.code).toBe('host-key-unknown');
    expect(error.message).toMatch(
      new RegExp(`^SSH host key of 127\\.0\\.0\\.1:${SSH.port} \\(ssh-ed25519 SHA256:[A-Za-z0-9+/]{43}\\) is not in ${knownHosts}; `),
    );
  });

  it('refuses when known_hosts does not exist', async () => {
    const error = await refusal({ ...LAB_ENDPOINT, known_hosts: join(dir, 'missing_known_hosts') });
    expect(error.code).toBe('host-key-unknown');
  });

  it('refuses a server whose host key differs from known_hosts', async () => {
    const knownHosts = join(dir, 'wrong_known_hosts');
    const stranger = (await readFile(`${strangerKey}.pub`, 'utf8')).split(' ').slice(0, 2).join(' ');
    await writeFile(knownHosts, `[127.0.0.1]:${SSH.port} ${stranger}\n`);
    const error = await refusal({ ...LAB_ENDPOINT, known_hosts: knownHosts });
    expect(error.code).toBe('host-key-mismatch');
    expect(error.message).toContain('does not match the one in');
  });

  it('refuses a revoked host key even when it is also listed', async () => {
    const knownHosts = join(dir, 'revoked_known_hosts');
    await writeFile(knownHosts, `@revoked [127.0.0.1]:${SSH.port} ${hostKeyLine}\n[127.0.0.1]:${SSH.port} ${hostKeyLine}\n`);
    expect((await refusal({ ...LAB_ENDPOINT, known_hosts: knownHosts })).code).toBe('host-key-revoked');
  });

  it('accepts the host key from a hashed known_hosts line', async () => {
    const knownHosts = join(dir, 'hashed_known_hosts');
    await writeFile(knownHosts, `[127.0.0.1]:${SSH.port} ${hostKeyLine}\n`);
    await run('ssh-keygen', ['-H', '-f', knownHosts]);
    expect(await readFile(knownHosts, 'utf8')).toMatch(/^\|1\|/);
    const session = await connectSsh({ ...LAB_ENDPOINT, known_hosts: knownHosts });
    expect((await session.exec('echo ok')).stdout).toBe('ok\n');
    await session.close();
  });

  it('reports a key the server does not accept', async () => {
    const error = await refusal({ ...LAB_ENDPOINT, identity_file: strangerKey });
    expect(error.code).toBe('auth-failed');
    expect(error.message).toBe(`SSH server root@127.0.0.1:${SSH.port} did not accept ${strangerKey} for user root`);
  });

  it('reports a closed port as unreachable', async () => {
    const error = await refusal({ ...LAB_ENDPOINT, port: 1 });
    expect(error.code).toBe('connection-refused');
    expect(error.message).toBe('could not connect to SSH server root@127.0.0.1:1: connection refused');
  });

  it('names a missing identity file without reading anything else', async () => {
    await expect(connectSsh({ ...LAB_ENDPOINT, identity_file: join(dir, 'no_such_key') })).rejects.toThrow(
      `could not read the SSH identity file ${join(dir, 'no_such_key')} for root@127.0.0.1:${SSH.port}: ENOENT`,
    );
  });
});
