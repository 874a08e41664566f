import type { Engine } from '../adapters/engine.js';
import {
  DATABASE_FILES,
  RPM_MANIFEST_COMMAND,
  apkManifest,
  dpkgManifest,
  parseCustomProbe,
  parseOsRelease,
  parseProbeOutput,
  probeScript,
  type OutdatedPackage,
  type PackageDatabase,
} from './packages.js';
import { type ImageFiles } from '../adapters/engineThrowaway.js';

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

/** The OS name (`PRETTY_NAME`) and the package database of an image, read from its files. */
export async function detectPackages(files: ImageFiles): Promise<{ os?: string; database?: PackageDatabase }> {
  const release = (await files.read('/etc/os-release')) ?? (await files.read('/usr/lib/os-release'));
  const fields = release ? parseOsRelease(release.toString('utf8')) : {};
  const os = fields.PRETTY_NAME ?? fields.NAME;
  for (const { database, path } of DATABASE_FILES) {
    if (await files.exists(path)) return { ...(os ? { os } : {}), database };
  }
  return os ? { os } : {};
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

/**
 * The installed-package manifest of an image (`name:arch version` lines), undefined when it has no package database, or a
 * problem. dpkg and apk manifests come from their database files (no container runs); rpm's database is binary, so `rpm -qa`
 * runs in a throwaway container without network.
 */
export async function packageManifest(engine: Engine, image: string, signal: AbortSignal): Promise<{ lines?: string[] } | { problem: string }> {
  const read = await engine.withImageFiles(image, async (files) => {
    const found = await detectPackages(files);
    if (found.database === 'dpkg') return { lines: dpkgManifest((await files.read('/var/lib/dpkg/status'))!.toString('utf8')) };
    if (found.database === 'apk') return { lines: apkManifest((await files.read('/lib/apk/db/installed'))!.toString('utf8')) };
    return found.database === 'rpm' ? 'rpm' : {};
  });
  if (read !== 'rpm') return read;
  const outcome = await engine.runThrowaway(image, RPM_MANIFEST_COMMAND, { network: 'none', timeoutMs: 60_000, signal });
  if (!outcome.ok) return { problem: `rpm -qa could not run: ${outcome.error}` };
  if (outcome.exitCode !== 0) return { problem: `rpm -qa exited ${outcome.exitCode}${lastLine(outcome.stderr)}` };
  return { lines: outcome.stdout.split('\n').filter((l) => l.trim() !== '') };
}

function lastLine(text: string): string {
  const line = text.trim().split('\n').pop()?.trim();
  return line ? `: ${line}` : '';
}
