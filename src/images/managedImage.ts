// What discover hands on about each image of the tree (the fact rebuild, push and the rollback hold read).

/** Why an image needs a rebuild. */
export type StaleReason = 'base-changed' | 'base-rebuilt' | 'context-changed' | 'forced' | 'max-age' | 'no-provenance' | 'packages-outdated' | 'unpublished';

/** What discover's package probe found in the current prod image (`probe` option). */
export type PackageProbeFacts =
  { ok: true; manager: string; os?: string; outdated: Array<{ name: string; installed?: string; available?: string }> } | { ok: false; problem: string };

/** An image directory found by `discover`: one Dockerfile, one repository. */
export interface ManagedImage {
  /** Repository below the registry, from the directory path (`team/api`). */
  repository: string;
  /** Absolute directory of the build context. */
  dir: string;
  /** `registry/repository:tag`. */
  ref: string;
  tag: string;
  /** Every `FROM` image reference (stage names and `scratch` excluded), in order; the last is the final stage's base. */
  bases: string[];
  /** Repositories of this tree that this image is built from. */
  dependsOn: string[];
  contextDigest: string;
  stale: boolean;
  reasons: StaleReason[];
  /** Human sentences explaining each reason. */
  explanations: string[];
  /** discover's `build_args`, which resolved the `FROM` lines; rebuild merges its own over them. */
  buildArgs?: Record<string, string>;
  /** The final stage's base (`scratch` included): the one a rebase question is about. */
  finalBase?: string;
  /** discover's `pinned_bases: follow`: a `FROM NAME:TAG@DIGEST` follows its tag (rebuild reads the Dockerfile so too). */
  followsPinnedBases?: true;
  /** The probe's finding, when discover probed the prod image. */
  packages?: PackageProbeFacts;
  /** When changes the cooldown holds back become reasons to rebuild (ms since the epoch): the image waits until then. */
  waitingUntil?: number;
}
