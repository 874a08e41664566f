// Proxies on loopback that stand in front of the lab's real peers and record or break what passes: an HTTP proxy for a
// registry (recording every request; injecting error statuses, hangs, drops, drips, floods and garbage), and a TCP proxy
// that cuts a connection (an SSH session dropped in the middle of a command).
import http, { type IncomingMessage, type ServerResponse } from 'node:http';
import net, { type AddressInfo } from 'node:net';

/** What the proxy does with one request; `pass` forwards it untouched. */
export type Fault =
  | { kind: 'pass' }
  | { kind: 'status'; status: number; headers?: Record<string, string>; body?: string }
  /** Accepts the request and never answers. */
  | { kind: 'hang' }
  /** Forwards the request, then cuts the client's connection after this many bytes of the request body went upstream. */
  | { kind: 'cut-upload'; afterBytes: number }
  /** Forwards, then cuts the answer after this many bytes of its body. */
  | { kind: 'cut-answer'; afterBytes: number }
  /** Answers 200 with a JSON content type and a body that is not JSON. */
  | { kind: 'garbage' }
  /** Answers 200 with an endless body. */
  | { kind: 'flood' };

export const PASS: Fault = { kind: 'pass' };

export interface RecordedRequest {
  method: string;
  path: string;
}

export interface HttpProxy {
  /** `127.0.0.1:PORT`. */
  address: string;
  requests: RecordedRequest[];
  /** Decides each request's fault from now on; `n` counts requests from 1. */
  setFault(decide: (req: IncomingMessage, n: number) => Fault): void;
  close(): Promise<void>;
}

/** An HTTP proxy on a free loopback port in front of `target` (`host:port`), forwarding the Host header as sent. */
export async function startHttpProxy(target: string): Promise<HttpProxy> {
  const [targetHost, targetPort] = [target.slice(0, target.lastIndexOf(':')), Number(target.slice(target.lastIndexOf(':') + 1))];
  const requests: RecordedRequest[] = [];
  let decide: (req: IncomingMessage, n: number) => Fault = () => PASS;
  const server = http.createServer((req, res) => {
    requests.push({ method: req.method ?? '', path: req.url ?? '' });
    apply(decide(req, requests.length), req, res, { host: targetHost, port: targetPort });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  return {
    address: `127.0.0.1:${(server.address() as AddressInfo).port}`,
    requests,
    setFault: (next) => void (decide = next),
    close: () =>
      new Promise((resolve) => {
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  };
}

function apply(fault: Fault, req: IncomingMessage, res: ServerResponse, target: { host: string; port: number }): void {
  switch (fault.kind) {
    case 'status':
      req.resume();
      res.writeHead(fault.status, { 'Content-Type': 'application/json', ...fault.headers }).end(fault.body ?? '');
      return;
    case 'hang':
      req.resume();
      return;
    case 'garbage':
      req.resume();
      res.writeHead(200, { 'Content-Type': 'application/json' }).end('{"tags": [unterminated');
      return;
    case 'flood': {
      req.resume();
      res.writeHead(200, { 'Content-Type': 'application/json' });
      const chunk = Buffer.alloc(256 * 1024, 0x20);
      const pump = (): void => {
        while (!res.destroyed && res.write(chunk));
        if (!res.destroyed) res.once('drain', pump);
      };
      pump();
      return;
    }
    default:
      forward(fault, req, res, target);
  }
}

function forward(fault: Fault, req: IncomingMessage, res: ServerResponse, target: { host: string; port: number }): void {
  const upstream = http.request({ host: target.host, port: target.port, method: req.method, path: req.url, headers: req.headers }, (answer) => {
    res.writeHead(answer.statusCode ?? 502, answer.statusMessage, answer.headers);
    if (fault.kind !== 'cut-answer') return void answer.pipe(res);
    let sent = 0;
    answer.on('data', (chunk: Buffer) => {
      if (sent + chunk.length > fault.afterBytes) {
        res.write(chunk.subarray(0, fault.afterBytes - sent));
        res.socket?.destroy();
        answer.destroy();
        return;
      }
      sent += chunk.length;
      res.write(chunk);
    });
    answer.on('end', () => res.end());
  });
  upstream.on('error', () => res.socket?.destroy());
  if (fault.kind !== 'cut-upload') return void req.pipe(upstream);
  let forwarded = 0;
  req.on('data', (chunk: Buffer) => {
    forwarded += chunk.length;
    if (forwarded > fault.afterBytes) {
      upstream.destroy();
      req.socket.destroy();
      return;
    }
    upstream.write(chunk);
  });
  req.on('end', () => upstream.end());
}

export interface TcpProxy {
  address: { host: string; port: number };
  /** Connections accepted so far. */
  connections(): number;
  close(): Promise<void>;
}

/** A TCP proxy in front of `port` on loopback that cuts every connection `cutAfterMs` after it opened. */
export async function startCuttingTcpProxy(port: number, cutAfterMs: number): Promise<TcpProxy> {
  let accepted = 0;
  const sockets = new Set<net.Socket>();
  const server = net.createServer((client) => {
    accepted += 1;
    const upstream = net.connect(port, '127.0.0.1');
    for (const socket of [client, upstream]) {
      sockets.add(socket);
      socket.on('error', () => undefined);
      socket.on('close', () => sockets.delete(socket));
    }
    client.pipe(upstream).pipe(client);
    setTimeout(() => {
      client.destroy();
      upstream.destroy();
    }, cutAfterMs).unref();
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  return {
    address: { host: '127.0.0.1', port: (server.address() as AddressInfo).port },
    connections: () => accepted,
    close: () =>
      new Promise((resolve) => {
        for (const socket of sockets) socket.destroy();
        server.close(() => resolve());
      }),
  };
}
