// The pure half of rebase: where an image's own layers begin, what a layer's tar writes and deletes (read from archives GNU
// tar makes, whole and in pieces), what a new base changed, when moving the own layers onto it is refused and why, and the
// spliced config and manifest.
import { execFileSync } from 'node:child_process';
import { createHash } from 'node:crypto';
import { mkdirSync, mkdtempSync, rmSync, symlinkSync, linkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import fc from 'fast-check';
import { afterAll, describe, expect, it } from 'vitest';
import { LayerLister, listLayer, type LayerEntry } from '../../src/rebase/layerEntries.js';
import { changedPaths, rebaseSafety, refusal, sensitivity, treeOf } from '../../src/rebase/safety.js';
import { findSeam, layerStackOf, type LayerStack } from '../../src/rebase/seam.js';
import { DOCKER_MANIFEST, LABEL_REBASED_FROM, OCI_MANIFEST, inheritedConfig, splicedConfig, splicedManifest } from '../../src/rebase/splice.js';

const id = (c: string) => `sha256:${c.repeat(64)}`;
const layers = (n: number, from = 1): string[] => Array.from({ length: n }, (_, i) => id(((from + i) % 16).toString(16)));
const stack = (diffIds: string[], steps: string[]): LayerStack => ({ diffIds, history: steps.map((created_by) => ({ created_by })) });

describe('findSeam', () => {
  const base = stack(layers(2), ['ADD rootfs', 'RUN apt-get update']);
  it('splits an image built on the base after the base, with its own layers and history', () => {
    const image: LayerStack = {
      diffIds: [...layers(2), id('a'), id('b')],
      history: [...base.history, { created_by: 'ENV A=1', empty_layer: true }, { created_by: 'COPY app /app' }, { created_by: 'COPY etc /etc/app' }],
    };
    expect(findSeam(image, base)).toEqual({ ok: true, baseLayers: 2, ownDiffIds: [id('a'), id('b')], ownHistory: image.history.slice(2) });
  });

  it.each([
    [
      'another base',
      stack([id('1'), id('9'), id('a')], ['ADD rootfs', 'RUN apt-get update', 'COPY app /app']),
      /^layer 2 is 999999999999…, the base's is 222222222222…/,
    ],
    ['fewer layers than the base', stack([id('1')], ['ADD rootfs']), /fewer than the 2 of the base/],
    ['nothing of its own', stack(layers(2), ['ADD rootfs', 'RUN apt-get update']), /adds no layer of its own/],
    ['a history that does not account for its layers', stack([...layers(2), id('a')], ['ADD rootfs']), /history does not account/],
    [
      'another history over the same layers',
      stack([...layers(2), id('a')], ['ADD rootfs', 'RUN apt-get upgrade', 'COPY app /app']),
      /^history entry 2 differs/,
    ],
  ])('refuses %s, saying where', (_name, image, reason) => {
    const seam = findSeam(image, base);
    expect(seam.ok).toBe(false);
    expect(!seam.ok && seam.reason).toMatch(reason);
  });

  it("reads a config's stack, and refuses a config without diff IDs", () => {
    expect(layerStackOf({ rootfs: { type: 'layers', diff_ids: [id('1')] }, history: [{ created_by: 'x' }] })).toEqual({
      diffIds: [id('1')],
      history: [{ created_by: 'x' }],
    });
    expect(layerStackOf({ rootfs: { diff_ids: ['nope'] } })).toBeUndefined();
    expect(layerStackOf({})).toBeUndefined();
  });
});

describe('LayerLister on archives GNU tar makes', () => {
  const dir = mkdtempSync(join(tmpdir(), 'freshen-rebase-'));
  afterAll(() => rmSync(dir, { recursive: true, force: true }));
  const root = join(dir, 'root');
  mkdirSync(join(root, 'app/deep'), { recursive: true });
  writeFileSync(join(root, 'app/main.js'), 'console.log(1)\n');
  writeFileSync(join(root, 'app/.wh.old.js'), '');
  writeFileSync(join(root, 'app/deep/.wh..wh..opq'), '');
  const long = `${'d'.repeat(60)}/${'f'.repeat(80)}.txt`;
  mkdirSync(join(root, 'app', 'd'.repeat(60)));
  writeFileSync(join(root, 'app', long), 'long\n');
  symlinkSync('main.js', join(root, 'app/link.js'));
  writeFileSync(join(root, 'app/data.txt'), 'data\n');
  linkSync(join(root, 'app/data.txt'), join(root, 'app/zz-link.txt'));
  // ustar cannot hold the long name: its archive leaves that directory out (not deleted, so the order of the cases does not matter).
  const archive = (format: string): Buffer =>
    execFileSync('tar', [
      '-c',
      `--format=${format}`,
      '--sort=name',
      '--owner=0',
      '--group=0',
      ...(format === 'ustar' ? [`--exclude=app/${'d'.repeat(60)}`] : []),
      '-C',
      root,
      'app',
    ]);

  it.each(['gnu', 'pax', 'ustar'])('%s: files with their content digest, a symlink, a hard link, a long name, a whiteout and an opaque directory', (format) => {
    const entries = listLayer(archive(format));
    const byPath = new Map(entries.map((e) => [e.path, e]));
    expect(byPath.get('app/main.js')).toEqual({
      path: 'app/main.js',
      kind: 'file',
      mode: expect.any(Number),
      owner: '0:0',
      digest: `sha256:${createHash('sha256').update('console.log(1)\n').digest('hex')}`,
    });
    expect(byPath.get('app/link.js')).toMatchObject({ kind: 'symlink', target: 'main.js' });
    expect(byPath.get('app/zz-link.txt')).toMatchObject({ kind: 'hardlink', target: 'app/data.txt' });
    expect(byPath.get('app/old.js')).toEqual({ path: 'app/old.js', kind: 'whiteout' });
    expect(byPath.get('app/deep')).toEqual(expect.objectContaining({ kind: expect.stringMatching(/^(dir|opaque)$/) }));
    expect(entries).toContainEqual({ path: 'app/deep', kind: 'opaque' });
    if (format !== 'ustar') expect(byPath.get(`app/${long}`)).toMatchObject({ kind: 'file' });
  });

  it('reads the same entries however the bytes are cut', () => {
    const whole = archive('pax');
    const expected = listLayer(whole);
    fc.assert(
      fc.property(fc.array(fc.integer({ min: 1, max: 1500 }), { minLength: 1, maxLength: 40 }), (sizes) => {
        const lister = new LayerLister();
        let at = 0;
        for (const size of sizes) {
          lister.push(whole.subarray(at, at + size));
          at += size;
        }
        lister.push(whole.subarray(at));
        expect(lister.end()).toEqual(expected);
      }),
      { numRuns: 50 },
    );
  });

  it('an archive cut inside an entry is an error, not a shorter list', () => {
    const lister = new LayerLister();
    const whole = archive('pax');
    lister.push(whole.subarray(0, whole.indexOf('console.log') + 3));
    expect(() => lister.end()).toThrow(/ended inside an entry/);
  });
});

const file = (path: string, digest = 'x'): LayerEntry => ({ path, kind: 'file', mode: 0o644, owner: '0:0', digest });
const dir = (path: string, mode = 0o755): LayerEntry => ({ path, kind: 'dir', mode, owner: '0:0' });

describe('treeOf and changedPaths', () => {
  it('applies layers bottom first: later files win, whiteouts remove a path and all below it, an opaque directory hides the layers below', () => {
    const tree = treeOf([
      [dir('etc'), file('etc/a'), file('etc/b'), dir('srv'), file('srv/x'), file('srv/y')],
      [file('etc/a', 'new'), { path: 'etc/b', kind: 'whiteout' }, { path: 'srv', kind: 'opaque' }, file('srv/z')],
    ]);
    expect([...tree.keys()].sort()).toEqual(['etc', 'etc/a', 'srv', 'srv/z']);
    expect(tree.get('etc/a')).toContain('new');
  });

  it('names what was added, removed and changed; a directory listed again with the same mode and owner is no change', () => {
    const before = treeOf([[dir('usr'), file('usr/bin/a'), file('usr/bin/b'), dir('tmp', 0o1777)]]);
    const after = treeOf([[dir('usr'), file('usr/bin/a', 'patched'), file('usr/bin/c'), dir('tmp', 0o755)]]);
    expect([...changedPaths(before, after)].sort()).toEqual(['tmp', 'usr/bin/a', 'usr/bin/b', 'usr/bin/c']);
  });
});

describe('rebaseSafety', () => {
  const changed = new Set(['usr/bin/openssl', 'usr/lib/x86_64-linux-gnu/libssl.so.3', 'etc/ssl']);
  it('an app whose layers only add its own files is safe', () => {
    expect(rebaseSafety([[dir('usr'), dir('app'), file('app/server.js')], [file('etc/app.conf')]], changed)).toEqual({ ok: true });
  });

  it('refuses an own layer that writes or deletes what the base changed, or hard-links to it, naming the paths', () => {
    const safety = rebaseSafety(
      [
        [file('usr/bin/openssl')],
        [{ path: 'etc', kind: 'whiteout' }],
        [{ path: 'app/ssl', kind: 'hardlink', mode: 0o644, owner: '0:0', target: 'usr/bin/openssl' }],
      ],
      changed,
    );
    expect(safety).toEqual({ ok: false, conflicts: ['etc/ssl', 'usr/bin/openssl'], sensitive: [] });
    expect(refusal(safety as Extract<typeof safety, { ok: false }>)).toBe(
      'its own layers write or delete paths the new base changed: /etc/ssl, /usr/bin/openssl; rebuild or patch it instead',
    );
  });

  it("refuses an app layer that ran apt-get install: it wrote the package database, even where the base's did not change", () => {
    const safety = rebaseSafety(
      [[dir('var/lib/dpkg'), file('var/lib/dpkg/status'), file('usr/lib/x86_64-linux-gnu/libcurl.so.4'), file('usr/bin/curl')]],
      new Set(),
    );
    expect(safety).toEqual({
      ok: false,
      conflicts: [],
      sensitive: [
        { path: 'usr/lib/x86_64-linux-gnu/libcurl.so.4', why: 'a shared library directory' },
        { path: 'var/lib/dpkg/status', why: 'the package database' },
      ],
    });
    expect(refusal(safety as Extract<typeof safety, { ok: false }>)).toContain('/var/lib/dpkg/status');
  });

  it('knows package databases and library directories, and not an app tree below usr/lib', () => {
    expect(sensitivity('var/lib/rpm/Packages')).toBe('the package database');
    expect(sensitivity('lib/apk/db/installed')).toBe('the package database');
    expect(sensitivity('etc/ld.so.cache')).toBe("the dynamic linker's configuration");
    expect(sensitivity('lib64/ld-linux-x86-64.so.2')).toBe('a shared library directory');
    expect(sensitivity('usr/lib/node_modules/app/index.js')).toBeUndefined();
    expect(sensitivity('app/lib/x.so')).toBeUndefined();
  });

  it('a property: an own layer that touches none of the changed paths (nor anything sensitive) is safe, and adding one changed path makes it unsafe', () => {
    const name = fc.stringMatching(/^[a-z]{1,6}$/);
    fc.assert(
      fc.property(fc.uniqueArray(name, { minLength: 2, maxLength: 12 }), fc.nat(), (names, pick) => {
        const baseChanged = new Set(names.filter((_, i) => i % 2 === 0).map((n) => `srv/${n}`));
        const own = names.filter((_, i) => i % 2 === 1).map((n) => file(`srv/${n}`));
        expect(rebaseSafety([own], baseChanged)).toEqual({ ok: true });
        const hit = [...baseChanged][pick % baseChanged.size]!;
        expect(rebaseSafety([[...own, file(hit)]], baseChanged)).toMatchObject({ ok: false, conflicts: [hit] });
      }),
    );
  });
});

describe('splice', () => {
  it('inherited values follow the new base; values the image set stay; env and labels by name', () => {
    const oldBase = { Env: ['PATH=/usr/bin', 'OPENSSL_VERSION=3.0.11', 'GONE=1'], Cmd: ['bash'], Labels: { vendor: 'debian', version: '12.1' } };
    const newBase = {
      Env: ['PATH=/usr/bin', 'OPENSSL_VERSION=3.0.13', 'NEW=1'],
      Cmd: ['bash'],
      StopSignal: 'SIGTERM',
      Labels: { vendor: 'debian', version: '12.5' },
    };
    const image = {
      Env: ['PATH=/usr/bin', 'OPENSSL_VERSION=3.0.11', 'GONE=1', 'APP=1'],
      Cmd: ['node', 'server.js'],
      User: 'app',
      Labels: { vendor: 'debian', version: '12.1', app: 'x' },
    };
    const { config, followed } = inheritedConfig(image, oldBase, newBase);
    expect(config).toEqual({
      Env: ['PATH=/usr/bin', 'OPENSSL_VERSION=3.0.13', 'APP=1', 'NEW=1'],
      Cmd: ['node', 'server.js'],
      User: 'app',
      StopSignal: 'SIGTERM',
      Labels: { vendor: 'debian', version: '12.5', app: 'x' },
    });
    expect(followed.sort()).toEqual(['Env GONE', 'Env NEW', 'Env OPENSSL_VERSION', 'StopSignal', 'label version'].sort());
  });

  const seam = { ok: true as const, baseLayers: 1, ownDiffIds: [id('a')], ownHistory: [{ created_by: 'COPY app /app' }] };
  it('the config: the new base rootfs and history under the own, the image config kept, provenance labels added', () => {
    const image = {
      architecture: 'amd64',
      os: 'linux',
      config: { Cmd: ['app'] },
      rootfs: { type: 'layers', diff_ids: [id('1'), id('a')] },
      history: [{ created_by: 'ADD rootfs' }, ...seam.ownHistory],
    };
    const newBase = {
      config: { Cmd: ['sh'] },
      rootfs: { type: 'layers', diff_ids: [id('2'), id('3')] },
      history: [{ created_by: 'ADD rootfs 2' }, { created_by: 'RUN fix' }],
    };
    const { config } = splicedConfig({
      image,
      seam,
      oldBase: { config: { Cmd: ['sh'] } },
      newBase,
      newBaseDigest: id('d'),
      newBaseName: 'reg/os:prod',
      oldBaseId: id('0'),
      created: new Date('2026-12-07T00:00:00Z'),
    });
    expect(config).toMatchObject({
      architecture: 'amd64',
      created: '2026-12-07T00:00:00.000Z',
      rootfs: { type: 'layers', diff_ids: [id('2'), id('3'), id('a')] },
      history: [{ created_by: 'ADD rootfs 2' }, { created_by: 'RUN fix' }, { created_by: 'COPY app /app' }],
      config: { Cmd: ['app'], Labels: { [LABEL_REBASED_FROM]: id('0'), 'org.opencontainers.image.base.digest': id('d') } },
    });
  });

  it("the manifest: the new base's layers in the image's manifest family, then the image's own, the same blobs", () => {
    const own = { mediaType: 'application/vnd.docker.image.rootfs.diff.tar.gzip', digest: id('e'), size: 10 };
    const imageManifest = { schemaVersion: 2, mediaType: DOCKER_MANIFEST, config: {}, layers: [{ ...own, digest: id('b') }, own] };
    const cfg = { mediaType: 'application/vnd.docker.container.image.v1+json', digest: id('c'), size: 99 };
    const result = splicedManifest(imageManifest, cfg, [{ mediaType: 'application/vnd.oci.image.layer.v1.tar+gzip', digest: id('f'), size: 5 }], 1);
    expect(result).toEqual({
      ok: true,
      manifest: {
        schemaVersion: 2,
        mediaType: DOCKER_MANIFEST,
        config: cfg,
        layers: [{ mediaType: 'application/vnd.docker.image.rootfs.diff.tar.gzip', digest: id('f'), size: 5 }, own],
      },
    });
    const zstd = splicedManifest(imageManifest, cfg, [{ mediaType: 'application/vnd.oci.image.layer.v1.tar+zstd', digest: id('f'), size: 5 }], 1);
    expect(zstd).toEqual({ ok: false, reason: expect.stringContaining('tar+zstd') });
    expect(splicedManifest({ ...imageManifest, mediaType: OCI_MANIFEST }, cfg, [], 1)).toMatchObject({ ok: true });
  });
});
