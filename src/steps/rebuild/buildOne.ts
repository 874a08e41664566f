import { join } from 'node:path';
import type { Engine, EngineAuth } from '../../adapters/engine.js';
import type { HostConnections, RegistryClient } from '../../adapters/types.js';
import { parseImageRef, repoDigestOf } from '../../model/imageRef.js';
import type { Files } from '../../images/files.js';
import { tagWithDatestamp } from '../datestampTags.js';
import { followPinnedBases, parseDockerfile } from '../../images/dockerfile.js';
import { failureTail } from '../../adapters/engineOutput.js';
import { treeDependencies } from '../../images/graph.js';
import { baseDifferences } from '../../images/buildChanges.js';
import { contentDifferences, discardIdenticalBuild, labelPackages, packagesOf, prodContent } from './identical.js';
import { packageChanges, type PackageChanges } from '../../images/packages.js';
import { provenanceLabels } from '../../images/provenance.js';
import type { LocalTagIndex } from '../../images/localTagIndex.js';
import { imageSbom } from '../imageSbom.js';

/** One image to build, as rebuild planned it. */
export interface BuildJob {
  repository: string;
  dir: string;
  /** `registry/repository:tag`. */
  ref: string;
  tag: string;
  buildArgs: Record<string, string>;
  noCache: boolean;
  pull: boolean;
  dateFormat: string;
  /** The network `RUN` lines get (rebuild's `network` option); unset: the engine's default. */
  network?: string;
  /** Compare the build with prod and discard it when bases, context and packages are the same. */
  skipIdentical: boolean;
  /** discover's `pinned_bases: follow`: build a `FROM NAME:TAG@DIGEST` on what the tag names now. */
  followPinnedBases?: boolean;
}

/** Everything a build talks to. */
export interface BuildEnvironment {
  engine: Engine;
  registry: RegistryClient;
  /** The engine's credentials: the host registry's for its own images, Docker's for another registry's alone. */
  connections: Pick<HostConnections, 'engineAuth' | 'otherEngineAuth' | 'engineBuildConfig'>;
  /** Managed repositories of the tree. */
  tree: ReadonlySet<string>;
  /** Repositories built in this run: their local image is the one to build on. */
  builtThisRun: ReadonlySet<string>;
  /** The build host's tags, listed once per step; a build adds its datestamp tag. */
  localTags: LocalTagIndex;
  files: Files;
  signal: AbortSignal;
  progress(message: string): void;
}

export type BuildResult =
  | { ok: true; identical?: false; imageId: string; dateRef: string; changes?: PackageChanges; baseChanges?: string[]; sbom?: string }
  /** Same content as prod: the build was discarded and `ref` names prod again on the build host. */
  | { ok: true; identical: true; prodImageId: string }
  | { ok: false; reason: string };

/**
 * Prepares the bases (pulls external ones when asked, an in-tree base not rebuilt in this run always, so the local copy is the
 * registry's), builds with provenance labels, then adds a datestamp tag that moves no existing tag.
 */
export async function buildOne(job: BuildJob, env: BuildEnvironment): Promise<BuildResult> {
  const dockerfilePath = join(job.dir, 'Dockerfile');
  const dockerfile = await env.files.readText(dockerfilePath);
  const parsed = parseDockerfile(job.followPinnedBases ? followPinnedBases(dockerfile) : dockerfile, job.buildArgs);
  if (!parsed.ok) return { ok: false, reason: `${dockerfilePath}: ${parsed.error}` };
  const auth = await env.connections.engineAuth();
  // A base from another registry is pulled with that registry's credentials alone: the host registry's never go elsewhere.
  const pullAuth = (ref: string): Promise<EngineAuth> => {
    const registry = parseImageRef(ref).registry;
    return registry === env.registry.name ? Promise.resolve(auth) : env.connections.otherEngineAuth(registry);
  };

  const baseIds: Record<string, string> = {};
  const builtHere = new Set<string>();
  for (const base of parsed.value.bases) {
    const [dep] = treeDependencies([base], env.registry.name, job.tag, env.tree);
    const useLocal = dep !== undefined && env.builtThisRun.has(dep);
    if (useLocal) builtHere.add(base);
    const mustPull = !useLocal && (dep !== undefined || job.pull || (await env.engine.localImageId(base)) === undefined);
    if (mustPull) {
      env.progress(`Pulling ${base}`);
      await env.engine.pullImage(base, await pullAuth(base), env.signal);
    }
    const id = await env.engine.localImageId(base);
    if (id === undefined) return { ok: false, reason: `base ${base} is not available on the build host` };
    baseIds[base] = id;
  }

  const context = await env.files.buildContext(job.dir, { followPinnedBases: job.followPinnedBases === true });
  const created = new Date();
  const { finalBase } = parsed.value;
  // The final base's manifest digest, where it came from a registry. A base rebuilt earlier in this run is not pushed yet: a
  // repo digest the engine remembers for the same content from an earlier push is not what the registry serves now.
  const finalBaseDigest =
    finalBase === 'scratch' || builtHere.has(finalBase) ? undefined : repoDigestOf((await env.engine.localImage(finalBase))?.RepoDigests, finalBase);
  const labels = provenanceLabels({
    baseIds,
    contextDigest: context.digest,
    source: job.repository,
    finalBase,
    ...(finalBaseDigest === undefined ? {} : { finalBaseDigest }),
    created,
  });
  const registryConfig = await env.connections.engineBuildConfig();
  const outcome = await env.engine.buildImage(
    env.files.pack(context),
    {
      tag: job.ref,
      noCache: job.noCache,
      labels,
      buildArgs: job.buildArgs,
      ...(registryConfig ? { registryConfig } : {}),
      ...(job.network ? { network: job.network } : {}),
    },
    env.signal,
    env.progress,
  );
  if (outcome.error !== undefined) return { ok: false, reason: `${outcome.error}\n${failureTail(outcome)}`.trimEnd() };
  const builtId = await env.engine.localImageId(job.ref);
  if (builtId === undefined || (outcome.imageId !== undefined && outcome.imageId !== builtId)) {
    return { ok: false, reason: `the engine reported a build but ${job.ref} does not name the built image` };
  }
  env.progress(`Reading the installed packages of ${job.ref}`);
  const packages = await packagesOf(env.engine, builtId, env.signal);
  const imageId = (packages !== undefined ? await labelPackages(env.engine, builtId, job.ref, packages, env.signal) : undefined) ?? builtId;
  const prod = await prodContent({ ...env, auth }, job.repository, job.tag, job.skipIdentical);
  if (job.skipIdentical) {
    const content = { bases: baseIds, contextDigest: context.digest, ...(packages !== undefined ? { packages: packages.digest } : {}) };
    if (prod && contentDifferences(content, prod.content).length === 0) {
      await discardIdenticalBuild({ ...env, auth }, job.ref, imageId);
      return { ok: true, identical: true, prodImageId: prod.imageId };
    }
  }
  // What changed inside, against the build it replaces; unknown when either has no recorded package list.
  const changes = prod?.packageList !== undefined && packages?.lines !== undefined ? { changes: packageChanges(prod.packageList, packages.lines) } : {};
  const bases = prod?.content !== undefined ? baseDifferences(baseIds, prod.content.bases) : [];

  const dateRef = await tagWithDatestamp(env, { repository: job.repository, imageId, when: created, format: job.dateFormat });
  // An image without a package database gets an SBOM that lists none, so every build has one (and --check can say so).
  const sbom = packages !== undefined ? { sbom: imageSbom(`${env.registry.name}/${job.repository}`, imageId, packages.records ?? {}, created) } : {};
  return { ok: true, imageId, dateRef, ...changes, ...(bases.length > 0 ? { baseChanges: bases } : {}), ...sbom };
}
