import type { Engine } from '../../adapters/engine.js';
import type { RegistryClient } from '../../adapters/types.js';
import { LABEL_PACKAGE_LIST, LABEL_PACKAGES, encodePackageList, manifestDigest, packageChanges, type PackageChanges } from '../../images/packages.js';
import { manifestLine, type InstalledPackage } from '../../images/packageRecords.js';
import { patchLabels, patchedConfig, upgradeScript } from '../../images/patch.js';
import { packageRecords, type ImagePackages } from '../../images/probe.js';
import { LABEL_SOURCE } from '../../images/provenance.js';
import { imageSbom } from '../imageSbom.js';
import type { LocalTagIndex } from '../../images/localTagIndex.js';
import { tagWithDatestamp } from '../datestampTags.js';
import type { PatchOptions, PatchTarget } from './patchOptions.js';
import type { UpstreamRegistries } from './upstream.js';

/** One patch to make, as the plan saw it. */
export interface PatchJob extends PatchTarget {
  /** `registry/to:tag`. */
  ref: string;
  /** The package list prod records, for the identical check (undefined: unpublished or none recorded). */
  prodPackageList?: string[];
  prodUpstreamId?: string;
}

export type PatchResult =
  | {
      ok: true;
      identical?: false;
      imageId: string;
      dateRef: string;
      upstreamId: string;
      changes: PackageChanges;
      layerBytes: number;
      sbom?: string;
      packages: number;
    }
  | { ok: true; identical: true; upstreamId: string }
  | { ok: false; reason: string };

export interface PatchEnvironment {
  engine: Engine;
  registry: RegistryClient;
  upstreams: UpstreamRegistries;
  localTags: LocalTagIndex;
  options: PatchOptions;
  signal: AbortSignal;
  progress(message: string): void;
}

const lastLines = (text: string, n: number): string => text.trim().split('\n').slice(-n).join('\n');

async function recordsOf(engine: Engine, image: string, signal: AbortSignal): Promise<(ImagePackages & { packages: InstalledPackage[] }) | string> {
  const read = await packageRecords(engine, image, signal);
  if ('problem' in read) return read.problem;
  if (read.packages === undefined || read.database === undefined)
    return `no package manager found${read.os ? ` (${read.os})` : ''}: no dpkg, rpm or apk database`;
  return read as ImagePackages & { packages: InstalledPackage[] };
}

/**
 * Pulls the original, runs the upgrade in a container of it, commits that container, and makes the patched image from the
 * original's config and layers plus the one committed layer; tags it with the rollout tag and a datestamp.
 */
export async function patchOne(job: PatchJob, env: PatchEnvironment): Promise<PatchResult> {
  const { engine, options } = env;
  env.progress(`Pulling ${job.from}`);
  await engine.pullImage(job.from, await env.upstreams.pullAuth(job.from), env.signal);
  const upstream = await env.upstreams.lookUp(job.from);
  const upstreamId = await engine.localImageId(job.from);
  if (upstreamId === undefined || upstream === undefined) return { ok: false, reason: `${job.from} is not available on the build host` };
  const before = await recordsOf(engine, upstreamId, env.signal);
  if (typeof before === 'string') return { ok: false, reason: `${job.from}: ${before}` };

  env.progress(`Upgrading the packages of ${job.from}`);
  const run = await engine.runThrowaway(upstreamId, upgradeScript(before.database!, options.securityOnly), {
    network: options.network,
    timeoutMs: options.timeoutMs,
    signal: env.signal,
    commit: true,
  });
  if (!run.ok) return { ok: false, reason: `the upgrade of ${job.from} could not run: ${run.error}` };
  if (run.exitCode !== 0 || run.committedId === undefined) {
    return { ok: false, reason: `the upgrade of ${job.from} exited ${run.exitCode}:\n${lastLines(`${run.stdout}\n${run.stderr}`, 10)}` };
  }
  const committedId = run.committedId;
  try {
    const after = await recordsOf(engine, committedId, env.signal);
    if (typeof after === 'string') return { ok: false, reason: `${job.from} after its upgrade: ${after}` };
    const lines = after.packages.map(manifestLine).sort();
    const sameAsProd = job.prodUpstreamId === upstreamId && job.prodPackageList?.join('\n') === lines.join('\n');
    if (options.skipIdentical && sameAsProd) return { ok: true, identical: true, upstreamId };

    const changes = packageChanges(before.packages.map(manifestLine), lines);
    const created = new Date();
    const [original, committed] = await Promise.all([engine.localImage(upstreamId), engine.localImage(committedId)]);
    const baseLayers = original?.Layers ?? [];
    const layers = committed?.Layers ?? [];
    if (layers.length !== baseLayers.length + 1 || baseLayers.some((l, i) => layers[i] !== l)) {
      return { ok: false, reason: `the committed upgrade of ${job.from} is not one layer on top of the original` };
    }
    const labels = {
      ...patchLabels({ upstreamRef: job.from, upstreamId, upstreamDigest: upstream.digest, created, changes }),
      [LABEL_SOURCE]: job.to,
      [LABEL_PACKAGES]: manifestDigest(lines),
      [LABEL_PACKAGE_LIST]: encodePackageList(lines),
    };
    const config = patchedConfig(await env.upstreams.originalConfig(job.from, upstreamId), {
      layerDiffId: layers.at(-1)!,
      created,
      labels,
      createdBy: `freshen patch: ${before.database} upgrade${options.securityOnly ? ' (security only)' : ''}`,
    });
    env.progress(`Writing the patched ${job.ref}`);
    const imageId = await engine.loadPatchedImage(config, layers.length, job.ref);
    const dateRef = await tagWithDatestamp(env, { repository: job.to, imageId, when: created, format: options.dateFormat });
    const sbom = imageSbom(`${env.registry.name}/${job.to}`, imageId, { ...after, database: after.database! }, created);
    const layerBytes = Math.max(0, (committed?.Size ?? 0) - (original?.Size ?? 0));
    return { ok: true, imageId, dateRef, upstreamId, changes, layerBytes, sbom, packages: after.packages.length };
  } finally {
    await engine.removeImage(committedId).catch(() => undefined);
  }
}
