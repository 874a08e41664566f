import http, { type IncomingHttpHeaders } from 'node:http';
import https from 'node:https';
import type { Readable } from 'node:stream';

/** One HTTP exchange, body fully read. */
export interface HttpResponse {
  status: number;
  statusText: string;
  headers: IncomingHttpHeaders;
  body: Buffer;
}

export interface HttpRequest {
  method: string;
  url: string;
  headers: Record<string, string>;
  body?: Buffer;
  timeoutMs: number;
}

/** A request whose body (if any) is streamed and whose answer is handed over unread, for blobs too big to hold in memory. */
export interface StreamRequest {
  method: string;
  url: string;
  headers: Record<string, string>;
  body?: Readable;
  /** Sent as Content-Length with `body` (registries refuse chunked transfer encoding on uploads). */
  contentLength?: number;
  /** Longest silence on the socket (not the whole exchange, which may take long for a big blob). */
  idleTimeoutMs: number;
}

/** An answer whose body is still to be read (or drained). */
export interface StreamResponse {
  status: number;
  statusText: string;
  headers: IncomingHttpHeaders;
  body: http.IncomingMessage;
}

/** The request took longer than its timeout (connect, send and read all count). */
export class HttpTimeoutError extends Error {
  override readonly name = 'HttpTimeoutError';
}

/**
 * A small HTTP(S) client on node:http, used instead of fetch because a registry's private CA (`registry_ca`) must be trusted
 * for that registry alone, which fetch cannot do without extra packages. Keeps connections alive; `close` drops them.
 */
export class HttpTransport {
  private readonly httpAgent = new http.Agent({ keepAlive: true, maxSockets: 8 });
  private readonly httpsAgent: https.Agent;

  constructor(ca?: Buffer) {
    this.httpsAgent = new https.Agent({ keepAlive: true, maxSockets: 8, ...(ca !== undefined ? { ca } : {}) });
  }

  send(request: HttpRequest): Promise<HttpResponse> {
    const url = new URL(request.url);
    const secure = url.protocol === 'https:';
    const headers = { ...request.headers, ...(request.body !== undefined ? { 'Content-Length': String(request.body.length) } : {}) };
    return new Promise((resolve, reject) => {
      const req = (secure ? https : http).request(url, { method: request.method, headers, agent: secure ? this.httpsAgent : this.httpAgent });
      const timer = setTimeout(() => req.destroy(new HttpTimeoutError(`no answer within ${request.timeoutMs} ms`)), request.timeoutMs);
      req.on('error', (error) => {
        clearTimeout(timer);
        reject(error);
      });
      req.on('response', (res) => {
        const chunks: Buffer[] = [];
        res.on('data', (chunk: Buffer) => chunks.push(chunk));
        res.on('error', (error) => {
          clearTimeout(timer);
          reject(error);
        });
        res.on('end', () => {
          clearTimeout(timer);
          resolve({ status: res.statusCode ?? 0, statusText: res.statusMessage ?? '', headers: res.headers, body: Buffer.concat(chunks) });
        });
      });
      req.end(request.body);
    });
  }

  /** Sends `request`, streaming its body; resolves as soon as the answer's headers arrive. */
  stream(request: StreamRequest): Promise<StreamResponse> {
    const url = new URL(request.url);
    const secure = url.protocol === 'https:';
    const headers = { ...request.headers, ...(request.contentLength !== undefined ? { 'Content-Length': String(request.contentLength) } : {}) };
    return new Promise((resolve, reject) => {
      const req = (secure ? https : http).request(url, { method: request.method, headers, agent: secure ? this.httpsAgent : this.httpAgent });
      req.setTimeout(request.idleTimeoutMs, () => req.destroy(new HttpTimeoutError(`no data for ${request.idleTimeoutMs} ms`)));
      req.on('error', reject);
      req.on('response', (res) => {
        res.on('error', () => undefined);
        resolve({ status: res.statusCode ?? 0, statusText: res.statusMessage ?? '', headers: res.headers, body: res });
      });
      if (request.body === undefined) {
        req.end();
        return;
      }
      // A failing body (a digest that does not match) aborts the request, so the server never completes it.
      if (request.body.errored) {
        req.destroy(request.body.errored);
        return;
      }
      request.body.on('error', (error) => req.destroy(error));
      request.body.pipe(req);
    });
  }

  close(): void {
    this.httpAgent.destroy();
    this.httpsAgent.destroy();
  }
}
