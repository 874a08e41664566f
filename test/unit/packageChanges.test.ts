import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { packagesChangedNote } from '../../src/images/imageSentences.js';
import { decodePackageList, encodePackageList, packageChangeLines, packageChanges } from '../../src/images/packages.js';

const before = [
  'base-files:amd64 12.4+deb12u5',
  'libc6:amd64 2.36-9+deb12u4',
  'libc6:i386 2.36-9+deb12u4',
  'perl-base:amd64 5.36.0-7+deb12u1',
  'tzdata:all 2024a-0+deb12u1',
];
const after = [
  'base-files:amd64 12.4+deb12u5',
  'libc6:amd64 2.36-9+deb12u9',
  'libc6:i386 2.36-9+deb12u4',
  'perl-base:amd64 5.36.0-7+deb12u2',
  'zlib1g:amd64 1:1.2.13.dfsg-1',
];

describe('packageChanges', () => {
  it('lists what moved, what came and what went; the arch only where the name alone is ambiguous (multiarch)', () => {
    const changes = packageChanges(before, after);
    expect(changes).toEqual({
      changed: [
        { name: 'libc6:amd64', from: '2.36-9+deb12u4', to: '2.36-9+deb12u9' },
        { name: 'perl-base', from: '5.36.0-7+deb12u1', to: '5.36.0-7+deb12u2' },
      ],
      added: [{ name: 'zlib1g', version: '1:1.2.13.dfsg-1' }],
      removed: [{ name: 'tzdata', version: '2024a-0+deb12u1' }],
    });
    expect(packageChangeLines(changes)).toEqual([
      'libc6:amd64 2.36-9+deb12u4 → 2.36-9+deb12u9',
      'perl-base 5.36.0-7+deb12u1 → 5.36.0-7+deb12u2',
      'added zlib1g 1:1.2.13.dfsg-1',
      'removed tzdata 2024a-0+deb12u1',
    ]);
  });

  it('the note counts them and lists them; the same packages say so; a long list is cut, pointing at the report', () => {
    expect(packagesChangedNote('reg/app:prod', packageChanges(before, after))).toBe(
      [
        'Packages of reg/app:prod, against the build it replaces: 2 changed, 1 added, 1 removed',
        '  libc6:amd64 2.36-9+deb12u4 → 2.36-9+deb12u9',
        '  perl-base 5.36.0-7+deb12u1 → 5.36.0-7+deb12u2',
        '  added zlib1g 1:1.2.13.dfsg-1',
        '  removed tzdata 2024a-0+deb12u1',
      ].join('\n'),
    );
    expect(packagesChangedNote('reg/app:prod', packageChanges(before, before))).toBe('Packages of reg/app:prod: the same as in the build it replaces');
    const many = Array.from({ length: 45 }, (_, i) => `p${i}:amd64 1`);
    const note = packagesChangedNote('r', packageChanges([], many)).split('\n');
    expect(note).toHaveLength(1 + 40 + 1);
    expect(note.at(-1)).toBe('… and 5 more (all in the JSON report)');
  });

  it('control characters in a name or version from an image are shown escaped, never sent to the terminal', () => {
    expect(packageChangeLines(packageChanges([], ['evil\u001b]0;pwned\u0007:amd64 1']))).toEqual(['added evil\\x1b]0;pwned\\x07 1']);
  });
});

describe('the package-list label', () => {
  it('round-trips a manifest, sorted, and fits a Debian image in a small label', () => {
    const lines = Array.from({ length: 120 }, (_, i) => `package-number-${i}:amd64 1.${i}.0-1+deb12u${i % 7}`);
    const encoded = encodePackageList([...lines].reverse());
    expect(decodePackageList(encoded)).toEqual([...lines].sort());
    expect(encoded.length).toBeLessThan(2048);
    expect(decodePackageList(encodePackageList([]))).toEqual([]);
  });

  it('refuses what is not one: not base64 gzip, or lines that are not name:arch version (a label is a peer’s text)', () => {
    expect(decodePackageList('not a list')).toBeUndefined();
    expect(decodePackageList(encodePackageList(['no-arch 1']))).toBeUndefined();
    expect(decodePackageList(encodePackageList(['bell\u0007:amd64 1']))).toBeUndefined();
  });

  it('property: the changes between two manifests account for every package of both', () => {
    const manifest = fc.uniqueArray(fc.tuple(fc.constantFrom('a', 'b', 'c', 'd', 'e', 'f'), fc.constantFrom('amd64', 'i386'), fc.constantFrom('1', '2', '3')), {
      selector: ([name, arch]) => `${name}:${arch}`,
    });
    fc.assert(
      fc.property(manifest, manifest, (x, y) => {
        const lines = (m: typeof x) => m.map(([n, a, v]) => `${n}:${a} ${v}`);
        const changes = packageChanges(lines(x), lines(y));
        const keys = (m: typeof x) => new Set(m.map(([n, a]) => `${n}:${a}`));
        const both = [...keys(x)].filter((k) => keys(y).has(k));
        expect(changes.added.length).toBe(keys(y).size - both.length);
        expect(changes.removed.length).toBe(keys(x).size - both.length);
        expect(changes.changed.length).toBe(both.filter((k) => x.find(([n, a]) => `${n}:${a}` === k)![2] !== y.find(([n, a]) => `${n}:${a}` === k)![2]).length);
      }),
    );
  });
});
