/** A parsed image reference: `registry/repository:tag@digest`. */
export interface ImageRef {
  /** Registry host[:port]; `docker.io` when the reference names none. */
  registry: string;
  repository: string;
  tag?: string;
  digest?: string;
}

/** Parses an image reference the way the Docker CLI does (first component is a registry if it has `.`, `:` or is `localhost`). */
export function parseImageRef(ref: string): ImageRef {
  let rest = ref;
  let digest: string | undefined;
  const at = rest.indexOf('@');
  if (at >= 0) {
    digest = rest.slice(at + 1);
    rest = rest.slice(0, at);
  }
  let tag: string | undefined;
  const lastColon = rest.lastIndexOf(':');
  if (lastColon > rest.lastIndexOf('/')) {
    tag = rest.slice(lastColon + 1);
    rest = rest.slice(0, lastColon);
  }
  const slash = rest.indexOf('/');
  const first = slash >= 0 ? rest.slice(0, slash) : '';
  const isRegistry = slash >= 0 && (first.includes('.') || first.includes(':') || first === 'localhost');
  const registry = isRegistry ? first : 'docker.io';
  let repository = isRegistry ? rest.slice(slash + 1) : rest;
  if (registry === 'docker.io' && !repository.includes('/')) repository = `library/${repository}`;
  if (!tag && !digest) tag = 'latest';
  return { registry, repository, tag, digest };
}

export function formatImageRef(ref: ImageRef): string {
  const name = ref.registry === 'docker.io' ? ref.repository.replace(/^library\//, '') : `${ref.registry}/${ref.repository}`;
  return `${name}${ref.tag ? `:${ref.tag}` : ''}${ref.digest ? `@${ref.digest}` : ''}`;
}

/** Whether text is a sha256 digest as registries name content (`sha256:` and 64 lowercase hex digits): peers' text is checked so. */
export const isSha256Digest = (text: string): boolean => /^sha256:[0-9a-f]{64}$/.test(text);

/** `sha256:0123456789ab…` shortened for humans. */
export function shortDigest(digest: string): string {
  return digest.replace(/^sha256:/, '').slice(0, 12);
}

/**
 * The manifest digest an engine's `RepoDigests` record for `ref`'s repository (`REGISTRY/REPO@sha256:…`, or Docker Hub's short
 * `debian@sha256:…`); undefined when the engine never pulled or pushed it by that name.
 */
export function repoDigestOf(repoDigests: readonly string[] | undefined, ref: string): string | undefined {
  const { registry, repository } = parseImageRef(ref);
  const name = formatImageRef({ registry, repository });
  const names = new Set([name, `${registry}/${repository}`]);
  return (repoDigests ?? []).map((entry) => entry.split('@')).find(([repo]) => names.has(repo!))?.[1];
}
