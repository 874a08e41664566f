/** One `WWW-Authenticate` challenge: `Bearer realm="…",service="…",scope="…"` or `Basic realm="…"`. */
export interface AuthChallenge {
  scheme: string;
  params: Record<string, string>;
}

/** Parses the first challenge of a `WWW-Authenticate` header; quoted values may contain commas (`scope="repository:a:pull,push"`). */
export function parseChallenge(header: string | undefined): AuthChallenge | undefined {
  const match = /^\s*([A-Za-z][\w-]*)\s*(.*)$/.exec(header ?? '');
  if (match === null) return undefined;
  const params: Record<string, string> = {};
  for (const param of match[2]!.matchAll(/([\w-]+)=("((?:[^"\\]|\\.)*)"|[^,\s]*)/g)) {
    params[param[1]!.toLowerCase()] = param[3] !== undefined ? param[3].replace(/\\(.)/g, '$1') : param[2]!;
  }
  return { scheme: match[1]!.toLowerCase(), params };
}

/** Where to ask for a bearer token: the realm with `service` and one `scope` parameter per space-separated scope. */
export function tokenUrl(challenge: AuthChallenge): string {
  const url = new URL(challenge.params.realm ?? '');
  if (challenge.params.service !== undefined) url.searchParams.append('service', challenge.params.service);
  for (const scope of (challenge.params.scope ?? '').split(' ').filter((scope) => scope !== '')) url.searchParams.append('scope', scope);
  return url.toString();
}

/**
 * What a request needs access to, so a token fetched for one request is reused for the next of the same kind without first
 * collecting another 401: `repository:team/api:pull`, `…:push`, `…:delete`, `registry:catalog:*`, or `base` for `/v2/`.
 */
export function accessKey(method: string, path: string): string {
  if (path.startsWith('/v2/_catalog')) return 'registry:catalog:*';
  const repository = /^\/v2\/(.+)\/(manifests|blobs|tags|referrers)\//.exec(path)?.[1];
  if (repository === undefined) return 'base';
  const action = method === 'DELETE' ? 'delete' : method === 'GET' || method === 'HEAD' ? 'pull' : 'push';
  return `repository:${repository}:${action}`;
}

export const basicAuthorization = (username: string, password: string): string => `Basic ${Buffer.from(`${username}:${password}`, 'utf8').toString('base64')}`;

/** Bearer tokens by access key, forgotten a little before they expire. */
export class TokenCache {
  private readonly tokens = new Map<string, { token: string; expiresAt: number }>();

  constructor(private readonly now: () => number = Date.now) {}

  get(key: string): string | undefined {
    const entry = this.tokens.get(key);
    if (entry === undefined || entry.expiresAt <= this.now()) return undefined;
    return entry.token;
  }

  /** `expiresInSeconds` defaults to 60, the distribution spec's default; 10 s are kept as margin. */
  set(key: string, token: string, expiresInSeconds = 60): void {
    this.tokens.set(key, { token, expiresAt: this.now() + Math.max(0, expiresInSeconds - 10) * 1000 });
  }
}
