import { parseImageRef } from '../model/imageRef.js';

// What `pin` writes: for each managed repository, the digest its rollout tag names now. Pure.

/** `REGISTRY/REPOSITORY` (as `parseImageRef` names it) → the manifest digest to pin. */
export type PinTargets = ReadonlyMap<string, string>;

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

/**
 * The reference pinned to its repository's digest, keeping how it was written (a tag stays beside the digest, so a reader still
 * sees which tag it followed); undefined when the repository is not a target or the reference already holds that digest.
 */
export function pinnedRef(ref: string, targets: PinTargets): string | undefined {
  const parsed = parseImageRef(ref);
  const digest = targets.get(`${parsed.registry}/${parsed.repository}`);
  if (digest === undefined || parsed.digest === digest) return undefined;
  // As written (Docker Hub's short form stays short), only the digest added or replaced.
  const name = ref.includes('@') ? ref.slice(0, ref.indexOf('@')) : ref;
  return `${name}@${digest}`;
}
