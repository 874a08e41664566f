import { createHash } from 'node:crypto';
import { gunzipSync, gzipSync } from 'node:zlib';
import { visibleControls } from '../shared/terminalText.js';
import { apkPackages, dpkgPackages, manifestLine } from './packageRecords.js';
import type { PackageChanges } from '../model/stepDetails.js';

// Pure knowledge of package managers: how to tell which one an image has, how to ask it for pending updates, how to read its
// answer and its database. The I/O that runs these lives in probeRun.ts.

/** The package database an image carries, found by file presence (no shell needed to find it). */
export type PackageDatabase = 'dpkg' | 'rpm' | 'apk';

/** Files whose presence tells the package database, in the order they are checked. */
export const DATABASE_FILES: ReadonlyArray<{ database: PackageDatabase; path: string }> = [
  { database: 'dpkg', path: '/var/lib/dpkg/status' },
  { database: 'apk', path: '/lib/apk/db/installed' },
  { database: 'rpm', path: '/var/lib/rpm' },
  { database: 'rpm', path: '/usr/lib/sysimage/rpm' },
];

/** One package with an update pending. */
export interface OutdatedPackage {
  name: string;
  installed?: string;
  available?: string;
}

/** `/etc/os-release` as a map (quotes removed). */
export function parseOsRelease(text: string): Record<string, string> {
  const fields: Record<string, string> = {};
  for (const line of text.split(/\r?\n/)) {
    const match = /^([A-Z0-9_]+)=(.*)$/.exec(line.trim());
    if (!match) continue;
    fields[match[1]!] = match[2]!.replace(/^(["'])(.*)\1$/, '$2').replace(/\\(["$`\\])/g, '$1');
  }
  return fields;
}

/**
 * `apt-get update` that fails (exit 3, apt's output on stderr) when a mirror could not be reached: apt itself warns and exits 0,
 * keeping the old index, and a probe or a patch would then find nothing to do.
 */
export const APT_UPDATE: readonly string[] = [
  'u=$(apt-get -q update 2>&1) || { printf "%s\\n" "$u" >&2; exit 3; }',
  'case "$u" in *"Failed to fetch"*|*"Some index files failed"*) printf "%s\\n" "$u" >&2; exit 3;; esac',
];

/** How the probe refreshes the index and lists pending updates, as a POSIX shell script. `refresh`: update the index first. */
export function probeScript(database: PackageDatabase, refresh: boolean): string {
  switch (database) {
    case 'dpkg':
      // -s simulates: nothing is installed, and no lock is needed for the simulation.
      return ['export LC_ALL=C DEBIAN_FRONTEND=noninteractive', ...(refresh ? APT_UPDATE : []), 'exec apt-get -s -o Debug::NoLocking=1 upgrade'].join('\n');
    case 'rpm':
      // check-update exits 100 when updates are pending; -C (cache only) when the index must not be refreshed.
      return [
        'export LC_ALL=C',
        'if command -v dnf >/dev/null 2>&1; then pm=dnf; else pm=yum; fi',
        `$pm -q ${refresh ? '' : '-C '}check-update; rc=$?`,
        '[ "$rc" = 100 ] && exit 0',
        'exit $rc',
      ].join('\n');
    case 'apk':
      return [...(refresh ? ['apk update -q >/dev/null || exit 3'] : []), "exec apk version -l '<'"].join('\n');
    default: {
      const unexpected: never = database;
      throw new Error(`unknown package database ${String(unexpected)}`);
    }
  }
}

/** `apt-get -s upgrade`: each `Inst name [installed] (available …)` line, then the packages it keeps back. */
export function parseAptUpgrade(output: string): OutdatedPackage[] {
  const packages: OutdatedPackage[] = [];
  const lines = output.split(/\r?\n/);
  for (const line of lines) {
    const inst = /^Inst (\S+)(?: \[([^\]]*)\])?(?: \((\S+))?/.exec(line);
    if (inst) packages.push({ name: inst[1]!, ...(inst[2] ? { installed: inst[2] } : {}), ...(inst[3] ? { available: inst[3] } : {}) });
  }
  const keptAt = lines.findIndex((l) => /^The following packages have been kept back:/.test(l));
  if (keptAt >= 0) {
    for (const line of lines.slice(keptAt + 1)) {
      if (!/^\s/.test(line)) break;
      for (const name of line.trim().split(/\s+/)) if (!packages.some((p) => p.name === name)) packages.push({ name });
    }
  }
  return packages;
}

/** `dnf/yum check-update`: `name.arch version repo` rows up to an `Obsoleting Packages` section; metadata lines are skipped. */
export function parseCheckUpdate(output: string): OutdatedPackage[] {
  const packages: OutdatedPackage[] = [];
  for (const line of output.split(/\r?\n/)) {
    if (/^Obsoleting Packages/i.test(line)) break;
    const row = /^(\S+)\.([A-Za-z0-9_]+)\s+(\S+)\s+(\S+)\s*$/.exec(line);
    if (!row || /^(Last|Loaded|Security:)/.test(line)) continue;
    packages.push({ name: row[1]!, available: row[3]! });
  }
  return packages;
}

/** `apk version -l '<'`: `name-1.2.3-r0 < 1.2.4-r0` rows after the `Installed: Available:` header. */
export function parseApkVersion(output: string): OutdatedPackage[] {
  const packages: OutdatedPackage[] = [];
  for (const line of output.split(/\r?\n/)) {
    const row = /^(\S+)-(\d[^-\s]*-r\d+)\s+<\s+(\S+)/.exec(line.trim());
    if (row) packages.push({ name: row[1]!, installed: row[2]!, available: row[3]! });
  }
  return packages;
}

/** A custom probe's output: one outdated package per non-empty line (its first word is the name, the rest is shown as is). */
export function parseCustomProbe(output: string): OutdatedPackage[] {
  return output
    .split(/\r?\n/)
    .map((line) => line.trim())
    .filter((line) => line !== '' && !line.startsWith('#'))
    .map((line) => {
      const [name, ...rest] = line.split(/\s+/);
      return rest.length > 0 ? { name: name!, available: rest.join(' ') } : { name: name! };
    });
}

export function parseProbeOutput(database: PackageDatabase, output: string): OutdatedPackage[] {
  if (database === 'dpkg') return parseAptUpgrade(output);
  if (database === 'rpm') return parseCheckUpdate(output);
  return parseApkVersion(output);
}

/** Installed packages from dpkg's status file: `name:arch version`, sorted, only those dpkg calls installed. */
export const dpkgManifest = (status: string): string[] => dpkgPackages(status).map(manifestLine).sort();

/** Installed packages from apk's database: `name:arch version`, sorted. */
export const apkManifest = (installed: string): string[] => apkPackages(installed).map(manifestLine).sort();

/** The value of `org.freshen.packages`: sha256 of the sorted manifest lines, or `none` for an image without a package database. */
export function manifestDigest(lines: readonly string[] | undefined): string {
  if (lines === undefined) return 'none';
  const sorted = [...lines].sort();
  return `sha256:${createHash('sha256')
    .update(sorted.map((l) => `${l}\n`).join(''))
    .digest('hex')}`;
}

export type { PackageChanges, PackageUpgrade } from '../model/stepDetails.js';

/** `name:arch version` → [name:arch, version]. */
const splitLine = (line: string): [string, string] => {
  const space = line.indexOf(' ');
  return space < 0 ? [line, ''] : [line.slice(0, space), line.slice(space + 1)];
};

/**
 * The difference between two manifests (`name:arch version` lines). A package is shown by its name alone unless it is
 * installed for more than one architecture (multiarch), where the name alone would be ambiguous.
 */
export function packageChanges(before: readonly string[], after: readonly string[]): PackageChanges {
  const old = new Map(before.map(splitLine));
  const now = new Map(after.map(splitLine));
  const names = [...new Set([...old.keys(), ...now.keys()])].sort();
  const archsOf = new Map<string, number>();
  for (const key of names) {
    const bare = key.split(':')[0]!;
    archsOf.set(bare, (archsOf.get(bare) ?? 0) + 1);
  }
  const shown = (key: string): string => (archsOf.get(key.split(':')[0]!)! > 1 ? key : key.split(':')[0]!);
  const changes: PackageChanges = { changed: [], added: [], removed: [] };
  for (const key of names) {
    const a = old.get(key);
    const b = now.get(key);
    if (a === undefined) changes.added.push({ name: shown(key), version: b! });
    else if (b === undefined) changes.removed.push({ name: shown(key), version: a });
    else if (a !== b) changes.changed.push({ name: shown(key), from: a, to: b });
  }
  return changes;
}

/** `perl-base 5.36.0-7+deb12u1 → 5.36.0-7+deb12u2`, `added libfoo 1.2`, `removed bar 3`: one line per package. */
export function packageChangeLines(changes: PackageChanges): string[] {
  // Names and versions come from images' package databases and labels: text from elsewhere, shown safely.
  return [
    ...changes.changed.map((c) => `${c.name} ${c.from} → ${c.to}`),
    ...changes.added.map((p) => `added ${p.name} ${p.version}`),
    ...changes.removed.map((p) => `removed ${p.name} ${p.version}`),
  ].map(visibleControls);
}

/** The installed-package manifest digest of an image (sha256 of sorted `name:arch version` lines, or `none`). */
export const LABEL_PACKAGES = 'org.freshen.packages';

/** The label that holds a build's whole manifest (gzip, base64), so the next build, status and notifications can say
 * which packages changed without pulling it. */
export const LABEL_PACKAGE_LIST = 'org.freshen.package-list';

/** A manifest as a label value: the lines, gzipped and base64-encoded (a Debian image's ~100 packages take about 2 KiB). */
export function encodePackageList(lines: readonly string[]): string {
  return gzipSync(Buffer.from([...lines].sort().join('\n'), 'utf8'), { level: 9 }).toString('base64');
}

/** The lines of a package-list label; undefined when it is not one (a label from a peer is untrusted). */
export function decodePackageList(value: string): string[] | undefined {
  try {
    const text = gunzipSync(Buffer.from(value, 'base64'), { maxOutputLength: 16 * 1024 * 1024 }).toString('utf8');
    const lines = text === '' ? [] : text.split('\n');
    return lines.every((l) => /^[\x21-\x39\x3b-\x7e]+:[\x21-\x7e]+ [\x21-\x7e]*$/.test(l)) ? lines : undefined;
  } catch {
    return undefined;
  }
}
