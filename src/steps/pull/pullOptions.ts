/** What `pull` is told. */
export interface PullOptions {
  /** A build the tag names that was created less than this ago is not pulled yet. */
  cooldownMs?: number;
}
