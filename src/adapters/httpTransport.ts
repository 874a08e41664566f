import http, { type IncomingHttpHeaders } from 'node:http';
import https from 'node:https';
import type { Readable } from 'node:stream';
import { formatBytes } from '../shared/bytes.js';
import type { Limiter } from '../shared/limiter.js';

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
  /**
   * Longest silence on the socket (not the whole exchange, which may take long for a big blob). The answer's body must also
   * bring at least `MIN_BYTES_PER_WINDOW` in every such window, so a peer that drips a byte now and then is given up on too.
   */
  idleTimeoutMs: number;
}

/** An answer whose body is still to be read (or drained). */
export interface StreamResponse {
  status: number;
  statusText: string;
  headers: IncomingHttpHeaders;
  body: http.IncomingMessage;
}

export interface TransportOptions {
  /** The CAs trusted for this transport's peer (`registry_tls.ca`, certs.d), instead of Node's defaults. */
  ca?: Buffer | Array<string | Buffer>;
  /** A client certificate and its key, for a peer that asks for one (mutual TLS). */
  cert?: Buffer;
  key?: Buffer;
  /** Aborting it destroys every request in flight and refuses new ones (Ctrl-C). */
  signal?: AbortSignal;
  /** The largest answer `send` reads into memory; a bigger one is cut off. Default `MAX_BODY_BYTES`. */
  maxBodyBytes?: number;
  /** Bounds the `send` requests in flight to this peer (shared by every transport to it); each deadline starts when sent. */
  limiter?: Limiter;
}

/** Manifests, tag lists, tokens and error bodies are kilobytes; a registry that sends more than this is flooding. */
export const MAX_BODY_BYTES = 8 * 1024 * 1024;
/** About 1 KiB/s over a 30 s window: far below any real link, far above a drip. */
const MIN_BYTES_PER_WINDOW = 32 * 1024;

/** The request took longer than its timeout (connect, send and read all count), or a stream fell below the minimum rate. */
export class HttpTimeoutError extends Error {
  override readonly name: string = 'HttpTimeoutError';
}

/** A streamed answer brought less than the minimum in a window: a drip, not a slow link. */
export class HttpStalledError extends HttpTimeoutError {
  override readonly name = 'HttpStalledError';
}

/** The answer was larger than a request of its kind may read. */
export class HttpTooLargeError extends Error {
  override readonly name = 'HttpTooLargeError';
}

/** The streamed request body failed (its own check, or the peer it is read from); `cause` is that failure. */
export class HttpBodyError extends Error {
  override readonly name = 'HttpBodyError';
  constructor(override readonly cause: unknown) {
    super(cause instanceof Error ? cause.message : String(cause));
  }
}

/** The run was interrupted while the request was in flight. */
export class HttpAbortedError extends Error {
  override readonly name = 'HttpAbortedError';
}

/**
 * A small HTTP(S) client on node:http, used instead of fetch because a registry's private CA (`registry_ca`) must be trusted
 * for that registry alone, which fetch cannot do without extra packages. Keeps connections alive; `close` drops them. Every
 * request is bounded: `send` by a deadline and a size, `stream` by silence and a minimum rate, both by the abort signal.
 */
export class HttpTransport {
  // The limiter bounds requests; the sockets only need room for it and the streams beside it.
  private readonly httpAgent = new http.Agent({ keepAlive: true, maxSockets: 64 });
  private readonly httpsAgent: https.Agent;
  /** How to abort each request in flight (and the answer being read, so its reader learns why). */
  private readonly inFlight = new Set<(error: Error) => void>();
  private readonly maxBodyBytes: number;

  constructor(private readonly options: TransportOptions = {}) {
    const { ca, cert, key } = options;
    this.httpsAgent = new https.Agent({ keepAlive: true, maxSockets: 64, ...(ca !== undefined ? { ca } : {}), ...(cert !== undefined ? { cert, key } : {}) });
    this.maxBodyBytes = options.maxBodyBytes ?? MAX_BODY_BYTES;
    options.signal?.addEventListener('abort', this.abortAll, { once: true });
  }

  send(request: HttpRequest): Promise<HttpResponse> {
    return this.options.limiter !== undefined ? this.options.limiter.run(() => this.sendNow(request)) : this.sendNow(request);
  }

  private sendNow(request: HttpRequest): Promise<HttpResponse> {
    const headers = { ...request.headers, ...(request.body !== undefined ? { 'Content-Length': String(request.body.length) } : {}) };
    return new Promise((resolve, reject) => {
      const req = this.open(request.method, request.url, headers);
      if (req === undefined) return reject(new HttpAbortedError('interrupted'));
      const timer = setTimeout(() => req.destroy(new HttpTimeoutError(`no answer within ${request.timeoutMs} ms`)), request.timeoutMs);
      const fail = (error: Error): void => {
        clearTimeout(timer);
        reject(error);
      };
      req.on('error', fail);
      req.on('response', (res) => {
        const tooLarge = (): void => {
          fail(new HttpTooLargeError(`the answer is larger than ${formatBytes(this.maxBodyBytes)}`));
          req.destroy();
        };
        // A HEAD answer has no body: its Content-Length is the size of what a GET would send (a layer's, say).
        if (request.method !== 'HEAD' && Number(res.headers['content-length']) > this.maxBodyBytes) return tooLarge();
        const chunks: Buffer[] = [];
        let size = 0;
        res.on('data', (chunk: Buffer) => {
          size += chunk.length;
          if (size > this.maxBodyBytes) return tooLarge();
          chunks.push(chunk);
        });
        res.on('error', fail);
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
    const headers = { ...request.headers, ...(request.contentLength !== undefined ? { 'Content-Length': String(request.contentLength) } : {}) };
    return new Promise((resolve, reject) => {
      const req = this.open(request.method, request.url, headers);
      if (req === undefined) return reject(new HttpAbortedError('interrupted'));
      req.setTimeout(request.idleTimeoutMs, () => req.destroy(new HttpTimeoutError(`no data for ${request.idleTimeoutMs} ms`)));
      req.on('error', reject);
      req.on('response', (res) => {
        res.on('error', () => undefined);
        guardRate(req, res, request.idleTimeoutMs);
        resolve({ status: res.statusCode ?? 0, statusText: res.statusMessage ?? '', headers: res.headers, body: res });
      });
      if (request.body === undefined) {
        req.end();
        return;
      }
      // A failing body (a digest that does not match, a source that dropped) aborts the request, so the server never completes
      // it; the error says it came from the body, not from this peer.
      if (request.body.errored) {
        req.destroy(new HttpBodyError(request.body.errored));
        return;
      }
      request.body.on('error', (error) => req.destroy(new HttpBodyError(error)));
      request.body.pipe(req);
    });
  }

  close(): void {
    this.options.signal?.removeEventListener('abort', this.abortAll);
    this.httpAgent.destroy();
    this.httpsAgent.destroy();
  }

  /** A request tracked for abort, or undefined when the run is already interrupted. */
  private open(method: string, target: string, headers: Record<string, string>): http.ClientRequest | undefined {
    if (this.options.signal?.aborted === true) return undefined;
    const url = new URL(target);
    const secure = url.protocol === 'https:';
    const req = (secure ? https : http).request(url, { method, headers, agent: secure ? this.httpsAgent : this.httpAgent });
    let answer: http.IncomingMessage | undefined;
    const abort = (error: Error): void => {
      answer?.destroy(error);
      req.destroy(error);
    };
    this.inFlight.add(abort);
    req.on('response', (res) => {
      answer = res;
      res.on('close', () => this.inFlight.delete(abort));
    });
    req.on('close', () => {
      if (answer === undefined) this.inFlight.delete(abort);
    });
    return req;
  }

  private readonly abortAll = (): void => {
    for (const abort of [...this.inFlight]) abort(new HttpAbortedError('interrupted'));
  };
}

/** Cuts off an answer whose body brings less than `MIN_BYTES_PER_WINDOW` in a window while it is being read. */
function guardRate(req: http.ClientRequest, res: http.IncomingMessage, windowMs: number): void {
  // Counted on the socket, so the guard never puts the body into flowing mode before its reader is ready.
  let mark = res.socket?.bytesRead ?? 0;
  const timer = setInterval(() => {
    const now = res.socket?.bytesRead ?? mark;
    // A body nobody reads yet, or one its reader paused (back-pressure), is slow by the reader's choice, not the peer's.
    if (now - mark < MIN_BYTES_PER_WINDOW && res.readableFlowing === true) {
      const error = new HttpStalledError(`it sent less than ${formatBytes(MIN_BYTES_PER_WINDOW)} in ${windowMs / 1000} s`);
      res.destroy(error);
      req.destroy(error);
    }
    mark = now;
  }, windowMs);
  timer.unref();
  res.on('close', () => clearInterval(timer));
  res.on('end', () => clearInterval(timer));
}
