import tarStream from 'tar-stream';
import type { Engine, EngineAuth } from '../../adapters/engine.js';
import type { RegistryClient } from '../../adapters/types.js';
import { shortDigest } from '../../model/imageRef.js';
import { LABEL_PACKAGE_LIST, decodePackageList, encodePackageList, manifestDigest } from '../../images/packages.js';
import { packageRecords, type ImagePackages } from '../../images/probe.js';
import { manifestLine, type InstalledPackage } from '../../images/packageRecords.js';
import { LABEL_PACKAGES, type PackageDatabase } from '../../images/packages.js';
import { LABEL_BASES, LABEL_CONTEXT, readProvenance } from '../../images/provenance.js';
import { baseDifferences } from '../../images/buildChanges.js';

const short = (digest: string): string => (digest.startsWith('sha256:') ? `${shortDigest(digest)}…` : digest);

/** An image's installed packages: the manifest lines (none without a package database), their digest, and the records. */
export interface InstalledPackages {
  digest: string;
  lines?: string[];
  /** The records and OS facts an SBOM is made of; undefined without a package database. */
  records?: ImagePackages & { packages: InstalledPackage[]; database: PackageDatabase };
}

/** What makes two builds of one image the same for freshen: the bases they were built from, the context, the packages. */
export interface ImageContent {
  /** Base reference → image ID. */
  bases: Readonly<Record<string, string>>;
  contextDigest: string;
  /** `org.freshen.packages`; undefined when it could not be read. */
  packages?: string;
}

/** How a new build differs from prod, one phrase per difference; empty means identical content. */
export function contentDifferences(built: ImageContent, prod: ImageContent | undefined): string[] {
  if (prod === undefined) return ['prod records no provenance to compare with'];
  const differences = baseDifferences(built.bases, prod.bases);
  if (built.contextDigest !== prod.contextDigest) differences.push(`build context ${short(prod.contextDigest)} → ${short(built.contextDigest)}`);
  if (built.packages === undefined || prod.packages === undefined) differences.push('the installed packages could not be compared');
  else if (built.packages !== prod.packages) differences.push(`installed packages ${short(prod.packages)} → ${short(built.packages)}`);
  return differences;
}

/** An image's installed packages, read from a throwaway container of it; undefined when they cannot be read. */
export async function packagesOf(engine: Engine, image: string, signal: AbortSignal): Promise<InstalledPackages | undefined> {
  const read = await packageRecords(engine, image, signal);
  if ('problem' in read) return undefined;
  if (read.packages === undefined || read.database === undefined) return { digest: manifestDigest(undefined) };
  const lines = read.packages.map(manifestLine).sort();
  return { digest: manifestDigest(lines), lines, records: { ...read, packages: read.packages, database: read.database } };
}

/**
 * Adds `org.freshen.packages` and `org.freshen.package-list` to a fresh build (a metadata-only build `FROM` it: no layer is
 * added) and tags the result `ref`, so the next build reads prod's packages from the registry instead of pulling prod.
 */
export async function labelPackages(
  engine: Engine,
  imageId: string,
  ref: string,
  packages: InstalledPackages,
  signal: AbortSignal,
): Promise<string | undefined> {
  const outcome = await engine.buildImage(
    dockerfileOnly(`FROM ${imageId}\n`),
    {
      tag: ref,
      noCache: true,
      labels: { [LABEL_PACKAGES]: packages.digest, ...(packages.lines !== undefined ? { [LABEL_PACKAGE_LIST]: encodePackageList(packages.lines) } : {}) },
      buildArgs: {},
    },
    signal,
    () => {},
  );
  if (outcome.error !== undefined) return undefined;
  return await engine.localImageId(ref);
}

/** A build context of one Dockerfile, made in memory: nothing is written to disk for a metadata-only build. */
function dockerfileOnly(text: string): NodeJS.ReadableStream {
  const pack = tarStream.pack();
  pack.entry({ name: 'Dockerfile', mode: 0o644 }, text);
  pack.finalize();
  // tar-stream's Pack is a streamx Readable: it pipes like a Node stream, which is all dockerode asks of it.
  return pack as unknown as NodeJS.ReadableStream;
}

/** What freshen knows of the build the rollout tag names now. */
export interface ProdBuild {
  imageId: string;
  /** Its provenance, for the identical-build check; undefined for an image freshen did not build. */
  content?: ImageContent;
  /** Its package manifest, from its label; undefined for builds made before freshen recorded it. */
  packageList?: string[];
}

/**
 * Prod's content: its labels from the registry, and its packages from the label or, for older builds and only when
 * `pullForPackages`, from the image itself.
 */
export async function prodContent(
  env: { engine: Engine; registry: RegistryClient; auth: EngineAuth; signal: AbortSignal },
  repository: string,
  tag: string,
  pullForPackages: boolean,
): Promise<ProdBuild | undefined> {
  const config = await env.registry.imageConfig(repository, tag);
  if (config === undefined) return undefined;
  const labels = config.config.config?.Labels ?? {};
  const listed = labels[LABEL_PACKAGE_LIST] !== undefined ? decodePackageList(labels[LABEL_PACKAGE_LIST]) : undefined;
  const packageList = listed !== undefined ? { packageList: listed } : {};
  const provenance = readProvenance(labels);
  if (!provenance.ok || labels[LABEL_BASES] === undefined || labels[LABEL_CONTEXT] === undefined) return { imageId: config.configDigest, ...packageList };
  let packages = labels[LABEL_PACKAGES];
  if (packages === undefined && pullForPackages) {
    const pinned = `${env.registry.name}/${repository}@${config.manifestDigest}`;
    await env.engine.pullImage(pinned, env.auth, env.signal);
    packages = (await packagesOf(env.engine, pinned, env.signal))?.digest;
  }
  const content = { bases: provenance.value.bases, contextDigest: provenance.value.contextDigest, ...(packages ? { packages } : {}) };
  return { imageId: config.configDigest, content, ...packageList };
}

/** Puts the build host back as it was before an identical build: `ref` names prod again and the new image is gone. */
export async function discardIdenticalBuild(env: { engine: Engine; auth: EngineAuth; signal: AbortSignal }, ref: string, imageId: string): Promise<void> {
  await env.engine.pullImage(ref, env.auth, env.signal);
  await env.engine.removeImage(imageId);
}
