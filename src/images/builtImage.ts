// What a building step (rebuild, patch) hands on to push (and, planned, to pull in check mode): a fact of the images domain.

/** An image that `rebuild` or `patch` built (or, in check mode, would build). */
export interface BuiltImage {
  repository: string;
  ref: string;
  /** The immutable datestamp tag, `registry/repository:20261128-0301`. */
  dateRef: string;
  /** Local image ID; undefined in check mode. */
  imageId?: string;
  planned: boolean;
  /** The image's SBOM (CycloneDX JSON) for push to attach; planned builds expect one when their image has a package database. */
  sbom?: string;
}
