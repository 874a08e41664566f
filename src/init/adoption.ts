import { isParkedName, isSpareName } from '../containers/managed.js';
import { parseImageRef } from '../model/imageRef.js';

/** A running container or a Swarm service as `freshen init` saw it on a host. */
export interface SeenWorkload {
  host: string;
  kind: 'container' | 'service';
  name: string;
  /** The image as configured (`Config.Image`, or the service spec's image, with Swarm's pinned digest). */
  image: string;
  labels: Record<string, string>;
  autoRemove?: boolean;
}

/** What the registry said: the tags of each repository asked about, or why it could not say. */
export type RegistryView = { tags: Map<string, readonly string[]> } | { unreachable: string };

/** One row of the adoption table. */
export interface AdoptionRow {
  host: string;
  kind: SeenWorkload['kind'];
  name: string;
  image: string;
  /** The Compose project that owns the container, which keeps owning its replacement. */
  compose?: string;
  managed: boolean;
  /** Why not, in words; for a managed one, what freshen will do. */
  reason: string;
}

/** The repositories of `registry` that the workloads run, which `init` asks the registry about. */
export function repositoriesToAsk(workloads: readonly SeenWorkload[], registry: string): string[] {
  const names = workloads.map((w) => parseImageRef(w.image)).filter((ref) => ref.registry === registry);
  return [...new Set(names.map((ref) => ref.repository))].sort();
}

/**
 * Would freshen manage it, and if not, why: an image of another registry, pinned by digest (a container; a service's digest
 * is Swarm's own pin), another tag than the rollout tag, labelled `freshen.enable=false`, auto-removed, or a repository the
 * registry has no rollout tag for. The same rules as `pull` and `service` apply them.
 */
export function adoptionRows(workloads: readonly SeenWorkload[], registry: string, rolloutTag: string, view: RegistryView): AdoptionRow[] {
  const rows = workloads
    .filter((w) => w.kind === 'service' || (!isParkedName(w.name) && !isSpareName(w.name)))
    .map((w): AdoptionRow => {
      const compose = w.labels['com.docker.compose.project'];
      const row = { host: w.host, kind: w.kind, name: w.name, image: w.image, ...(compose !== undefined ? { compose } : {}) };
      const verdict = (managed: boolean, reason: string): AdoptionRow => ({ ...row, managed, reason });
      const ref = parseImageRef(w.image);
      if (ref.registry !== registry) return verdict(false, `from ${ref.registry}, not ${registry}: push it there to manage it`);
      if (ref.digest !== undefined && w.kind === 'container') return verdict(false, 'pinned by digest');
      if (ref.tag !== rolloutTag) return verdict(false, `runs :${ref.tag ?? 'latest'}, not the rollout tag :${rolloutTag}`);
      if (w.labels['freshen.enable']?.toLowerCase() === 'false') return verdict(false, 'labelled freshen.enable=false');
      if (w.autoRemove === true) return verdict(false, 'auto-removed (--rm): it cannot be parked and restored');
      if ('unreachable' in view) return verdict(false, `cannot tell: the registry did not answer (${view.unreachable})`);
      if (!(view.tags.get(ref.repository) ?? []).includes(rolloutTag)) return verdict(false, `the registry has no ${ref.repository}:${rolloutTag}`);
      return verdict(true, w.kind === 'service' ? 'managed: the service step updates it' : 'managed: pull, stop and start replace it');
    });
  return rows.sort((a, b) => a.host.localeCompare(b.host) || a.name.localeCompare(b.name));
}
