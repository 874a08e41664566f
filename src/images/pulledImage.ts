// What pull hands on to stop and start: a fact of the images domain.

/** An image reference `pull` pulled (or, in check mode, would pull) on a host, for `stop` and `start` to compare against. */
export interface PulledImage {
  ref: string;
  /** The image ID now local; undefined when only planned. */
  imageId?: string;
  planned: boolean;
  /** The registry's manifest digest a planned pull fetches; undefined when only this run's planned push makes it new. */
  digest?: string;
}
