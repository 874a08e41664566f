// Where a registry's credentials may go. Basic credentials and bearer tokens go only to the registry's own origin (scheme, host
// and port); an upload Location or a redirect elsewhere gets none. The token realm gets user:password, so it must be HTTPS, or
// plain HTTP only on loopback or when the registry itself is served over plain HTTP from that same host.

const DEFAULT_PORTS: Record<string, string> = { 'http:': '80', 'https:': '443' };

const originOf = (url: URL): string => `${url.protocol}//${url.hostname}:${url.port || DEFAULT_PORTS[url.protocol] || ''}`;

/** True when `url` is on the registry's own scheme, host and port. */
export function isRegistryOrigin(url: string, registryUrl: string): boolean {
  try {
    return originOf(new URL(url)) === originOf(new URL(registryUrl));
  } catch {
    return false;
  }
}

const isLoopbackHost = (host: string): boolean => /^(localhost|127\.\d+\.\d+\.\d+|\[::1\]|::1)$/.test(host);

/** Why a `WWW-Authenticate` realm must not receive the registry's credentials, or undefined when it may. */
export function realmProblem(realm: string, registryUrl: string): string | undefined {
  let url: URL;
  try {
    url = new URL(realm);
  } catch {
    return 'the token realm is not a URL';
  }
  if (url.protocol === 'https:') return undefined;
  if (url.protocol !== 'http:') return `the token realm uses ${url.protocol.replace(/:$/, '')}://, not https://`;
  if (isLoopbackHost(url.hostname)) return undefined;
  const registry = new URL(registryUrl);
  if (registry.protocol === 'http:' && registry.hostname === url.hostname) return undefined;
  return `the token realm ${url.protocol}//${url.host} is plain HTTP on another host; credentials go only to an https:// realm (or to plain HTTP on loopback)`;
}
