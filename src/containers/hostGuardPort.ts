import type { DockerEndpoint } from '../model/inventory.js';
import type { GuardedContainer } from './guardScript.js';

// The host guard as steps see it: a port on the step context (`ctx.guard`), implemented over a local or SSH shell in
// src/adapters/hostGuard.ts and faked in unit tests. The guard's shell text is guardScript.ts, beside this.

/** Where a host's guard runs: on this machine (the engine's socket is local) or on the host over the engine's SSH connection. */
export type GuardSite = { via: 'local'; dockerHost: string } | { via: 'ssh'; dockerHost: string; endpoint: DockerEndpoint & { host: string } };

/** What placing a guard gave: its directory on the host, or why it could not be placed. */
export type GuardPlaced = { placed: true; dir: string } | { placed: false; why: string };

export interface HostGuard {
  /** Where the guard of a host with this engine endpoint can run, or why none can (it is then named in the output). */
  siteFor(endpoint: DockerEndpoint): GuardSite | { why: string };
  /** The host's guard key, stable across runs, so a later run finds (and stops) a guard an earlier, killed run left. */
  keyFor(hostName: string, site: GuardSite): string;
  /** Places the guard for `containers` and keeps renewing its deadline until `release`. */
  place(key: string, site: GuardSite, containers: readonly GuardedContainer[], deadlineSeconds: number): Promise<GuardPlaced>;
  /** True when a renewal found the guard gone while this run still worked on the host: it acted (or someone removed it). */
  lost(key: string): boolean;
  /** Stops renewing and removes the guard from the host. Never throws. */
  release(key: string): Promise<void>;
}
