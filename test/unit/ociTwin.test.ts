import { createHash } from 'node:crypto';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { OciLayout } from '../../src/adapters/ociLayout.js';
import { ociTwin } from '../../src/adapters/ociTwin.js';
import { layoutStore } from '../../src/steps/backup/stores.js';
import {
  ORIGINAL_DIGEST_ANNOTATION,
  REF_NAME_ANNOTATION,
  emptyLayoutIndex,
  layoutRefs,
  mergeLayoutIndex,
  type LayoutRef,
} from '../../src/adapters/ociLayoutIndex.js';

const digestOf = (bytes: Buffer | string): string => `sha256:${createHash('sha256').update(bytes).digest('hex')}`;
const d = (n: number): string => `sha256:${String(n).repeat(64).slice(0, 64)}`;
const DOCKER_MANIFEST = 'application/vnd.docker.distribution.manifest.v2+json';
const OCI_MANIFEST = 'application/vnd.oci.image.manifest.v1+json';
const OCI_INDEX = 'application/vnd.oci.image.index.v1+json';

const dockerManifest = {
  schemaVersion: 2,
  mediaType: DOCKER_MANIFEST,
  config: { mediaType: 'application/vnd.docker.container.image.v1+json', size: 10, digest: d(1) },
  layers: [
    { mediaType: 'application/vnd.docker.image.rootfs.diff.tar.gzip', size: 20, digest: d(2) },
    { mediaType: 'application/vnd.docker.image.rootfs.foreign.diff.tar.gzip', size: 30, digest: d(3), urls: ['https://example.invalid/l'] },
  ],
};

describe('OCI twins of Docker manifests', () => {
  it("renames only the media types: the config's and layers' digests, sizes and other fields stay", () => {
    const twin = ociTwin(dockerManifest, DOCKER_MANIFEST, () => undefined)!;
    const body = JSON.parse(twin.raw.toString('utf8'));
    expect(body).toEqual({
      schemaVersion: 2,
      mediaType: OCI_MANIFEST,
      config: { mediaType: 'application/vnd.oci.image.config.v1+json', size: 10, digest: d(1) },
      layers: [
        { mediaType: 'application/vnd.oci.image.layer.v1.tar+gzip', size: 20, digest: d(2) },
        { mediaType: 'application/vnd.oci.image.layer.nondistributable.v1.tar+gzip', size: 30, digest: d(3), urls: ['https://example.invalid/l'] },
      ],
    });
    expect(twin.descriptor).toEqual({ digest: digestOf(twin.raw), mediaType: OCI_MANIFEST, size: twin.raw.length });
  });

  it('gives an index whose children have twins (an OCI index over a Docker manifest too) their twins, other children kept', () => {
    const child = { mediaType: DOCKER_MANIFEST, digest: d(4), size: 500, platform: { os: 'linux', architecture: 'amd64' } };
    const artifact = { mediaType: OCI_MANIFEST, digest: d(5), size: 300, artifactType: 'application/vnd.cyclonedx+json' };
    const replacement = { digest: d(6), mediaType: OCI_MANIFEST, size: 480 };
    for (const mediaType of [OCI_INDEX, 'application/vnd.docker.distribution.manifest.list.v2+json']) {
      const twin = ociTwin({ schemaVersion: 2, mediaType, manifests: [child, artifact] }, mediaType, (digest) => (digest === d(4) ? replacement : undefined))!;
      expect(JSON.parse(twin.raw.toString('utf8'))).toEqual({
        schemaVersion: 2,
        mediaType: OCI_INDEX,
        manifests: [{ ...child, ...replacement }, artifact],
      });
    }
  });

  it('needs none for what is OCI throughout', () => {
    expect(ociTwin({ ...dockerManifest, mediaType: OCI_MANIFEST }, OCI_MANIFEST, () => undefined)).toBeUndefined();
    expect(ociTwin({ schemaVersion: 2, manifests: [{ digest: d(5) }] }, OCI_INDEX, () => undefined)).toBeUndefined();
  });
});

describe('index.json entries that point at twins', () => {
  const twin = { digest: d(7), mediaType: OCI_MANIFEST, size: 90 };
  const original: LayoutRef = { repository: 'team/api', tag: 'prod', digest: d(8), mediaType: DOCKER_MANIFEST, size: 100, twin };

  it('name the twin and record the original, which is what reading the layout gives back', () => {
    const index = mergeLayoutIndex(emptyLayoutIndex(), [original]);
    expect(index.manifests).toEqual([
      {
        ...twin,
        annotations: { [REF_NAME_ANNOTATION]: 'team/api:prod', [ORIGINAL_DIGEST_ANNOTATION]: d(8), 'org.freshen.original.media-type': DOCKER_MANIFEST },
      },
    ]);
    expect(layoutRefs(index)).toEqual([{ ...original, size: 0 }]);
  });

  it("lose the original's record when the tag is written again without a twin, keeping other tools' annotations", () => {
    const first = mergeLayoutIndex(emptyLayoutIndex(), [original]);
    first.manifests[0]!.annotations!['org.example.note'] = 'kept';
    const again = mergeLayoutIndex(first, [{ repository: 'team/api', tag: 'prod', digest: d(9), mediaType: OCI_MANIFEST, size: 70 }]);
    expect(again.manifests).toEqual([
      { mediaType: OCI_MANIFEST, digest: d(9), size: 70, annotations: { 'org.example.note': 'kept', [REF_NAME_ANNOTATION]: 'team/api:prod' } },
    ]);
  });

  it('ignore an original annotation that is not a sha256 digest (index.json may come from anywhere)', () => {
    const index = mergeLayoutIndex(emptyLayoutIndex(), [original]);
    index.manifests[0]!.annotations![ORIGINAL_DIGEST_ANNOTATION] = '../../etc/passwd';
    expect(layoutRefs(index)).toEqual([{ repository: 'team/api', tag: 'prod', ...twin }]);
  });
});

describe('a layout store', () => {
  it('takes a tag stored in Docker media types without a twin (by an earlier freshen) for not up to date; writing it adds the twin', async () => {
    const dir = await mkdtemp(join(tmpdir(), 't-twin-'));
    try {
      const layout = new OciLayout(join(dir, 'layout'));
      const raw = Buffer.from(JSON.stringify(dockerManifest));
      await layout.writeBlobBytes(digestOf(raw), raw);
      await layout.writeRefs([{ repository: 'team/api', tag: 'prod', digest: digestOf(raw), mediaType: DOCKER_MANIFEST, size: raw.length }]);
      const store = layoutStore(layout);
      expect(await store.tagDigest('team/api', 'prod')).toBeUndefined();
      const node = (await store.manifest('team/api', digestOf(raw), DOCKER_MANIFEST))!;
      await store.putTag('team/api', 'prod', node);
      await store.commit();
      expect(await layoutStore(layout).tagDigest('team/api', 'prod')).toBe(digestOf(raw));
      const [entry] = (await layout.readIndex()).manifests;
      expect(entry).toMatchObject({ mediaType: OCI_MANIFEST, annotations: { [ORIGINAL_DIGEST_ANNOTATION]: digestOf(raw) } });
      expect(JSON.parse((await layout.readBlob(entry!.digest!)).toString('utf8')).mediaType).toBe(OCI_MANIFEST);
    } finally {
      await rm(dir, { recursive: true, force: true });
    }
  });
});
