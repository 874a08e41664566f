// What steps report for machines (a result's and the JSON report's `details`), as types: the read side (`freshen status`,
// notifications) reads these fields and never the sentences of `actions` or `notes`, which are for people and may be reworded.
// schemas/report.schema.json describes the same shapes; test/unit/stepDetails.test.ts holds the two together.

/** An upgraded package: `name` (`name:arch` where the arch matters), from one version to another. */
export interface PackageUpgrade {
  name: string;
  from: string;
  to: string;
}

/** What changed in the installed packages from one build to the next. */
export interface PackageChanges {
  changed: PackageUpgrade[];
  added: Array<{ name: string; version: string }>;
  removed: Array<{ name: string; version: string }>;
}

/** What the package probe found in an image: its pending upgrades, or why it could not tell. */
export type PackagesFound = { manager: string; os?: string; outdated: number; list: string[] } | { problem: string };

/** One managed image's verdict (discover's `images`). */
export interface ImageVerdictDetails {
  repository: string;
  ref: string;
  stale: boolean;
  reasons: string[];
  explanations: string[];
  /** The final stage's base: the one a rebase is about. */
  final_base?: string;
  /** When changes within the cooldown become reasons to rebuild (ISO 8601): the image waits until then. */
  cooldown_until?: string;
  packages?: PackagesFound;
}

/** One patched image's verdict (patch's `images`): discover's fields, and what it is patched from. */
export interface PatchVerdictDetails {
  repository: string;
  ref: string;
  /** The upstream reference it is patched from, and that upstream's image ID. */
  from: string;
  upstream: string;
  stale: boolean;
  reasons: string[];
  explanations: string[];
  packages?: { outdated: number } | { problem: string };
}

/** discover: the managed images' verdicts, in build order. */
export interface DiscoverDetails {
  images: ImageVerdictDetails[];
}

/** patch: the patched images' verdicts. */
export interface PatchDetails {
  images: PatchVerdictDetails[];
}

/** rebuild: what it built, what came out identical to prod (not pushed), and each build's package changes. */
export interface RebuildDetails {
  /** References rebuilt with new content (pushed next). */
  rebuilt?: string[];
  /** References rebuilt with content identical to prod. */
  identical?: string[];
  /** Per rebuilt reference, its installed packages against the build it replaces, where both builds recorded them. */
  changes?: Record<string, PackageChanges>;
}

/** pull: containers on the host that freshen does not roll out, and why. */
export interface PullDetails {
  /** Containers of the registry's images that are not managed (another tag, or pinned by digest). */
  unmanaged?: Array<{ name: string; image: string }>;
  /** Managed-looking containers freshen leaves alone, with the reason (a label, `--rm`). */
  left_alone?: Array<{ name: string; reason: string }>;
  /** Parked containers an interrupted run left; the next start settles them. */
  parked?: string[];
}

/** One repository's step from one stage to the next (promote's `promotions`). */
export interface PromotionDetails {
  repository: string;
  /** The stage whose build is judged, and the next stage, by their rollout tags. */
  from: string;
  to: string;
  /** The build `from` names, and the one `to` named when the step looked. */
  build: string;
  next_build?: string;
  /** promote: `to` moves to `build`; wait: not yet; hold: never (a host rolled it back); none: nothing to promote. */
  action: 'promote' | 'wait' | 'hold' | 'none';
  reason: string;
  /** When the soak ends (ISO 8601), when time alone stands in the way. */
  eligible_at?: string;
  /** The stage's hosts that run the repository, and since when each runs the build (ISO 8601, its first adoption). */
  hosts: Array<{ host: string; since?: string }>;
}

/** promote: every repository's verdict for every stage but the last. */
export interface PromoteDetails {
  promotions: PromotionDetails[];
}

/** One image rebase looked at (rebase's `rebases`). */
export interface RebaseVerdictDetails {
  repository: string;
  /** rebase: moved onto the new base (or would be, in check mode); refused: left as it is, the reason says why; fresh: its base did not change. */
  action: 'rebase' | 'refused' | 'fresh';
  reason: string;
  /** For a rebase: the base, the manifest the rollout tag named, the datestamp reference and manifest of the rebased image (after apply). */
  base?: string;
  from?: string;
  date_ref?: string;
  to?: string;
  /** Layers: the old base's, the new base's, and the image's own (moved as they are). */
  layers?: { old_base: number; new_base: number; own: number };
  /** Its installed packages against the image it replaces (the new base's against the old base's). */
  changes?: PackageChanges;
}

/** rebase: every image's verdict. */
export interface RebaseDetails {
  rebases: RebaseVerdictDetails[];
}

/** A step's details: one shape a kind (kinds without findings report none). */
export type StepDetails = DiscoverDetails | PatchDetails | RebuildDetails | PullDetails | PromoteDetails | RebaseDetails;

/** The image verdicts in `details` (discover's and patch's, the fields they share), else none. */
export const verdictsIn = (details: StepDetails | undefined): Array<ImageVerdictDetails | PatchVerdictDetails> =>
  details !== undefined && 'images' in details ? details.images : [];

/** pull's findings in `details`, else none. */
export const promotionsIn = (details: StepDetails | undefined): PromotionDetails[] =>
  details !== undefined && 'promotions' in details ? details.promotions : [];

export const pullFindingsIn = (details: StepDetails | undefined): PullDetails =>
  details !== undefined && ('unmanaged' in details || 'left_alone' in details || 'parked' in details) ? details : {};

/** rebuild's findings in `details`, else none. */
export const rebuildFindingsIn = (details: StepDetails | undefined): RebuildDetails =>
  details !== undefined && ('rebuilt' in details || 'identical' in details || 'changes' in details) ? details : {};

/** How many pending package upgrades a verdict counts, when the probe could tell. */
export const outdatedCount = (verdict: ImageVerdictDetails | PatchVerdictDetails): number | undefined =>
  verdict.packages !== undefined && 'outdated' in verdict.packages ? verdict.packages.outdated : undefined;
