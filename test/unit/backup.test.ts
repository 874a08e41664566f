import { createHash } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import { chunksOf, contentRange, uploadStartPath, uploadUrl } from '../../src/adapters/registryBlobs.js';
import { parseBackupOptions } from '../../src/steps/backup/backupOptions.js';
import { globMatcher } from '../../src/shared/glob.js';
import { changedTags, manifestReferences, neededManifests, planCopy, type ManifestNode } from '../../src/steps/backup/planCopy.js';
import { tagSentence, totalsSentence } from '../../src/steps/backup/backupSentences.js';

const d = (c: string): string => `sha256:${c.repeat(64)}`;
const raw = (s: string): Buffer => Buffer.from(s);
const CONFIG = d('c');
const LAYER1 = d('1');
const LAYER2 = d('2');
const AMD = d('a');
const ARM = d('b');
const INDEX = d('f');

/** An image manifest with a config and layers, or an index with children. */
const image = (digest: string, blobs: Array<[string, number]>, bytes = 50): ManifestNode => ({
  digest,
  mediaType: 'application/vnd.oci.image.manifest.v1+json',
  raw: raw('m'.repeat(bytes)),
  children: [],
  blobs: blobs.map(([blob, size]) => ({ digest: blob, size })),
});
const index = (digest: string, children: string[]): ManifestNode => ({
  digest,
  mediaType: 'application/vnd.oci.image.index.v1+json',
  raw: raw('i'.repeat(30)),
  children: children.map((child) => ({ digest: child, size: 50 })),
  blobs: [],
});
const manifests = new Map<string, ManifestNode>([
  [
    AMD,
    image(AMD, [
      [CONFIG, 100],
      [LAYER1, 1000],
    ]),
  ],
  [
    ARM,
    image(ARM, [
      [CONFIG, 100],
      [LAYER2, 2000],
    ]),
  ],
  [INDEX, index(INDEX, [AMD, ARM])],
]);

describe('manifestReferences', () => {
  it('lists config and layers of an image, skipping foreign layers', () => {
    const body = {
      config: { mediaType: 'application/vnd.oci.image.config.v1+json', digest: CONFIG, size: 100 },
      layers: [
        { mediaType: 'application/vnd.oci.image.layer.v1.tar+gzip', digest: LAYER1, size: 1000 },
        { mediaType: 'application/vnd.docker.image.rootfs.foreign.diff.tar.gzip', digest: LAYER2, size: 9 },
      ],
    };
    expect(manifestReferences(body)).toEqual({
      children: [],
      blobs: [
        { digest: CONFIG, size: 100 },
        { digest: LAYER1, size: 1000 },
      ],
    });
  });

  it('lists the children of an index with their media types', () => {
    const body = {
      manifests: [
        { mediaType: 'application/vnd.oci.image.manifest.v1+json', digest: AMD, size: 50 },
        { digest: ARM, size: 51 },
      ],
    };
    expect(manifestReferences(body)).toEqual({
      children: [
        { digest: AMD, size: 50, mediaType: 'application/vnd.oci.image.manifest.v1+json' },
        { digest: ARM, size: 51 },
      ],
      blobs: [],
    });
  });
});

describe('the copy plan', () => {
  const tags = [
    { repository: 'app', tag: 'prod', digest: INDEX },
    { repository: 'app', tag: '20260101-0300', digest: AMD },
    { repository: 'other', tag: 'prod', digest: AMD },
  ];

  it('finds the tags whose destination digest differs', () => {
    const dest = new Map([
      ['app:prod', AMD],
      ['app:20260101-0300', AMD],
    ]);
    expect(changedTags(tags, dest)).toEqual([
      { repository: 'app', tag: 'prod', digest: INDEX, previous: AMD },
      { repository: 'other', tag: 'prod', digest: AMD },
    ]);
  });

  it('orders an index after its children, each manifest once per repository', () => {
    expect(neededManifests(tags, manifests)).toEqual([
      { repository: 'app', digest: AMD },
      { repository: 'app', digest: ARM },
      { repository: 'app', digest: INDEX },
      { repository: 'other', digest: AMD },
    ]);
  });

  it('copies everything into an empty layout, each blob once (one blob store)', () => {
    const plan = planCopy({ tags, destTags: new Map(), manifests, presentManifests: new Set(), presentBlobs: new Set(), sharedBlobs: true });
    expect(plan).toEqual({
      tags,
      upToDate: 0,
      manifests: [
        { repository: 'app', digest: AMD },
        { repository: 'app', digest: ARM },
        { repository: 'app', digest: INDEX },
        { repository: 'other', digest: AMD },
      ],
      blobs: [
        { repository: 'app', digest: CONFIG, size: 100 },
        { repository: 'app', digest: LAYER1, size: 1000 },
        { repository: 'app', digest: LAYER2, size: 2000 },
      ],
      bytes: 50 + 50 + 30 + 50 + 3100,
    });
  });

  it('mounts into a second repository of a registry what an earlier upload or the destination already holds', () => {
    const presentBlobs = new Set([`base@${LAYER2}`]);
    const plan = planCopy({ tags, destTags: new Map(), manifests, presentManifests: new Set(), presentBlobs, sharedBlobs: false });
    expect(plan.blobs).toEqual([
      { repository: 'app', digest: CONFIG, size: 100 },
      { repository: 'app', digest: LAYER1, size: 1000 },
      { repository: 'app', digest: LAYER2, size: 2000, mountFrom: 'base' },
      { repository: 'other', digest: CONFIG, size: 100, mountFrom: 'app' },
      { repository: 'other', digest: LAYER1, size: 1000, mountFrom: 'app' },
    ]);
    expect(plan.bytes).toBe(180 + 1100);
  });

  it('copies only the missing blobs of missing manifests', () => {
    const presentManifests = new Set([`app@${AMD}`]);
    const presentBlobs = new Set([CONFIG]);
    const plan = planCopy({ tags: tags.slice(0, 1), destTags: new Map(), manifests, presentManifests, presentBlobs, sharedBlobs: true });
    expect(plan.manifests).toEqual([
      { repository: 'app', digest: ARM },
      { repository: 'app', digest: INDEX },
    ]);
    expect(plan.blobs).toEqual([{ repository: 'app', digest: LAYER2, size: 2000 }]);
  });

  it('copies nothing when every tag is there already', () => {
    const destTags = new Map(tags.map((t) => [`${t.repository}:${t.tag}`, t.digest]));
    expect(planCopy({ tags, destTags, manifests, presentManifests: new Set(), presentBlobs: new Set(), sharedBlobs: true })).toEqual({
      tags: [],
      upToDate: 3,
      manifests: [],
      blobs: [],
      bytes: 0,
    });
  });
});

describe('sentences', () => {
  it('name both ends, the digest and what the tag was', () => {
    expect(tagSentence('127.0.0.1:5055', 'oci-layout:/b', { repository: 'app', tag: 'prod', digest: AMD, previous: ARM }, false)).toBe(
      `Copy app:prod@${AMD} from 127.0.0.1:5055 to oci-layout:/b (was ${ARM})`,
    );
    const plan = {
      manifests: [{ repository: 'a', digest: AMD }],
      blobs: [
        { repository: 'a', digest: LAYER1, size: 2048 },
        { repository: 'b', digest: LAYER1, size: 2048, mountFrom: 'a' },
      ],
      bytes: 2098,
    };
    expect(totalsSentence('x:1', 'y:2', plan, false)).toBe('Copy 1 manifest and 1 blob (2.0 KiB), mount 1 blob from x:1 to y:2');
    expect(totalsSentence('x:1', 'y:2', plan, true)).toBe('Copied 1 manifest and 1 blob (2.0 KiB), mounted 1 blob from x:1 to y:2');
  });
});

/** What the parser reads besides the options, with the files it may read (none unless given). */
const reading = (baseDir: string, env: NodeJS.ProcessEnv = {}, files: Record<string, string> = {}) => ({
  baseDir,
  env,
  readText: (path: string): string => {
    if (path in files) return files[path]!;
    throw Object.assign(new Error(`ENOENT: ${path}`), { code: 'ENOENT' });
  },
});

describe('options', () => {
  it('resolves an OCI layout against the playbook directory', () => {
    expect(parseBackupOptions({ to: { oci_layout: '../backups' }, repositories: ['t-*'] }, reading('/srv/playbooks'))).toEqual({
      direction: 'to',
      other: { kind: 'oci_layout', dir: '/srv/backups' },
      repositories: ['t-*'],
      tags: undefined,
      chunkSize: undefined,
    });
  });

  it('reads a mirror password from the environment', () => {
    const options = parseBackupOptions(
      { from: { registry: 'mirror:5000', auth: { username: 'u', password_env: 'MIRROR_PW' } } },
      reading('/p', { MIRROR_PW: 'pw' }),
    );
    expect(options.other).toEqual({
      kind: 'registry',
      settings: { name: 'mirror:5000', url: 'https://mirror:5000', auth: { username: 'u', password: 'pw' }, ca: undefined },
    });
  });

  it('reads a password file relative to the playbook, through the files port, and names one it cannot read without its content', () => {
    const auth = (file: string) => ({ to: { registry: '127.0.0.1:5999', auth: { username: 'u', password_file: file } } });
    const options = parseBackupOptions(auth('pw'), reading('/srv/p', {}, { '/srv/p/pw': 'secret\n' }));
    expect(options.other).toEqual({
      kind: 'registry',
      settings: { name: '127.0.0.1:5999', url: 'http://127.0.0.1:5999', auth: { username: 'u', password: 'secret' }, ca: undefined },
    });
    expect(() => parseBackupOptions(auth('../missing'), reading('/srv/p'))).toThrow('could not read the password file /srv/missing: ENOENT');
  });

  it.each([
    [{}, 'backup: give exactly one of to'],
    [{ to: { oci_layout: 'a' }, from: { oci_layout: 'b' } }, 'backup: give exactly one of to'],
    [{ to: { registry: 'a:1', oci_layout: 'b' } }, 'backup: to must have exactly one of registry or oci_layout'],
    [{ to: { registry: 'a:1', auth: { username: 'u', password_env: 'T_BACKUP_UNSET' } } }, 'backup: the environment variable T_BACKUP_UNSET'],
    [{ to: { oci_layout: 'a' }, chunk_size: 0 }, 'backup: chunk_size must be a whole number of bytes ≥ 1, not 0'],
  ])('refuses %o', (options, message) => {
    expect(() => parseBackupOptions(options, reading('/p'))).toThrow(message);
  });

  it('matches globs over whole names, slashes included', () => {
    const match = globMatcher(['t-backup/*', 'base/os?']);
    expect(['t-backup/a', 't-backup/a/b', 'base/os1', 'base/os', 'x/t-backup/a', 'base.os1'].filter(match)).toEqual(['t-backup/a', 't-backup/a/b', 'base/os1']);
    expect(globMatcher(undefined)('anything')).toBe(true);
  });
});

describe('upload requests', () => {
  it('builds the upload and mount paths and the session URL', () => {
    expect(uploadStartPath('team/api')).toBe('/v2/team/api/blobs/uploads/');
    expect(uploadStartPath('team/api', { digest: LAYER1, from: 'base/os' })).toBe(
      `/v2/team/api/blobs/uploads/?mount=sha256%3A${'1'.repeat(64)}&from=base%2Fos`,
    );
    expect(uploadUrl('/v2/a/blobs/uploads/u1?_state=s', 'http://r:5000', LAYER1)).toBe(
      `http://r:5000/v2/a/blobs/uploads/u1?_state=s&digest=sha256%3A${'1'.repeat(64)}`,
    );
    expect(uploadUrl('https://elsewhere/up/u1', 'http://r:5000')).toBe('https://elsewhere/up/u1');
    expect(() => uploadUrl(undefined, 'http://r:5000')).toThrow('without a Location header');
    expect(contentRange(0, 1024)).toBe('0-1023');
    expect(contentRange(1024, 10)).toBe('1024-1033');
  });

  it('re-cuts a stream into fixed-size chunks', async () => {
    async function* pieces() {
      yield raw('abc');
      yield raw('defgh');
      yield raw('i');
    }
    const out: string[] = [];
    for await (const chunk of chunksOf(pieces(), 4)) out.push(chunk.toString());
    expect(out).toEqual(['abcd', 'efgh', 'i']);
    expect(createHash('sha256').update(out.join('')).digest('hex')).toBe(createHash('sha256').update('abcdefghi').digest('hex'));
  });
});
