// SSH servers that never answer, or drop in the middle of the handshake, on loopback: the connection fails as unreachable within
// its timeout, with a clear message, and no late error from the SSH library escapes (vitest fails a test on an unhandled error).
import { mkdtempSync, writeFileSync } from 'node:fs';
import { createServer, type Server, type Socket } from 'node:net';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { utils } from 'ssh2';
import { afterEach, describe, expect, it } from 'vitest';
import { UnreachableError } from '../../src/adapters/errors.js';
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
    { name: 'accepts the connection and never says a word', behave: (_socket: Socket) => undefined, message: /did not complete the handshake in time/ },
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
