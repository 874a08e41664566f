import { parseImageRef } from '../model/imageRef.js';

// What `pin` writes: for a managed repository and the tag a reference follows, the digest that tag names now. Pure.

/** Which references `pin` changes, and to what. */
export interface PinTargets {
  /**
   * Whether freshen manages `repository` (`registry/repository`, as `parseImageRef` names it); with the registry unknown (a
   * reference built from variables), whether it manages that repository path in any registry.
   */
  manages(registry: string | undefined, repository: string): boolean;
  /**
   * The digest a reference of `repository` that follows `tag` is pinned to; undefined leaves it. `tag` is undefined for a
   * reference by digest alone, or a kustomization entry without `newTag`.
   */
  digestFor(repository: string, tag: string | undefined): string | undefined;
}

/** One reference a file holds, pinned: where it was (1-based line) and what it becomes. */
export interface PinChange {
  line: number;
  from: string;
  to: string;
}

/** A place `pin` could not read, left as it was. */
export interface PinProblem {
  line: number;
  message: string;
  /** True when the whole file was left as it is (it could not be read), marked lines included. */
  wholeFile?: true;
}

/** What pinning one file gives: its new text (the same text when nothing changed), the changes, and what it left alone. */
export interface PinResult {
  text: string;
  changes: PinChange[];
  problems: PinProblem[];
}

/** The repository key of a reference: `127.0.0.1:5055/lab/web`. */
export function repositoryKey(ref: string): string {
  const { registry, repository } = parseImageRef(ref);
  return `${registry}/${repository}`;
}

/** `registry/repository` split at its first slash. */
const split = (key: string): [string, string] => [key.slice(0, key.indexOf('/')), key.slice(key.indexOf('/') + 1)];

/**
 * Targets from a table of `registry/repository:tag` → digest (a key without a tag stands for every tag). A reference that
 * follows no tag gets its repository's digest when the table holds exactly one for it.
 */
export function tableTargets(table: ReadonlyMap<string, string>): PinTargets {
  const entries = [...table].map(([key, digest]) => {
    const colon = key.lastIndexOf(':');
    const tagged = colon > key.lastIndexOf('/');
    return { repository: tagged ? key.slice(0, colon) : key, tag: tagged ? key.slice(colon + 1) : undefined, digest };
  });
  return {
    manages: (registry, repository) =>
      entries.some((e) => (registry === undefined ? split(e.repository)[1] === repository : e.repository === `${registry}/${repository}`)),
    digestFor: (repository, tag) => {
      const own = entries.filter((e) => e.repository === repository);
      const exact = own.find((e) => e.tag === tag) ?? own.find((e) => e.tag === undefined);
      if (exact !== undefined) return exact.digest;
      const digests = new Set(own.map((e) => e.digest));
      return tag === undefined && digests.size === 1 ? [...digests][0] : undefined;
    },
  };
}

/**
 * Whether a reference built from variables (`${REGISTRY}/team/api:prod`) may name a target: which registry the variables name
 * is not known, so any managed repository path at its end counts (it is then reported, never edited).
 */
export function mayBeTarget(ref: string, targets: PinTargets): boolean {
  const parts = ref
    .split('@')[0]!
    .replace(/:[^/:]*$/, '')
    .split('/');
  return parts.some((_, i) => i > 0 && targets.manages(undefined, parts.slice(i).join('/')));
}

/**
 * The reference pinned to the digest its tag names, keeping how it was written (a tag stays beside the digest, so a reader
 * still sees which tag it follows); undefined when it is not a target or already holds that digest.
 */
export function pinnedRef(ref: string, targets: PinTargets): string | undefined {
  const parsed = parseImageRef(ref);
  if (!targets.manages(parsed.registry, parsed.repository)) return undefined;
  const digest = targets.digestFor(`${parsed.registry}/${parsed.repository}`, parsed.tag);
  if (digest === undefined || parsed.digest === digest) return undefined;
  // As written (Docker Hub's short form stays short), only the digest added or replaced.
  const name = ref.includes('@') ? ref.slice(0, ref.indexOf('@')) : ref;
  return `${name}@${digest}`;
}
