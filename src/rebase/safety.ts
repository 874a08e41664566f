import type { LayerEntry } from './layerEntries.js';

// Whether moving an image's own layers onto a new base is provably the image a rebuild on that base would give, as far as its
// files go: no own layer writes or deletes a path the new base changed, and none touches the package database or the shared
// library directories (an app layer that carries the old base's dpkg status or libraries would overwrite the new base's). Pure.

/** What a path holds, for comparing two trees: kind, mode, owner, and content or target. Times are left out on purpose. */
type Identity = string;

const identity = (entry: Exclude<LayerEntry, { kind: 'whiteout' | 'opaque' }>): Identity => {
  switch (entry.kind) {
    case 'file':
      return `file ${entry.mode} ${entry.owner} ${entry.digest}`;
    case 'dir':
      return `dir ${entry.mode} ${entry.owner}`;
    case 'symlink':
    case 'hardlink':
      return `${entry.kind} ${entry.mode} ${entry.owner} ${entry.target}`;
    default:
      return `other ${entry.type} ${entry.mode} ${entry.owner}`;
  }
};

const under = (path: string, dir: string): boolean => dir === '' || path === dir || path.startsWith(`${dir}/`);

/** The file tree the layers make, bottom layer first, whiteouts applied: path → identity. */
export function treeOf(layers: readonly (readonly LayerEntry[])[]): Map<string, Identity> {
  const tree = new Map<string, Identity>();
  for (const layer of layers) {
    // An opaque directory hides what the layers below put in it, not what this layer puts there.
    for (const entry of layer)
      if (entry.kind === 'opaque') for (const path of [...tree.keys()]) if (path !== entry.path && under(path, entry.path)) tree.delete(path);
    for (const entry of layer) {
      if (entry.kind === 'opaque') continue;
      if (entry.kind === 'whiteout') {
        for (const path of [...tree.keys()]) if (under(path, entry.path)) tree.delete(path);
        continue;
      }
      tree.set(entry.path, identity(entry));
    }
  }
  return tree;
}

/** The paths whose identity differs between two trees: added, removed or changed. */
export function changedPaths(before: ReadonlyMap<string, Identity>, after: ReadonlyMap<string, Identity>): Set<string> {
  const changed = new Set<string>();
  for (const [path, id] of after) if (before.get(path) !== id) changed.add(path);
  for (const path of before.keys()) if (!after.has(path)) changed.add(path);
  return changed;
}

/** Package databases and the dynamic linker's directories: an own layer writing there would override the new base's. */
const PACKAGE_DATABASES = ['var/lib/dpkg', 'var/lib/apt', 'var/lib/rpm', 'usr/lib/sysimage/rpm', 'lib/apk/db'];
const LIBRARY_DIRS = ['lib', 'lib64', 'usr/lib', 'usr/lib64', 'usr/local/lib'];
const MULTIARCH = /^[a-z0-9_]+-linux-[a-z0-9_]+$/;

/** Why `path` is off limits to an image's own layers, or undefined. */
export function sensitivity(path: string): string | undefined {
  if (PACKAGE_DATABASES.some((db) => under(path, db))) return 'the package database';
  if (path === 'etc/ld.so.cache' || under(path, 'etc/ld.so.conf.d')) return "the dynamic linker's configuration";
  for (const dir of LIBRARY_DIRS) {
    if (!path.startsWith(`${dir}/`)) continue;
    const rest = path.slice(dir.length + 1).split('/');
    // A library file directly in the directory, or in its multiarch directory (usr/lib/x86_64-linux-gnu/libssl.so.3).
    if (rest.length === 1 || (rest.length === 2 && MULTIARCH.test(rest[0]!))) return 'a shared library directory';
  }
  return undefined;
}

export type RebaseSafety = { ok: true } | { ok: false; conflicts: string[]; sensitive: Array<{ path: string; why: string }> };

const LISTED = 20;

/**
 * Checks the image's own layers against what the new base changed (`baseChanged`, from changedPaths of the old and new base's
 * trees). A conflict is an own path (file, link, or a directory whose mode or owner the base changed) that the base changed;
 * an own whiteout or opaque directory over anything the base changed; an own hard link to a changed file. Directories the
 * own layers only pass through (listed with the same mode and owner) are not conflicts: every layer lists its parents.
 */
export function rebaseSafety(ownLayers: readonly (readonly LayerEntry[])[], baseChanged: ReadonlySet<string>): RebaseSafety {
  const conflicts = new Set<string>();
  const sensitive = new Map<string, string>();
  const changedUnder = (dir: string): string[] => [...baseChanged].filter((p) => under(p, dir));
  for (const layer of ownLayers) {
    for (const entry of layer) {
      if (entry.kind === 'whiteout') {
        for (const p of changedUnder(entry.path)) conflicts.add(p);
      } else if (entry.kind === 'opaque') {
        for (const p of changedUnder(entry.path)) if (p !== entry.path) conflicts.add(p);
      } else {
        if (baseChanged.has(entry.path)) conflicts.add(entry.path);
        if (entry.kind === 'hardlink' && baseChanged.has(entry.target)) conflicts.add(entry.target);
        const why = entry.kind === 'dir' ? undefined : sensitivity(entry.path);
        if (why !== undefined) sensitive.set(entry.path, why);
      }
    }
  }
  if (conflicts.size === 0 && sensitive.size === 0) return { ok: true };
  return {
    ok: false,
    conflicts: [...conflicts].sort().slice(0, LISTED),
    sensitive: [...sensitive]
      .sort(([a], [b]) => a.localeCompare(b))
      .slice(0, LISTED)
      .map(([path, why]) => ({ path, why })),
  };
}

/** Why a rebase is refused, in a sentence naming the paths (at most twenty of each). */
export function refusal(safety: Extract<RebaseSafety, { ok: false }>): string {
  const parts: string[] = [];
  if (safety.conflicts.length > 0) parts.push(`write or delete paths the new base changed: /${safety.conflicts.join(', /')}`);
  if (safety.sensitive.length > 0)
    parts.push(`touch ${[...new Set(safety.sensitive.map((s) => s.why))].join(' and ')}: /${safety.sensitive.map((s) => s.path).join(', /')}`);
  return `its own layers ${parts.join('; and they ')}; rebuild or patch it instead`;
}
