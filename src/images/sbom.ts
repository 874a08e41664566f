import type { InstalledPackage } from './packageRecords.js';
import type { PackageDatabase } from './packages.js';

// An image's SBOM as a value: a CycloneDX 1.5 JSON document of its installed OS packages. Pure: the caller passes the clock
// and the serial number.

/** The media type of the SBOM document, and the `artifactType` of the manifest that attaches it to its image. */
export const SBOM_MEDIA_TYPE = 'application/vnd.cyclonedx+json';
export const SBOM_SPEC_VERSION = '1.5';

/** What an SBOM describes and how it was made. */
export interface SbomInput {
  /** `registry/repository`, the image's name. */
  name: string;
  /** The image ID (config digest): the same locally and in the registry. */
  imageId: string;
  /** Undefined for an image without a package database (scratch, distroless): its SBOM lists no packages. */
  database?: PackageDatabase;
  packages: readonly InstalledPackage[];
  /** os-release `ID` and `VERSION_ID`. */
  osId?: string;
  osVersion?: string;
  /** os-release `PRETTY_NAME`. */
  os?: string;
  created: Date;
  /** A random UUID: every document gets its own serial number. */
  serial: string;
  toolVersion: string;
}

const PURL_TYPE: Record<PackageDatabase, string> = { dpkg: 'deb', apk: 'apk', rpm: 'rpm' };

/** A package URL (purl) of an OS package: `pkg:deb/debian/perl-base@5.36.0-7%2Bdeb12u1?arch=amd64&distro=debian-12`. */
export function packageUrl(database: PackageDatabase, pkg: InstalledPackage, osId: string | undefined, osVersion: string | undefined): string {
  const namespace = osId ? `${encodeURIComponent(osId)}/` : '';
  const qualifiers = [`arch=${encodeURIComponent(pkg.arch)}`];
  if (osId && osVersion) qualifiers.push(`distro=${encodeURIComponent(`${osId}-${osVersion}`)}`);
  if (pkg.source) qualifiers.push(`upstream=${encodeURIComponent(pkg.source)}`);
  return `pkg:${PURL_TYPE[database]}/${namespace}${encodeURIComponent(pkg.name)}@${encodeURIComponent(pkg.version)}?${qualifiers.join('&')}`;
}

/** The CycloneDX document, as JSON text (two-space indented, a trailing newline). */
export function cycloneDxSbom(input: SbomInput): string {
  const seen = new Set<string>();
  const components = input.packages.map((pkg) => {
    const purl = packageUrl(input.database!, pkg, input.osId, input.osVersion);
    let ref = purl;
    for (let n = 2; seen.has(ref); n += 1) ref = `${purl}#${n}`;
    seen.add(ref);
    const properties = [
      { name: 'freshen:package:architecture', value: pkg.arch },
      ...(pkg.source ? [{ name: 'freshen:package:source', value: pkg.source }] : []),
    ];
    return {
      type: 'library',
      'bom-ref': ref,
      name: pkg.name,
      version: pkg.version,
      purl,
      ...(pkg.license ? { licenses: [{ license: { name: pkg.license } }] } : {}),
      properties,
    };
  });
  // The OS as a component of its own, its packages depending on it, as scanners expect (Trivy reads OS packages only under an
  // `operating-system` component; without one it ignores them).
  const osRef = input.osId === undefined ? undefined : `os:${input.osId}${input.osVersion ? `@${input.osVersion}` : ''}`;
  const osComponent =
    osRef === undefined
      ? []
      : [
          {
            type: 'operating-system',
            'bom-ref': osRef,
            name: input.osId!,
            ...(input.osVersion ? { version: input.osVersion } : {}),
            ...(input.os ? { description: input.os } : {}),
          },
        ];
  const packageRefs = components.map((component) => component['bom-ref']);
  const dependencies =
    osRef === undefined
      ? [{ ref: input.imageId, dependsOn: packageRefs }]
      : [
          { ref: input.imageId, dependsOn: [osRef] },
          { ref: osRef, dependsOn: packageRefs },
        ];
  const document = {
    $schema: 'http://cyclonedx.org/schema/bom-1.5.schema.json',
    bomFormat: 'CycloneDX',
    specVersion: SBOM_SPEC_VERSION,
    serialNumber: `urn:uuid:${input.serial}`,
    version: 1,
    metadata: {
      timestamp: input.created.toISOString(),
      tools: { components: [{ type: 'application', name: 'freshen', version: input.toolVersion }] },
      component: {
        type: 'container',
        'bom-ref': input.imageId,
        name: input.name,
        version: input.imageId,
        ...(input.os ? { description: input.os } : {}),
      },
      properties: [{ name: 'freshen:package-database', value: input.database ?? 'none' }],
    },
    components: [...osComponent, ...components],
    dependencies,
  };
  return `${JSON.stringify(document, null, 2)}\n`;
}

/**
 * How many packages an SBOM document lists (the operating system's own component is not one); undefined when the text is not a
 * CycloneDX document (it may come from a peer).
 */
export function sbomPackageCount(text: string): number | undefined {
  try {
    const doc = JSON.parse(text) as { bomFormat?: unknown; components?: unknown };
    if (doc.bomFormat !== 'CycloneDX' || !Array.isArray(doc.components)) return undefined;
    return (doc.components as unknown[]).filter((c) => (c as { type?: unknown } | null)?.type !== 'operating-system').length;
  } catch {
    return undefined;
  }
}
