import { shortDigest } from '../model/imageRef.js';

// The commit message `pin` writes: a subject a log line can show, and a body a reviewer can act on. Pure.

/** What one pinned repository records. */
export interface PinRecord {
  /** `registry/repository`. */
  repository: string;
  /** The digest the files held before; undefined when they held none (a tag only). */
  from?: string;
  to: string;
  /** The build's datestamp tag, when this run built it. */
  dateTag?: string;
  /** Why it was rebuilt or patched, as discover and patch say it. */
  reasons: readonly string[];
  /** Package changes, one line each (`openssl 3.0.13-1~deb12u1 → 3.0.15-1~deb12u1`). */
  packages: readonly string[];
  /** The digest of its SBOM in the registry. */
  sbom?: string;
  /** Hosts that run it now, after this run's rollout. */
  rolledOutTo: readonly string[];
  /** Files changed for it, with their lines. */
  files: readonly string[];
}

const MAX_PACKAGES = 30;

/** `Pin 2 images: team/api, team/web` and a section per repository. */
export function pinCommitMessage(records: readonly PinRecord[]): string {
  // One name per repository: two tags of one repository (stages) can name two builds.
  const names = [...new Set(records.map((record) => record.repository.slice(record.repository.indexOf('/') + 1)))];
  const subject = `Pin ${names.length === 1 ? names[0] : `${names.length} images: ${names.join(', ')}`}`;
  const sections = records.map((record) => {
    const lines = [
      `${record.repository}: ${record.from ? shortDigest(record.from) : 'by tag'} → ${shortDigest(record.to)}${record.dateTag ? ` (${record.dateTag})` : ''}`,
    ];
    if (record.reasons.length > 0) lines.push(`  why: ${record.reasons.join('; ')}`);
    if (record.packages.length > 0) {
      lines.push(`  packages (${record.packages.length}):`);
      lines.push(...record.packages.slice(0, MAX_PACKAGES).map((line) => `    ${line}`));
      if (record.packages.length > MAX_PACKAGES) lines.push(`    … and ${record.packages.length - MAX_PACKAGES} more (see the SBOM)`);
    }
    if (record.sbom) lines.push(`  SBOM: ${record.repository}@${record.sbom}`);
    lines.push(`  runs on: ${record.rolledOutTo.length > 0 ? record.rolledOutTo.join(', ') : 'no host yet'}`);
    lines.push(`  files: ${record.files.join(', ')}`);
    return lines.join('\n');
  });
  return `${subject}\n\n${sections.join('\n\n')}\n`;
}
