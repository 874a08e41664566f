/** Soak time when the step does not say: a day, long enough for a nightly job to have run on the build once. */
export const DEFAULT_SOAK = '24h';

/** What `promote` is told. */
export interface PromoteOptions {
  soakMs: number;
  /** Globs over the registry's repositories that are promoted (every repository when absent). */
  images?: string[];
}
