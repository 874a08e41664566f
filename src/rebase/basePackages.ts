import type { InstalledPackage } from '../images/packageRecords.js';
import { apkPackages, dpkgPackages, manifestLine } from '../images/packageRecords.js';
import { parseOsRelease, type PackageDatabase } from '../images/packages.js';
import type { LayerEntry } from './layerEntries.js';

// What a rebased image has installed, read from its new base's layers: a rebase is refused when the image's own layers touch
// the package database, so the image's packages are exactly its new base's. The files are read as the layers leave them
// (later layers win, whiteouts remove), never from a container. Pure.

/** Files a rebase keeps the content of while it lists the new base's layers (normal paths, as in a layer's tar). */
export const PACKAGE_FILES: ReadonlySet<string> = new Set(['var/lib/dpkg/status', 'lib/apk/db/installed', 'etc/os-release', 'usr/lib/os-release']);

/** Directories whose presence alone says the database is rpm's (binary: its records cannot be read from a layer here). */
const RPM_DIRS = ['var/lib/rpm', 'usr/lib/sysimage/rpm'];

/** One listed layer: its entries and the kept files' content. */
export interface ListedLayer {
  entries: readonly LayerEntry[];
  kept: ReadonlyMap<string, Buffer>;
}

/** The kept files as the stack of layers leaves them, bottom layer first. */
export function filesAfter(layers: readonly ListedLayer[]): Map<string, Buffer> {
  const files = new Map<string, Buffer>();
  const dropUnder = (dir: string, self: boolean): void => {
    for (const path of [...files.keys()]) if ((self && path === dir) || path.startsWith(`${dir}/`) || dir === '') files.delete(path);
  };
  for (const layer of layers) {
    for (const entry of layer.entries) {
      if (entry.kind === 'whiteout') dropUnder(entry.path, true);
      else if (entry.kind === 'opaque') dropUnder(entry.path, false);
      else if (entry.kind === 'file' && layer.kept.has(entry.path)) files.set(entry.path, layer.kept.get(entry.path)!);
      else files.delete(entry.path);
    }
  }
  return files;
}

/** What the image has installed: its database, the packages, their manifest lines (sorted) and the OS, when there is one. */
export interface BasePackages {
  database?: PackageDatabase;
  packages?: InstalledPackage[];
  lines?: string[];
  osId?: string;
  osVersion?: string;
  os?: string;
}

/** Reads the packages from the files `filesAfter` gave; `paths` are every path of the tree (for rpm's database, found by presence). */
export function basePackages(files: ReadonlyMap<string, Buffer>, paths: ReadonlySet<string>): BasePackages {
  const release = files.get('etc/os-release') ?? files.get('usr/lib/os-release');
  const fields = release !== undefined ? parseOsRelease(release.toString('utf8')) : {};
  const os = {
    ...(fields.ID ? { osId: fields.ID } : {}),
    ...(fields.VERSION_ID ? { osVersion: fields.VERSION_ID } : {}),
    ...(fields.PRETTY_NAME ? { os: fields.PRETTY_NAME } : {}),
  };
  const dpkg = files.get('var/lib/dpkg/status');
  const apk = files.get('lib/apk/db/installed');
  const read = (database: PackageDatabase, packages: InstalledPackage[]): BasePackages => ({
    database,
    packages,
    lines: packages.map(manifestLine).sort(),
    ...os,
  });
  if (dpkg !== undefined) return read('dpkg', dpkgPackages(dpkg.toString('utf8')));
  if (apk !== undefined) return read('apk', apkPackages(apk.toString('utf8')));
  if (RPM_DIRS.some((dir) => paths.has(dir))) return { database: 'rpm', ...os };
  return os;
}
