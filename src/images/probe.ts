import type { Engine } from '../adapters/engine.js';
import { DATABASE_FILES, parseCustomProbe, parseOsRelease, parseProbeOutput, probeScript, type OutdatedPackage, type PackageDatabase } from './packages.js';
import { type ImageFiles } from '../adapters/engineThrowaway.js';
import { RPM_RECORDS_COMMAND, apkPackages, dpkgPackages, rpmPackages, type InstalledPackage } from './packageRecords.js';

/** How discover probes an image for pending package updates. */
export interface ProbeSettings {
  network: 'host' | 'none';
  timeoutMs: number;
  /** Refresh the package index first (`apt-get update`, `apk update`; dnf without `-C`). */
  refresh: boolean;
  /** A custom probe (shell script) that replaces the package manager's: one outdated package per line, exit 0. */
  command?: string;
}

/** What a probe found; a probe that could not run says why and decides nothing. */
export type ProbeOutcome = { ok: true; manager: string; os?: string; outdated: OutdatedPackage[] } | { ok: false; problem: string };

const MANAGER: Record<PackageDatabase, string> = { dpkg: 'apt', rpm: 'dnf/yum', apk: 'apk' };

/** What an image's files say of its OS and package database. */
export interface DetectedPackages {
  /** `PRETTY_NAME` (or `NAME`) of os-release. */
  os?: string;
  /** os-release `ID` and `VERSION_ID` (`debian`, `12`), for package URLs. */
  osId?: string;
  osVersion?: string;
  database?: PackageDatabase;
}

/** The OS and the package database of an image, read from its files. */
export async function detectPackages(files: ImageFiles): Promise<DetectedPackages> {
  const release = (await files.read('/etc/os-release')) ?? (await files.read('/usr/lib/os-release'));
  const fields = release ? parseOsRelease(release.toString('utf8')) : {};
  const os = fields.PRETTY_NAME ?? fields.NAME;
  const found: DetectedPackages = {
    ...(os ? { os } : {}),
    ...(fields.ID ? { osId: fields.ID } : {}),
    ...(fields.VERSION_ID ? { osVersion: fields.VERSION_ID } : {}),
  };
  for (const { database, path } of DATABASE_FILES) {
    if (await files.exists(path)) return { ...found, database };
  }
  return found;
}

/** Runs the package manager's update check (or the custom probe) in a throwaway container of `image`. */
export async function probePackages(engine: Engine, image: string, settings: ProbeSettings, signal: AbortSignal): Promise<ProbeOutcome> {
  const run = { network: settings.network, timeoutMs: settings.timeoutMs, signal };
  if (settings.command !== undefined) {
    const outcome = await engine.runThrowaway(image, settings.command, run);
    if (!outcome.ok) return { ok: false, problem: `the custom probe could not run: ${outcome.error}` };
    if (outcome.exitCode !== 0) return { ok: false, problem: `the custom probe exited ${outcome.exitCode}${lastLine(outcome.stderr)}` };
    return { ok: true, manager: 'custom probe', outdated: parseCustomProbe(outcome.stdout) };
  }
  const found = await engine.withImageFiles(image, detectPackages);
  if (found.database === undefined) return { ok: false, problem: `no package manager found${found.os ? ` (${found.os})` : ''}: no dpkg, rpm or apk database` };
  const manager = MANAGER[found.database];
  const outcome = await engine.runThrowaway(image, probeScript(found.database, settings.refresh), run);
  if (!outcome.ok) return { ok: false, problem: `the ${manager} probe could not run: ${outcome.error}` };
  if (outcome.exitCode === 3 && settings.refresh)
    return { ok: false, problem: `refreshing the ${manager} index failed (network "${settings.network}")${lastLine(outcome.stderr)}` };
  if (outcome.exitCode !== 0) return { ok: false, problem: `the ${manager} probe exited ${outcome.exitCode}${lastLine(outcome.stderr)}` };
  return { ok: true, manager, ...(found.os ? { os: found.os } : {}), outdated: parseProbeOutput(found.database, outcome.stdout) };
}

/** An image's OS facts and installed packages (`packages` undefined: no package database). */
export interface ImagePackages extends DetectedPackages {
  packages?: InstalledPackage[];
}

/**
 * The installed packages of an image, undefined when it has no package database, or a problem. dpkg and apk records come from
 * their database files (no container runs); rpm's database is binary, so `rpm -qa` runs in a throwaway container without
 * network.
 */
export async function packageRecords(engine: Engine, image: string, signal: AbortSignal): Promise<ImagePackages | { problem: string }> {
  const read = await engine.withImageFiles(image, async (files): Promise<ImagePackages | 'rpm'> => {
    const found = await detectPackages(files);
    if (found.database === 'dpkg') return { ...found, packages: dpkgPackages((await files.read('/var/lib/dpkg/status'))!.toString('utf8')) };
    if (found.database === 'apk') return { ...found, packages: apkPackages((await files.read('/lib/apk/db/installed'))!.toString('utf8')) };
    return found.database === 'rpm' ? 'rpm' : found;
  });
  if (read !== 'rpm') return read;
  const outcome = await engine.runThrowaway(image, RPM_RECORDS_COMMAND, { network: 'none', timeoutMs: 60_000, signal });
  if (!outcome.ok) return { problem: `rpm -qa could not run: ${outcome.error}` };
  if (outcome.exitCode !== 0) return { problem: `rpm -qa exited ${outcome.exitCode}${lastLine(outcome.stderr)}` };
  const found = await engine.withImageFiles(image, detectPackages);
  return { ...found, packages: rpmPackages(outcome.stdout) };
}

function lastLine(text: string): string {
  const line = text.trim().split('\n').pop()?.trim();
  return line ? `: ${line}` : '';
}
