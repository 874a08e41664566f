// Small HTTP servers on 127.0.0.1 that answer what a real registry rarely does on demand, for tests of freshen's HTTP side.
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { afterEach } from 'vitest';

export type Handler = (req: IncomingMessage, res: ServerResponse) => void;

const servers: Server[] = [];

/** Closes the servers a test started; registered once per test file that imports this module. */
afterEach(async () => {
  await Promise.all(
    servers.splice(0).map((server) => {
      server.closeAllConnections();
      return new Promise((resolve) => server.close(resolve));
    }),
  );
});

/** A server on a free loopback port, closed after the test; returns its `host:port`. */
export async function serve(handler: Handler): Promise<string> {
  const server = createServer(handler);
  servers.push(server);
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  server.unref();
  return `127.0.0.1:${(server.address() as AddressInfo).port}`;
}

/** Stops the server last started, so its port refuses connections. */
export async function stopLastServer(): Promise<void> {
  const server = servers.pop();
  await new Promise((resolve) => server?.close(resolve));
}

export const json = (res: ServerResponse, status: number, body: unknown, headers: Record<string, string> = {}): void => {
  res.writeHead(status, { 'Content-Type': 'application/json', ...headers });
  res.end(JSON.stringify(body));
};

/** The error a promise rejects with; fails the test when it resolves. */
export async function rejection(promise: Promise<unknown>): Promise<Error> {
  try {
    await promise;
  } catch (error) {
    return error as Error;
  }
  throw new Error('expected a rejection');
}
