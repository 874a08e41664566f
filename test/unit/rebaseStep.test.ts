// The pure parts of the rebase step: the package files as a stack of layers leaves them (later layers win, whiteouts and
// opaque directories remove), the packages read from them, and the layer table `--diff` shows.
import { describe, expect, it } from 'vitest';
import fc from 'fast-check';
import { basePackages, filesAfter, type ListedLayer } from '../../src/rebase/basePackages.js';
import { layerTable } from '../../src/rebase/layerTable.js';
import type { LayerEntry } from '../../src/rebase/layerEntries.js';

const file = (path: string): LayerEntry => ({ path, kind: 'file', mode: 0o644, owner: '0:0', digest: `sha256:${'0'.repeat(64)}` });
const layer = (entries: LayerEntry[], kept: Record<string, string> = {}): ListedLayer => ({
  entries,
  kept: new Map(Object.entries(kept).map(([path, text]) => [path, Buffer.from(text)])),
});
const STATUS = (name: string, version: string) =>
  `Package: ${name}\nStatus: install ok installed\nArchitecture: amd64\nVersion: ${version}\n\nPackage: gone\nStatus: deinstall ok config-files\nArchitecture: amd64\nVersion: 1\n`;

describe('filesAfter', () => {
  it('keeps the last layer that wrote a file', () => {
    const files = filesAfter([
      layer([file('var/lib/dpkg/status')], { 'var/lib/dpkg/status': 'one' }),
      layer([file('etc/os-release')], { 'etc/os-release': 'ID=debian' }),
      layer([file('var/lib/dpkg/status')], { 'var/lib/dpkg/status': 'two' }),
    ]);
    expect(Object.fromEntries([...files].map(([p, b]) => [p, b.toString()]))).toEqual({ 'var/lib/dpkg/status': 'two', 'etc/os-release': 'ID=debian' });
  });

  it('drops what a whiteout removes, the file or its directory, and what an opaque directory hides below it', () => {
    const base = layer([file('var/lib/dpkg/status'), file('etc/os-release')], { 'var/lib/dpkg/status': 's', 'etc/os-release': 'o' });
    expect([...filesAfter([base, layer([{ path: 'var/lib/dpkg/status', kind: 'whiteout' }])]).keys()]).toEqual(['etc/os-release']);
    expect([...filesAfter([base, layer([{ path: 'var/lib/dpkg', kind: 'whiteout' }])]).keys()]).toEqual(['etc/os-release']);
    expect([...filesAfter([base, layer([{ path: 'etc', kind: 'opaque' }])]).keys()]).toEqual(['var/lib/dpkg/status']);
    // A symlink over the file replaces it: its content is no longer what the path holds.
    expect([
      ...filesAfter([base, layer([{ path: 'etc/os-release', kind: 'symlink', mode: 0o777, owner: '0:0', target: '../usr/lib/os-release' }])]).keys(),
    ]).toEqual(['var/lib/dpkg/status']);
  });

  it('agrees with replaying the layers on a map, for any stack', () => {
    const path = fc.constantFrom('var/lib/dpkg/status', 'etc/os-release', 'lib/apk/db/installed');
    const entry = fc.oneof(
      fc.tuple(path, fc.string({ maxLength: 4 })).map(([p, text]) => ({ entry: file(p), text })),
      path.map((p) => ({ entry: { path: p, kind: 'whiteout' } as LayerEntry, text: undefined })),
    );
    fc.assert(
      fc.property(fc.array(fc.array(entry, { maxLength: 4 }), { maxLength: 5 }), (stack) => {
        const expected = new Map<string, string>();
        const layers = stack.map((entries) => {
          // The lister keeps a path's last content in the layer.
          const kept: Record<string, string> = {};
          for (const { entry: e, text } of entries) if (e.kind === 'file') kept[e.path] = text!;
          for (const { entry: e } of entries) {
            if (e.kind === 'file') expected.set(e.path, kept[e.path]!);
            else expected.delete(e.path);
          }
          return layer(
            entries.map((x) => x.entry),
            kept,
          );
        });
        expect(new Map([...filesAfter(layers)].map(([p, b]) => [p, b.toString()]))).toEqual(expected);
      }),
    );
  });
});

describe('basePackages', () => {
  it("reads dpkg's installed packages and the OS", () => {
    const files = new Map([
      ['var/lib/dpkg/status', Buffer.from(STATUS('zlib1g', '1:1.2.13.dfsg-1+deb12u1'))],
      ['etc/os-release', Buffer.from('ID=debian\nVERSION_ID="12"\nPRETTY_NAME="Debian GNU/Linux 12 (bookworm)"\n')],
    ]);
    expect(basePackages(files, new Set())).toMatchObject({
      database: 'dpkg',
      lines: ['zlib1g:amd64 1:1.2.13.dfsg-1+deb12u1'],
      osId: 'debian',
      osVersion: '12',
      os: 'Debian GNU/Linux 12 (bookworm)',
    });
  });

  it('says rpm without reading it, and nothing for an image without a database', () => {
    expect(basePackages(new Map(), new Set(['var/lib/rpm']))).toEqual({ database: 'rpm' });
    expect(basePackages(new Map(), new Set(['bin/sh']))).toEqual({});
  });
});

describe('layerTable', () => {
  const d = (c: string) => `sha256:${c.repeat(64)}`;
  it('shows the old base going, the new base coming, shared and own layers kept; history text made visible and cut', () => {
    const lines = layerTable({
      ref: 'r/app:prod',
      dateRef: 'r/app:20261207-2100',
      base: 'r/os:prod',
      oldBaseLayers: [
        { digest: d('1'), size: 100 },
        { digest: d('2'), size: 2048 },
      ],
      newBaseLayers: [
        { digest: d('1'), size: 100 },
        { digest: d('3'), size: 4096 },
      ],
      ownLayers: [{ digest: d('a'), size: 10 }],
      ownHistory: [
        { created_by: 'ENV A=1', empty_layer: true },
        { created_by: `/bin/sh -c #(nop) COPY file:${'ab'.repeat(32)} in /app \u001b[31m${'y'.repeat(100)}` },
      ],
    });
    expect(lines.slice(0, 2)).toEqual(['--- r/app:prod (on r/os:prod as built)', '+++ r/app:20261207-2100 (on r/os:prod now)']);
    expect(lines.slice(2).map((l) => l.slice(0, 14))).toEqual(['- 222222222222', '  111111111111', '+ 333333333333', '  aaaaaaaaaaaa']);
    expect(lines.at(-1)).toContain('own: COPY file:abababababab… in /app \\x1b[31m');
    expect(lines.at(-1)!.endsWith('…')).toBe(true);
  });
});
