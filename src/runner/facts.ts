/** Why an image needs a rebuild. */
export type StaleReason =
  | 'base-changed'
  | 'base-rebuilt'
  | 'context-changed'
  | 'forced'
  | 'max-age'
  | 'no-provenance'
  | 'packages-outdated'
  | 'unpublished';

/** What discover's package probe found in the current prod image (`probe` option). */
export type PackageProbeFacts =
  | { ok: true; manager: string; os?: string; outdated: Array<{ name: string; installed?: string; available?: string }> }
  | { ok: false; problem: string };

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
  /** The probe's finding, when discover probed the prod image. */
  packages?: PackageProbeFacts;
}

/** An image that `rebuild` built (or, in check mode, would build). */
export interface BuiltImage {
  repository: string;
  ref: string;
  /** The immutable datestamp tag, `registry/repository:20261128-0301`. */
  dateRef: string;
  /** Local image ID; undefined in check mode. */
  imageId?: string;
  planned: boolean;
}

/** What earlier steps of this run learned or did on one host. */
export interface HostFacts {
  images?: ManagedImage[];
  built?: BuiltImage[];
  /** Image references pulled (or to be pulled) on this host, with the image ID now local. */
  pulled?: Array<{ ref: string; imageId?: string; planned: boolean }>;
  /** Containers stopped and set aside by `stop`, awaiting `start`. */
  stopped?: Array<{
    name: string;
    parkedAs: string;
    planned: boolean;
    /** False when the container was already stopped: `start` then creates its replacement without starting it. */
    wasRunning?: boolean;
  }>;
}

/** State shared by all hosts of a run. */
export interface RunState {
  /** Image references pushed (or planned to be pushed) by this run, by reference. */
  pushed: Map<string, { digest?: string; planned: boolean }>;
  /** Number of pushes in flight; gc refuses to sweep while this is above zero. */
  pushesInFlight: number;
}

export const newRunState = (): RunState => ({ pushed: new Map(), pushesInFlight: 0 });
