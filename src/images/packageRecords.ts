// The installed packages of an image as records (what an SBOM lists), read from the three package databases freshen knows.
// The manifest lines of packages.ts (`name:arch version`) are derived from these, so both always agree.

/** One installed OS package. */
export interface InstalledPackage {
  name: string;
  version: string;
  arch: string;
  /** The source package it was built from, when the database records one that differs from its name. */
  source?: string;
  /** The license as the database states it (apk and rpm record one; dpkg does not). */
  license?: string;
}

/** `name:arch version`: the manifest line of a package. */
export const manifestLine = (p: InstalledPackage): string => `${p.name}:${p.arch} ${p.version}`;

/** Debian control-file stanzas (`Field: value`, continuation lines ignored). */
export function controlStanzas(text: string): Array<Record<string, string>> {
  return text.split(/\n\s*\n/).map((block) => {
    const fields: Record<string, string> = {};
    for (const line of block.split('\n')) {
      const match = /^([A-Za-z][A-Za-z0-9-]*):\s*(.*)$/.exec(line);
      if (match) fields[match[1]!] = match[2]!.trim();
    }
    return fields;
  });
}

const byName = (a: InstalledPackage, b: InstalledPackage): number => (manifestLine(a) < manifestLine(b) ? -1 : manifestLine(a) > manifestLine(b) ? 1 : 0);

/** Packages dpkg calls installed, from its status file; `Source: glibc (2.36-9)` gives the source package's name. */
export function dpkgPackages(status: string): InstalledPackage[] {
  return controlStanzas(status)
    .filter((s) => /\binstalled$/.test(s.Status ?? '') && s.Package)
    .map((s) => {
      const source = s.Source?.split(/\s+/)[0];
      return { name: s.Package!, version: s.Version ?? '', arch: s.Architecture ?? 'all', ...(source && source !== s.Package ? { source } : {}) };
    })
    .sort(byName);
}

/** Packages from apk's database (`P:` name, `V:` version, `A:` arch, `o:` origin, `L:` license). */
export function apkPackages(installed: string): InstalledPackage[] {
  return installed
    .split(/\n\s*\n/)
    .map((block) => Object.fromEntries(block.split('\n').flatMap((l) => (/^[A-Za-z]:/.test(l) ? [[l[0]!, l.slice(2)]] : []))) as Record<string, string>)
    .filter((p) => p.P)
    .map((p) => ({
      name: p.P!,
      version: p.V ?? '',
      arch: p.A ?? 'noarch',
      ...(p.o && p.o !== p.P ? { source: p.o } : {}),
      ...(p.L ? { license: p.L } : {}),
    }))
    .sort(byName);
}

/** `rpm -qa` with this format gives one tab-separated record per package (rpm's database is binary, so rpm itself reads it). */
export const RPM_RECORDS_COMMAND = "rpm -qa --qf '%{NAME}\\t%{EPOCHNUM}:%{VERSION}-%{RELEASE}\\t%{ARCH}\\t%{SOURCERPM}\\t%{LICENSE}\\n'";

/** The records of `RPM_RECORDS_COMMAND`; the source package is the source RPM's name without version and release. */
export function rpmPackages(output: string): InstalledPackage[] {
  return output
    .split('\n')
    .filter((line) => line.trim() !== '')
    .map((line) => {
      const [name = '', version = '', arch = '', sourceRpm = '', license = ''] = line.split('\t');
      const source = /^(.+)-[^-]+-[^-]+\.src\.rpm$/.exec(sourceRpm)?.[1];
      return { name, version, arch, ...(source && source !== name ? { source } : {}), ...(license && license !== '(none)' ? { license } : {}) };
    })
    .sort(byName);
}
