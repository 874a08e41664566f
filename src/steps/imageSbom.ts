import { randomUUID } from 'node:crypto';
import type { InstalledPackage } from '../images/packageRecords.js';
import type { PackageDatabase } from '../images/packages.js';
import type { DetectedPackages } from '../images/probe.js';
import { cycloneDxSbom } from '../images/sbom.js';
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
