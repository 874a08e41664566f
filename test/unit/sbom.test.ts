import { describe, expect, it } from 'vitest';
import { dpkgPackages, apkPackages, rpmPackages } from '../../src/images/packageRecords.js';
import { cycloneDxSbom, packageUrl, sbomPackageCount } from '../../src/images/sbom.js';
import { cycloneDxErrors } from '../support/cycloneDx.js';

const STATUS = `Package: libc6
Status: install ok installed
Architecture: amd64
Source: glibc (2.36-9+deb12u4)
Version: 2.36-9+deb12u4

Package: perl-base
Status: install ok installed
Architecture: amd64
Source: perl
Version: 5.36.0-7+deb12u1

Package: removed-one
Status: deinstall ok config-files
Architecture: amd64
Version: 1.0

Package: tzdata
Status: install ok installed
Architecture: all
Version: 2024a-0+deb12u1
`;

const base = { name: '127.0.0.1:5055/vendor/debian', imageId: `sha256:${'a'.repeat(64)}`, created: new Date('2026-12-01T10:00:00Z'), toolVersion: '0.1.0' };

describe('package records', () => {
  it('reads dpkg records with their source package, skipping what is not installed', () => {
    expect(dpkgPackages(STATUS)).toEqual([
      { name: 'libc6', version: '2.36-9+deb12u4', arch: 'amd64', source: 'glibc' },
      { name: 'perl-base', version: '5.36.0-7+deb12u1', arch: 'amd64', source: 'perl' },
      { name: 'tzdata', version: '2024a-0+deb12u1', arch: 'all' },
    ]);
  });

  it('reads apk licenses and origins, and rpm source RPMs and licenses', () => {
    expect(apkPackages('P:musl\nV:1.2.5-r0\nA:x86_64\nL:MIT\no:musl\n\nP:libcrypto3\nV:3.3.2-r0\nA:x86_64\nL:Apache-2.0\no:openssl\n')).toEqual([
      { name: 'libcrypto3', version: '3.3.2-r0', arch: 'x86_64', source: 'openssl', license: 'Apache-2.0' },
      { name: 'musl', version: '1.2.5-r0', arch: 'x86_64', license: 'MIT' },
    ]);
    expect(rpmPackages('bash\t0:5.1.8-9.el9\tx86_64\tbash-5.1.8-9.el9.src.rpm\tGPLv3+\ngpg-pubkey\t0:1-2\t(none)\t(none)\t(none)\n')).toEqual([
      { name: 'bash', version: '0:5.1.8-9.el9', arch: 'x86_64', license: 'GPLv3+' },
      { name: 'gpg-pubkey', version: '0:1-2', arch: '(none)' },
    ]);
  });
});

describe('CycloneDX SBOM', () => {
  it('is valid against the published CycloneDX 1.5 schema and lists every package with its purl', () => {
    const text = cycloneDxSbom({
      ...base,
      database: 'dpkg',
      packages: dpkgPackages(STATUS),
      osId: 'debian',
      osVersion: '12',
      os: 'Debian GNU/Linux 12 (bookworm)',
      serial: '3e671687-395b-41f5-a30f-a58921a69b79',
    });
    const doc = JSON.parse(text);
    expect(cycloneDxErrors(doc)).toEqual([]);
    expect(sbomPackageCount(text)).toBe(3);
    // The OS first, as a component of its own that every package depends on (what Trivy needs to read OS packages).
    expect(doc.components[0]).toEqual({
      type: 'operating-system',
      'bom-ref': 'os:debian@12',
      name: 'debian',
      version: '12',
      description: 'Debian GNU/Linux 12 (bookworm)',
    });
    const packages = doc.components.slice(1);
    expect(doc.dependencies).toEqual([
      { ref: base.imageId, dependsOn: ['os:debian@12'] },
      { ref: 'os:debian@12', dependsOn: packages.map((c: Record<string, string>) => c['bom-ref']) },
    ]);
    expect(packages.map((c: { purl: string }) => c.purl)).toEqual([
      'pkg:deb/debian/libc6@2.36-9%2Bdeb12u4?arch=amd64&distro=debian-12&upstream=glibc',
      'pkg:deb/debian/perl-base@5.36.0-7%2Bdeb12u1?arch=amd64&distro=debian-12&upstream=perl',
      'pkg:deb/debian/tzdata@2024a-0%2Bdeb12u1?arch=all&distro=debian-12',
    ]);
    expect(doc.metadata.component).toMatchObject({ type: 'container', name: base.name, version: base.imageId });
  });

  it('stays valid with licenses, duplicate names and no os-release', () => {
    const packages = [
      { name: 'a', version: '1', arch: 'x86_64', license: 'MIT' },
      { name: 'a', version: '1', arch: 'x86_64' },
    ];
    const doc = JSON.parse(cycloneDxSbom({ ...base, database: 'apk', packages, serial: '3e671687-395b-41f5-a30f-a58921a69b79' }));
    expect(cycloneDxErrors(doc)).toEqual([]);
    expect(new Set(doc.components.map((c: Record<string, string>) => c['bom-ref'])).size).toBe(2);
    // Without os-release there is no OS component: the packages hang off the image itself.
    expect(doc.components.some((c: Record<string, string>) => c.type === 'operating-system')).toBe(false);
    expect(doc.dependencies).toEqual([{ ref: base.imageId, dependsOn: doc.components.map((c: Record<string, string>) => c['bom-ref']) }]);
    expect(doc.components[0].licenses).toEqual([{ license: { name: 'MIT' } }]);
  });

  it('lists no packages for an image without a package database, and is still valid', () => {
    const doc = JSON.parse(cycloneDxSbom({ ...base, packages: [], serial: '3e671687-395b-41f5-a30f-a58921a69b79' }));
    expect(cycloneDxErrors(doc)).toEqual([]);
    expect(doc.components).toEqual([]);
    expect(doc.metadata.properties).toEqual([{ name: 'freshen:package-database', value: 'none' }]);
  });

  it('is refused by the schema when broken (the check can fail)', () => {
    const doc = JSON.parse(cycloneDxSbom({ ...base, database: 'dpkg', packages: [], serial: 'not-a-uuid' }));
    expect(cycloneDxErrors(doc).join('\n')).toMatch(/serialNumber/);
    const dangling = JSON.parse(cycloneDxSbom({ ...base, database: 'dpkg', packages: [], osId: 'debian', serial: '3e671687-395b-41f5-a30f-a58921a69b79' }));
    dangling.components[0].type = 'operating-systems';
    expect(cycloneDxErrors(dangling).join('\n')).toMatch(/type/);
  });

  it('encodes names and versions in package URLs', () => {
    expect(packageUrl('rpm', { name: 'c++lib', version: '1:2.0-1', arch: 'x86_64' }, undefined, undefined)).toBe('pkg:rpm/c%2B%2Blib@1%3A2.0-1?arch=x86_64');
    expect(sbomPackageCount('{"not":"a bom"}')).toBeUndefined();
    expect(sbomPackageCount('nonsense')).toBeUndefined();
  });
});
