/** `rebase`'s options, as its parser makes them. */
export interface RebaseOptions {
  /** Repository names or globs; undefined: the images discover found stale on this host. */
  images?: string[];
}
