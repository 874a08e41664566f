import { runSecrets } from '../shared/secretText.js';
import type { Limiter } from '../shared/limiter.js';
import type { ConfigCache } from './configCache.js';
import { visibleControls } from '../shared/terminalText.js';
import { cachedDockerCredential } from './dockerCredentials.js';
import { DEFAULT_CERTS_DIR, registryTlsFiles } from './registryTls.js';
import { join } from 'node:path';
import { PassThrough, type Readable } from 'node:stream';
import { formatDuration } from '../model/duration.js';
import { DEFAULT_TIMEOUTS, type RegistrySettings } from '../model/inventory.js';
import { InterruptedError, RegistryError, UnreachableError, errorMessage, isConnectionError } from './errors.js';
import {
  HttpAbortedError,
  HttpBodyError,
  HttpStalledError,
  HttpTimeoutError,
  HttpTooLargeError,
  HttpTransport,
  type HttpResponse,
  type StreamResponse,
} from './httpTransport.js';
import { parseRetryAfter, withReadRetries } from './retry.js';
import { blobPath, mountBlob, uploadBlob, type UploadIo } from './registryBlobs.js';
import { isRegistryOrigin, realmProblem } from './credentialOrigin.js';
import { TokenCache, accessKey, basicAuthorization, parseChallenge, tokenUrl, type AuthChallenge } from './registryAuth.js';
import { MANIFEST_ACCEPT, MEDIA_TYPES, configDigestOf, isIndex, manifestMediaType, nextLink, platformManifestDigest, sha256Digest } from './registryFormats.js';
import type { BlobStream, RegistryClient, RegistryImageConfig, RegistryManifest } from './types.js';

/** Options of `createRegistryClient`. */
export interface RegistryClientOptions {
  /** Per request: connect, send and read the whole answer. Default 30 s. */
  timeoutMs?: number;
  /** The run's interrupt: aborting it aborts every request in flight (Ctrl-C). */
  signal?: AbortSignal;
  /** Config blobs kept between runs (immutable by digest). */
  configCache?: ConfigCache;
  /** Bounds the requests in flight to this registry, shared by every client of it in the run. */
  limiter?: Limiter;
}

/** A registry client that also holds kept-alive connections, which `close` releases. */
export interface ClosableRegistryClient extends RegistryClient {
  close(): void;
}

interface RequestOptions {
  headers?: Record<string, string>;
  body?: Buffer;
  /** Statuses that are answers rather than errors; 404 is often one. */
  accept?: number[];
}

const REDIRECTS = [301, 302, 303, 307, 308];

const TLS_CODES = /CERT|SELF_SIGNED|UNABLE_TO_VERIFY|ERR_TLS|ERR_SSL|EPROTO/;

/** The URL without user and password, for messages. */
const redactUrl = (url: string): string => url.replace(/^([a-z]+:\/\/)[^@/]*@/i, '$1');

/** A client of the Docker Registry HTTP API v2 (distribution, OCI) with Basic and bearer-token authentication. */
export function createRegistryClient(settings: RegistrySettings, options: RegistryClientOptions = {}): ClosableRegistryClient {
  const tls = registryTlsFiles(settings);
  const transport = new HttpTransport({
    ...(tls.ca !== undefined ? { ca: tls.ca } : {}),
    ...(tls.cert !== undefined && tls.key !== undefined ? { cert: tls.cert, key: tls.key } : {}),
    ...(options.signal !== undefined ? { signal: options.signal } : {}),
    ...(options.limiter !== undefined ? { limiter: options.limiter } : {}),
  });
  return new HttpRegistryClient(
    settings,
    transport,
    options.timeoutMs ?? DEFAULT_TIMEOUTS.registry,
    options.signal,
    tls.cert !== undefined,
    options.configCache,
  );
}

class HttpRegistryClient implements ClosableRegistryClient {
  readonly name: string;
  /** Set once the registry asked for Basic auth, so later requests send it straight away. */
  private usesBasic = false;
  /** The inventory's credentials, else Docker's (looked up only when the registry first asks for credentials). */
  private auth: RegistrySettings['auth'];
  private authSource = 'registry_auth';
  private dockerLookedUp = false;
  private readonly tokens = new TokenCache();

  constructor(
    private readonly settings: RegistrySettings,
    private readonly transport: HttpTransport,
    private readonly timeoutMs: number,
    private readonly signal?: AbortSignal,
    private readonly hasClientCertificate = false,
    private readonly configCache?: ConfigCache,
  ) {
    this.name = settings.name;
    this.auth = settings.auth;
  }

  async ping(): Promise<void> {
    await this.request('GET', '/v2/');
  }

  async catalog(): Promise<string[]> {
    return this.paginate('/v2/_catalog?n=1000', 'repositories');
  }

  async tags(repository: string): Promise<string[]> {
    return this.paginate(`/v2/${repository}/tags/list?n=1000`, 'tags');
  }

  async manifestDigest(repository: string, reference: string): Promise<string | undefined> {
    const res = await this.request('HEAD', manifestPath(repository, reference), { headers: { Accept: MANIFEST_ACCEPT }, accept: [404] });
    if (res.status === 404) return undefined;
    const digest = headerOf(res, 'docker-content-digest');
    // Without the header the digest has to come from the bytes themselves.
    return digest ?? (await this.manifest(repository, reference))?.digest;
  }

  async manifest(repository: string, reference: string): Promise<RegistryManifest | undefined> {
    const res = await this.request('GET', manifestPath(repository, reference), { headers: { Accept: MANIFEST_ACCEPT }, accept: [404] });
    if (res.status === 404) return undefined;
    const body = parseJson(res.body, `manifest ${repository}:${reference} from registry ${this.name}`);
    const computed = sha256Digest(res.body);
    if (reference.startsWith('sha256:') && reference !== computed) {
      throw new Error(`registry ${this.name} served ${repository}@${reference} with content whose digest is ${computed}`);
    }
    return {
      digest: headerOf(res, 'docker-content-digest') ?? computed,
      mediaType: manifestMediaType(headerOf(res, 'content-type'), body),
      raw: res.body,
      body,
    };
  }

  async imageConfig(repository: string, reference: string, platform?: { os: string; architecture: string }): Promise<RegistryImageConfig | undefined> {
    let manifest = await this.manifest(repository, reference);
    if (manifest === undefined) return undefined;
    const referenceDigest = manifest.digest;
    if (isIndex(manifest.mediaType)) {
      const platformDigest = platformManifestDigest(manifest.body, platform);
      const wanted = platform !== undefined ? `${platform.os}/${platform.architecture}` : 'linux/amd64';
      if (platformDigest === undefined) throw new Error(`${this.name}/${repository}:${reference} is an index with no ${wanted} image`);
      manifest = await this.manifest(repository, platformDigest);
      if (manifest === undefined) throw new Error(`registry ${this.name} lists ${platformDigest} in ${repository}:${reference} but does not serve it`);
    }
    const configDigest = configDigestOf(manifest.body);
    if (configDigest === undefined) throw new Error(`${this.name}/${repository}:${reference} has no config blob (schema 1 manifests are not supported)`);
    const blob = await this.configBlob(repository, configDigest);
    const config = parseJson(blob, `config ${configDigest} of ${repository}`) as RegistryImageConfig['config'];
    return { manifestDigest: manifest.digest, referenceDigest, configDigest, config };
  }

  /** A config blob from the cache (checked against its digest there), else from the registry, then kept. */
  private async configBlob(repository: string, digest: string): Promise<Buffer> {
    const cached = await this.configCache?.get(digest);
    if (cached !== undefined) return cached;
    const blob = await this.blob(repository, digest);
    if (sha256Digest(blob) !== digest) throw new Error(`registry ${this.name} served config blob ${digest} of ${repository} with other content`);
    await this.configCache?.put(digest, blob);
    return blob;
  }

  async putManifest(repository: string, reference: string, manifest: Pick<RegistryManifest, 'mediaType' | 'raw'>): Promise<string> {
    const res = await this.request('PUT', manifestPath(repository, reference), { headers: { 'Content-Type': manifest.mediaType }, body: manifest.raw });
    return headerOf(res, 'docker-content-digest') ?? sha256Digest(manifest.raw);
  }

  async referrers(repository: string, digest: string): Promise<Array<Record<string, unknown>> | undefined> {
    const res = await this.request('GET', `/v2/${repository}/referrers/${digest}`, { headers: { Accept: MEDIA_TYPES.ociIndex }, accept: [404, 405] });
    if (res.status !== 200) return undefined;
    const body = parseJson(res.body, `referrers of ${repository}@${digest} from registry ${this.name}`);
    return Array.isArray(body.manifests) ? body.manifests.filter((m): m is Record<string, unknown> => typeof m === 'object' && m !== null) : [];
  }

  async deleteManifest(repository: string, digest: string): Promise<void> {
    // 404: already gone, which is what was asked.
    await this.request('DELETE', manifestPath(repository, digest), { accept: [404] });
  }

  async blobSize(repository: string, digest: string): Promise<number | undefined> {
    const res = await this.request('HEAD', blobPath(repository, digest), { accept: [404, ...REDIRECTS] });
    if (res.status === 404) return undefined;
    const length = Number(headerOf(res, 'content-length'));
    return Number.isSafeInteger(length) ? length : 0;
  }

  async openBlob(repository: string, digest: string): Promise<BlobStream> {
    let url = this.settings.url + blobPath(repository, digest);
    let res = await this.openStream('GET', url);
    const location = headerOf(res, 'location');
    if (REDIRECTS.includes(res.status) && location !== undefined) {
      res.body.resume();
      // Registries on object storage redirect blob reads; the signed URL needs no (and must not get our) credentials.
      url = new URL(location, url).toString();
      res = await this.sendStream('GET', url, {});
    }
    if (res.status !== 200) throw this.httpError(await readAll(res), 'GET', url);
    const length = Number(headerOf(res, 'content-length'));
    // The body's own errors (a drop, a drip, Ctrl-C) are told in this registry's terms, whoever reads the stream.
    const stream = new PassThrough();
    // A reader that already gave up (its upload failed first) has stopped listening; a late error must not end the process.
    stream.on('error', () => undefined);
    stream.on('close', () => res.body.destroy());
    res.body.on('error', (error) => stream.destroy(this.connectionError(error, 'GET', url)));
    res.body.pipe(stream);
    return { size: Number.isSafeInteger(length) ? length : undefined, stream };
  }

  uploadBlob(repository: string, digest: string, size: number, content: Readable, options: { chunkSize?: number } = {}): Promise<void> {
    const what = `blob ${digest} for ${this.name}/${repository}`;
    return uploadBlob(this.uploadIo(), { repository, digest, size, what }, content, options.chunkSize);
  }

  mountBlob(repository: string, digest: string, fromRepository: string): Promise<boolean> {
    return mountBlob(this.uploadIo(), repository, digest, fromRepository);
  }

  close(): void {
    this.transport.close();
  }

  private uploadIo(): UploadIo {
    return {
      baseUrl: this.settings.url,
      request: (method, url, options) => this.requestUrl(method, url, options),
      streamBody: async (method, url, body, contentLength, headers) => {
        // Uploads follow a POST of the same scope, so credentials are settled: a streamed body cannot be sent twice.
        const res = await this.sendStream(
          method,
          url,
          { ...headers, ...this.authorizationFor(url, accessKey(method, new URL(url).pathname)) },
          body,
          contentLength,
        );
        const answer = await readAll(res);
        if (answer.status >= 300) throw this.httpError(answer, method, url);
        return answer;
      },
    };
  }

  /** A bodiless streamed request with authentication (one challenge answered); the caller reads or drains the answer. */
  private async openStream(method: string, url: string): Promise<StreamResponse> {
    const key = accessKey(method, new URL(url).pathname);
    let res = await this.sendStream(method, url, this.authorizationFor(url, key));
    if (res.status === 401) {
      const challenge = parseChallenge(headerOf(res, 'www-authenticate'));
      res.body.resume();
      if (await this.answerChallenge(challenge, key)) res = await this.sendStream(method, url, this.authorizationFor(url, key));
    }
    return res;
  }

  private async sendStream(method: string, url: string, headers: Record<string, string>, body?: Readable, contentLength?: number): Promise<StreamResponse> {
    try {
      const attempt = () =>
        this.transport.stream({ method, url, headers: { 'User-Agent': 'freshen', ...headers }, body, contentLength, idleTimeoutMs: this.timeoutMs });
      // A streamed body cannot be sent twice, so only bodiless reads are retried.
      return await withReadRetries(body === undefined ? method : 'PUT', this.signal, attempt, (res) => void res.body.resume());
    } catch (error) {
      // A body that failed (a digest mismatch, the registry it is copied from) is not this registry's connection problem.
      if (error instanceof HttpBodyError) throw error.cause;
      throw this.connectionError(error, method, url);
    }
  }

  private async blob(repository: string, digest: string): Promise<Buffer> {
    const res = await this.request('GET', `/v2/${repository}/blobs/${digest}`, { accept: [301, 302, 303, 307, 308] });
    const location = headerOf(res, 'location');
    if (res.status < 300 || res.status >= 400 || location === undefined) return res.body;
    // Registries on object storage redirect blob reads; the signed URL needs no (and must not get our) credentials.
    const target = new URL(location, this.settings.url).toString();
    const redirected = await this.send('GET', target, {});
    if (redirected.status !== 200) throw this.httpError(redirected, 'GET', target);
    return redirected.body;
  }

  private async paginate(firstPath: string, field: 'repositories' | 'tags'): Promise<string[]> {
    const items: string[] = [];
    let path: string | undefined = firstPath;
    for (let page = 0; path !== undefined && page < 10_000; page += 1) {
      const res = await this.request('GET', path, { accept: [404] });
      if (res.status === 404) return items;
      const list = (parseJson(res.body, `${field} from registry ${this.name}`)[field] ?? []) as string[];
      items.push(...list);
      const next = nextLink(headerOf(res, 'link'));
      path = next === undefined ? undefined : new URL(next, this.settings.url).pathname + new URL(next, this.settings.url).search;
    }
    return items;
  }

  /** Sends a request to the registry, answering one authentication challenge; error statuses not in `accept` throw. */
  private request(method: string, path: string, options: RequestOptions = {}): Promise<HttpResponse> {
    return this.requestUrl(method, this.settings.url + path, options);
  }

  /** As `request`, for an absolute URL on the registry (an upload session's `Location`). */
  private async requestUrl(method: string, url: string, options: RequestOptions = {}): Promise<HttpResponse> {
    const key = accessKey(method, new URL(url).pathname);
    let res = await this.send(method, url, { ...options.headers, ...this.authorizationFor(url, key) }, options.body);
    if (
      res.status === 401 &&
      isRegistryOrigin(url, this.settings.url) &&
      (await this.answerChallenge(parseChallenge(headerOf(res, 'www-authenticate')), key))
    ) {
      res = await this.send(method, url, { ...options.headers, ...this.authorizationFor(url, key) }, options.body);
    }
    if (res.status < 300 || options.accept?.includes(res.status)) return res;
    throw this.httpError(res, method, url);
  }

  /** The credentials for a request to `url`: none unless it is the registry's own origin (an upload Location may point elsewhere). */
  private authorizationFor(url: string, key: string): Record<string, string> {
    return isRegistryOrigin(url, this.settings.url) ? this.authorization(key) : {};
  }

  private authorization(key: string): Record<string, string> {
    const token = this.tokens.get(key);
    if (token !== undefined) return { Authorization: `Bearer ${token}` };
    const auth = this.auth;
    return this.usesBasic && auth !== undefined ? { Authorization: basicAuthorization(auth.username, auth.password) } : {};
  }

  /** True when the challenge could be answered and the request is worth repeating. */
  private async answerChallenge(challenge: AuthChallenge | undefined, key: string): Promise<boolean> {
    const auth = await this.credentials();
    if (challenge?.scheme === 'basic') {
      // An identity token is only good for a token service.
      if (auth === undefined || auth.identityToken !== undefined || this.usesBasic) return false;
      this.usesBasic = true;
      return true;
    }
    if (challenge?.scheme !== 'bearer' || challenge.params.realm === undefined) return false;
    const refused = realmProblem(challenge.params.realm, this.settings.url);
    if (refused !== undefined) throw new Error(`registry ${this.name} asks for a token, but ${refused}; nothing was sent to it`);
    // An identity token is exchanged the OAuth2 way (a POST to the realm); a password rides a GET as Basic credentials.
    const refresh = auth?.identityToken;
    const [method, target] = refresh !== undefined ? ['POST', challenge.params.realm] : ['GET', tokenUrl(challenge)];
    const res =
      refresh !== undefined
        ? await this.send(method, target, FORM, refreshTokenForm(challenge, refresh))
        : await this.send(method, target, auth !== undefined ? { Authorization: basicAuthorization(auth.username, auth.password) } : {});
    if (res.status !== 200) throw this.httpError(res, method, target, `token service of registry ${this.name}`);
    const answer = parseJson(res.body, `token from ${new URL(target).host}`) as { token?: string; access_token?: string; expires_in?: number };
    const token = answer.token ?? answer.access_token;
    if (typeof token !== 'string') throw new Error(`the token service of registry ${this.name} answered without a token`);
    runSecrets.add(token);
    this.tokens.set(key, token, answer.expires_in);
    return true;
  }

  /** The credentials to answer a challenge with; Docker's config is read the first time a registry without registry_auth asks. */
  private async credentials(): Promise<RegistrySettings['auth']> {
    if (this.auth !== undefined || this.dockerLookedUp) return this.auth;
    this.dockerLookedUp = true;
    const found = await cachedDockerCredential(this.name);
    if (found !== undefined) {
      this.auth = { username: found.username, password: found.password, ...(found.identityToken !== undefined ? { identityToken: found.identityToken } : {}) };
      this.authSource = found.source;
    }
    return this.auth;
  }

  private async send(method: string, url: string, headers: Record<string, string>, body?: Buffer): Promise<HttpResponse> {
    try {
      return await withReadRetries(method, this.signal, () =>
        this.transport.send({ method, url, headers: { 'User-Agent': 'freshen', ...headers }, body, timeoutMs: this.timeoutMs }),
      );
    } catch (error) {
      throw this.connectionError(error, method, url);
    }
  }

  private connectionError(error: unknown, method: string, url: string): Error {
    const where = `registry ${this.name}`;
    const code = String((error as { code?: unknown }).code ?? '');
    const path = new URL(url).pathname;
    if (error instanceof HttpAbortedError || this.signal?.aborted === true) return new InterruptedError(`interrupted during ${method} ${path} to ${where}`);
    if (error instanceof HttpTooLargeError) return new RegistryError(`${where} answered ${method} ${path} with too much: ${error.message}`, 0);
    if (error instanceof HttpStalledError) return new UnreachableError(`${where} stalled on ${method} ${path}: ${error.message}`, 'timeout');
    if (error instanceof HttpTimeoutError) {
      return new UnreachableError(
        `${where} did not answer ${method} ${new URL(url).pathname} within ${formatDuration(this.timeoutMs)} (timeouts.registry)`,
        'timeout',
      );
    }
    if (code === 'ECONNREFUSED')
      return new UnreachableError(`${where} could not be reached at ${redactUrl(this.settings.url)}: connection refused`, 'connection-refused');
    if (code === 'ECONNRESET' || code === 'EPIPE') return new UnreachableError(`${where} dropped the connection during ${method} ${path}`, 'connection-lost');
    if (/CERTIFICATE_REQUIRED|ALERT_BAD_CERTIFICATE|ALERT_UNKNOWN_CA|ALERT_HANDSHAKE_FAILURE/.test(code)) {
      const hint = this.hasClientCertificate
        ? 'it refused the client certificate given'
        : `it asks for a client certificate: give registry_tls {cert, key}, or put client.cert and client.key in ${join(this.settings.certsDir ?? DEFAULT_CERTS_DIR, this.name)}/`;
      return new UnreachableError(`${where} at ${redactUrl(this.settings.url)} failed the TLS handshake (${code}): ${hint}`, 'tls-error');
    }
    if (TLS_CODES.test(code)) {
      return new UnreachableError(
        `${where} at ${redactUrl(this.settings.url)} failed the TLS check (${code}); is registry_tls.ca (or registry_ca) its CA?`,
        'tls-error',
      );
    }
    if (isConnectionError(error)) return new UnreachableError(`${where} could not be reached at ${redactUrl(this.settings.url)}: ${code}`, 'unreachable');
    return new UnreachableError(`${where} could not be reached at ${redactUrl(this.settings.url)}: ${errorMessage(error)}`, 'unreachable');
  }

  /** `registry 127.0.0.1:5055 answered 500 Internal Server Error to GET /v2/x/manifests/prod`, plus what the registry said. */
  private httpError(res: HttpResponse, method: string, url: string, who = `registry ${this.name}`): RegistryError {
    const path = new URL(url).pathname;
    let detail = registryErrorDetail(res.body);
    const challenge = res.status === 401 ? parseChallenge(headerOf(res, 'www-authenticate')) : undefined;
    if (challenge?.params.error === 'insufficient_scope' && this.auth !== undefined) {
      // The credentials were good (a token was issued), but the token service did not grant what the request needs.
      detail = `${this.auth.identityToken !== undefined ? "the identity token's user" : `user ${this.auth.username}`} was not granted ${visibleControls((challenge.params.scope ?? 'the access it needs').slice(0, 200))}`;
    } else if (res.status === 401) {
      detail =
        this.auth?.identityToken !== undefined
          ? `the identity token (from ${this.authSource}) was refused`
          : this.auth !== undefined
            ? `the credentials of user ${this.auth.username} (from ${this.authSource}) were refused`
            : 'it needs credentials (set registry_auth, or log in with docker login)';
    } else if (res.status === 405 && method === 'DELETE') {
      detail = 'deleting is disabled on this registry (storage.delete.enabled)';
    } else if (res.status === 429) {
      const wait = parseRetryAfter(headerOf(res, 'retry-after'), Date.now());
      detail = `too many requests${wait !== undefined ? `; it asks to wait ${formatDuration(wait)}` : ''}`;
    }
    const status = `${res.status}${res.statusText !== '' ? ` ${res.statusText}` : ''}`;
    return new RegistryError(`${who} answered ${status} to ${method} ${path}${detail !== undefined ? `: ${detail}` : ''}`, res.status);
  }
}

const FORM = { 'Content-Type': 'application/x-www-form-urlencoded' };

/** The OAuth2 refresh-token grant the token spec gives identity tokens (Docker sends the same, as client `docker`). */
function refreshTokenForm(challenge: AuthChallenge, token: string): Buffer {
  const form = new URLSearchParams({ grant_type: 'refresh_token', refresh_token: token, client_id: 'freshen' });
  if (challenge.params.service !== undefined) form.set('service', challenge.params.service);
  const scope = (challenge.params.scope ?? '').trim();
  if (scope !== '') form.set('scope', scope);
  return Buffer.from(form.toString());
}

const manifestPath = (repository: string, reference: string): string => `/v2/${repository}/manifests/${reference}`;

/** Reads a streamed answer whole: only for small answers (errors, upload acknowledgements). */
async function readAll(res: StreamResponse): Promise<HttpResponse> {
  const chunks: Buffer[] = [];
  for await (const chunk of res.body) chunks.push(chunk as Buffer);
  return { status: res.status, statusText: res.statusText, headers: res.headers, body: Buffer.concat(chunks) };
}

function headerOf(res: Pick<HttpResponse, 'headers'>, name: string): string | undefined {
  const value = res.headers[name];
  return Array.isArray(value) ? value[0] : value;
}

function parseJson(bytes: Buffer, what: string): Record<string, unknown> {
  try {
    const value: unknown = JSON.parse(bytes.toString('utf8'));
    if (typeof value === 'object' && value !== null && !Array.isArray(value)) return value as Record<string, unknown>;
  } catch {
    // reported below
  }
  throw new Error(`${what} is not a JSON object`);
}

/** The registry's own words, `{"errors":[{"code":"MANIFEST_UNKNOWN","message":"manifest unknown"}]}` → `manifest unknown`. */
function registryErrorDetail(body: Buffer): string | undefined {
  try {
    const errors = (JSON.parse(body.toString('utf8')) as { errors?: Array<{ message?: unknown }> }).errors;
    const message = errors?.[0]?.message;
    return typeof message === 'string' && message !== '' ? message.slice(0, 200) : undefined;
  } catch {
    return undefined;
  }
}
