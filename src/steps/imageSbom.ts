import { randomUUID } from 'node:crypto';
import type { InstalledPackage } from '../images/packageRecords.js';
import type { PackageDatabase } from '../images/packages.js';
import type { DetectedPackages } from '../images/probe.js';
import { SBOM_MEDIA_TYPE, cycloneDxSbom, sbomPackageCount } from '../images/sbom.js';
import { attachArtifact } from '../adapters/referrers.js';
import type { RegistryClient } from '../adapters/types.js';
import { shownDigest } from '../images/imageSentences.js';
import { FRESHEN_VERSION } from '../shared/version.js';

/** The SBOM of a build or a patch: its installed packages (none without a package database), named by the image's name and ID. */
export function imageSbom(
  name: string,
  imageId: string,
  read: DetectedPackages & { packages?: InstalledPackage[]; database?: PackageDatabase },
  created: Date,
): string {
  return cycloneDxSbom({
    name,
    imageId,
    ...(read.database !== undefined ? { database: read.database } : {}),
    packages: read.packages ?? [],
    ...(read.osId ? { osId: read.osId } : {}),
    ...(read.osVersion ? { osVersion: read.osVersion } : {}),
    ...(read.os ? { os: read.os } : {}),
    created,
    serial: randomUUID(),
    toolVersion: FRESHEN_VERSION,
  });
}

/** Attaches `sbom` to the image `digest` of `repository` (push's builds, rebase's images); returns the sentence that says so. */
export async function attachSbom(registry: RegistryClient, repository: string, digest: string, sbom: string, created: Date): Promise<string> {
  const attached = await attachArtifact(registry, repository, digest, {
    artifactType: SBOM_MEDIA_TYPE,
    content: Buffer.from(sbom),
    created,
    tagSuffix: 'sbom',
    title: 'sbom.cdx.json',
  });
  return `Attached its SBOM (CycloneDX, ${sbomPackageCount(sbom) ?? 0} packages) as ${shownDigest(attached.digest)}, found through the ${attached.via}`;
}
