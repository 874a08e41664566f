// SSH servers that never answer, or drop in the middle of the handshake, on loopback: the connection fails as unreachable within
// its timeout, with a clear message, and no late error from the SSH library escapes (vitest fails a test on an unhandled error).
import { mkdtempSync, writeFileSync } from 'node:fs';
import { createServer, type Server, type Socket } from 'node:net';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { utils } from 'ssh2';
import { afterEach, describe, expect, it } from 'vitest';
import { connectDocker } from '../../src/adapters/docker.js';
import { InterruptedError, UnreachableError } from '../../src/adapters/errors.js';
import { connectSsh } from '../../src/adapters/ssh.js';

const sockets: Socket[] = [];
const servers: Server[] = [];
afterEach(async () => {
  for (const socket of sockets.splice(0)) socket.destroy();
  await Promise.all(servers.splice(0).map((server) => new Promise((resolve) => server.close(resolve))));
});

// ecdsa: ssh2's ed25519 generator makes a key it cannot read about once in 300 tries.
const keyFile = (): string => {
  const file = join(mkdtempSync(join(tmpdir(), 't-ssh-peers-')), 'id_ecdsa');
  writeFileSync(file, utils.generateKeyPairSync('ecdsa', { bits: 256 }).private, { mode: 0o600 });
  return file;
};

async function peer(onConnection: (socket: Socket) => void): Promise<number> {
  const server = createServer((socket) => {
    sockets.push(socket);
    socket.on('error', () => undefined);
    onConnection(socket);
  });
  servers.push(server);
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  return (server.address() as AddressInfo).port;
}

describe('SSH peers that misbehave', () => {
  it.each([
    {
      name: 'accepts the connection and never says a word',
      behave: (_socket: Socket) => undefined,
      message: /did not complete the handshake within 500ms \(timeouts\.ssh\)$/,
    },
    { name: 'sends its banner, then hangs up', behave: (socket: Socket) => socket.end('SSH-2.0-OpenSSH_9.2\r\n'), message: /127\.0\.0\.1/ },
    { name: 'answers with garbage', behave: (socket: Socket) => socket.end('HTTP/1.1 400 Bad Request\r\n\r\n'), message: /127\.0\.0\.1/ },
  ])('a server that $name: unreachable, no crash', async ({ behave, message }) => {
    const port = await peer(behave);
    const started = performance.now();
    const error = await connectSsh(
      { host: '127.0.0.1', port, user: 'deploy', identity_file: keyFile(), known_hosts: '/dev/null' },
      { readyTimeoutMs: 500 },
    ).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(UnreachableError);
    expect((error as Error).message).toMatch(message);
    // Late errors (the socket closing after the timeout) would surface as unhandled errors while we wait here.
    await new Promise((resolve) => setTimeout(resolve, 300));
    for (const socket of sockets) socket.destroy();
    await new Promise((resolve) => setTimeout(resolve, 300));
    expect(performance.now() - started).toBeLessThan(30_000);
  });
});

describe('peers that never answer, and the time-out settings', () => {
  it('an engine that accepts and stays silent is unreachable after timeouts.engine, which the message names', async () => {
    const port = await peer(() => undefined);
    const error = await connectDocker({ host: `tcp://127.0.0.1:${port}`, tls: false }, { pingTimeoutMs: 400 }).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(UnreachableError);
    expect((error as Error).message).toBe(`Docker Engine at tcp://127.0.0.1:${port} did not answer a ping within 400ms (timeouts.engine)`);
  });

  // The interrupt must win long before the time-out: 60 s time-outs, an abort after 200 ms, and a bound of 10 s (generous for
  // a loaded machine, and still six times shorter than the time-out it proves was not waited out).
  it.each([
    {
      name: 'an SSH handshake',
      connect: (port: number, signal: AbortSignal) =>
        connectSsh({ host: '127.0.0.1', port, user: 'deploy', identity_file: keyFile(), known_hosts: '/dev/null' }, { readyTimeoutMs: 60_000, signal }),
      message: /^interrupted while connecting to SSH server deploy@127\.0\.0\.1:\d+$/,
    },
    {
      name: "an engine's first ping",
      connect: (port: number, signal: AbortSignal) => connectDocker({ host: `tcp://127.0.0.1:${port}`, tls: false }, { pingTimeoutMs: 60_000, signal }),
      message: /^interrupted while connecting to Docker Engine at tcp:\/\/127\.0\.0\.1:\d+$/,
    },
  ])(
    'the first Ctrl-C gives up $name at once, not after its time-out',
    async ({ connect, message }) => {
      const port = await peer(() => undefined);
      const interrupt = new AbortController();
      const started = performance.now();
      setTimeout(() => interrupt.abort(), 200);
      const error = await connect(port, interrupt.signal).catch((e: unknown) => e);
      expect(error).toBeInstanceOf(InterruptedError);
      expect((error as Error).message).toMatch(message);
      expect(performance.now() - started).toBeLessThan(10_000);
    },
    20_000,
  );
});
