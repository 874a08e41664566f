import { describe, expect, it } from 'vitest';
import { gzipSync } from 'node:zlib';
import { artifactManifest, indexDescriptors, referrerTagSubject, referrersIndex, referrersTag } from '../../src/adapters/referrerFormats.js';
import { stageRecordSuffix } from '../../src/stages/stageRecord.js';
import { attachArtifact, findReferrers, readNewestArtifact } from '../../src/adapters/referrers.js';
import { datestampFormat } from '../../src/images/datestamp.js';
import { APT_UPDATE } from '../../src/images/packages.js';
import {
  LABEL_PATCH_UPSTREAM,
  configBesidesLabels,
  patchLabels,
  patchVerdict,
  patchedConfig,
  readPatchChanges,
  upgradeScript,
  type PatchFacts,
} from '../../src/images/patch.js';
import { planRetention } from '../../src/steps/gc/retention.js';
import { patchOptions } from '../../src/steps/patch/patchOptions.js';
import { FakeRegistry } from '../support/fakes.js';

const d = (n: number): string => `sha256:${String(n).padStart(64, '0')}`;
const ORIGINAL = Buffer.from(
  '{"architecture":"amd64","config":{"User":"101","Env":["PATH=/usr/bin"],"Entrypoint":["/docker-entrypoint.sh"],"Cmd":["nginx","-g","daemon off;"],"StopSignal":"SIGQUIT","Healthcheck":{"Test":["CMD","true"]},"Labels":{"maintainer":"NGINX"}},"created":"2026-10-01T00:00:00Z","history":[{"created":"2026-10-01T00:00:00Z","created_by":"ADD rootfs"}],"os":"linux","rootfs":{"type":"layers","diff_ids":["sha256:aa"]}}',
);

describe('patchedConfig', () => {
  const created = new Date('2026-12-01T03:00:00Z');
  const out = JSON.parse(
    patchedConfig(ORIGINAL, { layerDiffId: 'sha256:bb', created, labels: { 'org.x': '1' }, createdBy: 'freshen patch: dpkg upgrade' }).toString(),
  );
  const orig = JSON.parse(ORIGINAL.toString());

  it('keeps every config field and its order, adding labels over the original’s', () => {
    expect(JSON.stringify(configBesidesLabels(out))).toBe(JSON.stringify(configBesidesLabels(orig)));
    expect(Object.keys(out.config)).toEqual(Object.keys(orig.config));
    expect(out.config.Labels).toEqual({ maintainer: 'NGINX', 'org.x': '1' });
  });

  it('appends one diff ID and one history entry, and dates the image', () => {
    expect(out.rootfs).toEqual({ type: 'layers', diff_ids: ['sha256:aa', 'sha256:bb'] });
    expect(out.history).toEqual([
      ...orig.history,
      { created: created.toISOString(), created_by: 'freshen patch: dpkg upgrade', comment: 'freshen patch: one layer on the original' },
    ]);
    expect(out.created).toBe(created.toISOString());
    expect(out.os).toBe('linux');
  });

  it('adds Labels to a config without any', () => {
    const bare = Buffer.from('{"config":{"Cmd":["bash"],"Labels":null},"rootfs":{"type":"layers","diff_ids":[]}}');
    const config = JSON.parse(patchedConfig(bare, { layerDiffId: 'sha256:cc', created, labels: { a: 'b' }, createdBy: 'x' }).toString());
    expect(config.config).toEqual({ Cmd: ['bash'], Labels: { a: 'b' } });
  });
});

describe('patch labels', () => {
  it('record the upstream and the changes, readable again; a label that is not one is ignored', () => {
    const changes = { changed: [{ name: 'perl-base', from: '1', to: '2' }], added: [], removed: [] };
    const labels = patchLabels({ upstreamRef: 'r/x:1', upstreamId: d(1), upstreamDigest: d(2), created: new Date(0), changes });
    expect(labels[LABEL_PATCH_UPSTREAM]).toBe(d(1));
    expect(labels['org.opencontainers.image.base.digest']).toBe(d(2));
    expect(readPatchChanges(labels['org.freshen.patch.changes'])).toEqual(changes);
    expect(readPatchChanges('not base64 gzip')).toBeUndefined();
    expect(readPatchChanges(gzipSync('{"changed":1}').toString('base64'))).toBeUndefined();
  });
});

describe('patchVerdict', () => {
  const now = new Date('2026-12-01T00:00:00Z');
  const base = { ref: 'reg/vendor/x:prod', upstreamRef: 'up/x:1', upstreamId: d(1), now };
  it.each<{ name: string; facts: Partial<PatchFacts>; reasons: string[] }>([
    { name: 'unpublished', facts: {}, reasons: ['unpublished'] },
    { name: 'not made by patch', facts: { prodLabels: {} }, reasons: ['not-a-patch'] },
    { name: 'fresh', facts: { prodLabels: { [LABEL_PATCH_UPSTREAM]: d(1) } }, reasons: [] },
    { name: 'upstream changed', facts: { prodLabels: { [LABEL_PATCH_UPSTREAM]: d(9) } }, reasons: ['upstream-changed'] },
    {
      name: 'pending updates and too old',
      facts: {
        prodLabels: { [LABEL_PATCH_UPSTREAM]: d(1) },
        packages: { ok: true as const, manager: 'apt', outdated: [{ name: 'perl-base' }] },
        created: '2026-10-01T00:00:00Z',
        maxAgeMs: 30 * 86_400_000,
      },
      reasons: ['packages-outdated', 'max-age'],
    },
  ])('$name', ({ facts, reasons }) => {
    const verdict = patchVerdict({ ...base, ...facts });
    expect(verdict.reasons).toEqual(reasons);
    expect(verdict.stale).toBe(reasons.length > 0);
    expect(verdict.explanations).toHaveLength(reasons.length);
  });

  it('says why the packages could not be checked, and decides nothing on it', () => {
    const verdict = patchVerdict({ ...base, prodLabels: { [LABEL_PATCH_UPSTREAM]: d(1) }, packages: { ok: false, problem: 'no network' } });
    expect(verdict).toEqual({ stale: false, reasons: [], explanations: [], notes: ['packages cannot be checked: no network'] });
  });
});

describe('upgradeScript', () => {
  it('upgrades, then removes the index so the layer holds packages only', () => {
    expect(upgradeScript('dpkg', false).split('\n')).toEqual([
      'set -e',
      'export LC_ALL=C DEBIAN_FRONTEND=noninteractive',
      ...APT_UPDATE,
      'apt-get -y -q -o Dpkg::Options::=--force-confold upgrade',
      'apt-get clean',
      'rm -rf /var/lib/apt/lists/* /var/cache/debconf/*-old /var/lib/dpkg/*-old',
    ]);
    expect(upgradeScript('dpkg', true)).toMatch(/awk '\/\^Inst \/ && \/-security\/ \{print \$2\}'.+install --only-upgrade \$pkgs/);
    expect(upgradeScript('rpm', true)).toContain('$pm -y -q upgrade --security');
    expect(upgradeScript('apk', false)).toBe('set -e\napk upgrade --no-cache -q');
  });
});

describe('patchOptions', () => {
  const vars = { registry: 'reg:5000' };
  it('applies defaults', () => {
    expect(patchOptions({ images: [{ from: 'up:5000/x:1', to: 'vendor/x' }] }, vars)).toMatchObject({
      tag: 'prod',
      network: 'host',
      securityOnly: false,
      timeoutMs: 1_800_000,
      skipIdentical: true,
      probe: { network: 'host', refresh: true },
    });
    expect(patchOptions({ images: [{ from: 'up:5000/x:1', to: 'vendor/x' }], probe: false }, vars).probe).toBeUndefined();
  });

  it.each([
    { options: {}, path: ['images'], message: /needs "images"/ },
    { options: { images: [{ from: 'x:1' }] }, path: ['images', '0', 'to'], message: /needs "to"/ },
    { options: { images: [{ from: 'x:1', to: 'Vendor/X' }] }, path: ['images', '0', 'to'], message: /lowercase/ },
    { options: { images: [{ from: 'reg:5000/vendor/x:1', to: 'vendor/x' }] }, path: ['images', '0', 'to'], message: /same repository/ },
    {
      options: {
        images: [
          { from: 'a:1', to: 'v/x' },
          { from: 'b:1', to: 'v/x' },
        ],
      },
      path: ['images', '1', 'to'],
      message: /twice/,
    },
    { options: { images: [{ from: 'a:1', to: 'v/x' }], network: 'bridge' }, path: ['network'], message: /"host" or "none"/ },
    { options: { images: [{ from: 'a:1', to: 'v/x' }], timeout: 'soon' }, path: ['timeout'], message: /not a duration/ },
  ])('refuses $options at $path', ({ options, path, message }) => {
    expect(() => patchOptions(options, vars)).toThrow(message);
    try {
      patchOptions(options, vars);
    } catch (error) {
      expect((error as { path: string[] }).path).toEqual(path);
    }
  });
});

describe('referrers', () => {
  const subject = { mediaType: 'application/vnd.oci.image.manifest.v1+json', digest: d(7), size: 10 };

  it('names fallback tags after their subject, and knows an artifact’s own tag', () => {
    expect(referrersTag(d(7))).toBe(`sha256-${'0'.repeat(63)}7`);
    expect(referrerTagSubject(`${referrersTag(d(7))}.sbom`)).toBe(d(7));
    expect(referrerTagSubject(referrersTag(d(7)))).toBe(d(7));
    expect(referrerTagSubject('20261201-0300')).toBeUndefined();
    expect(referrerTagSubject('sha256-short')).toBeUndefined();
  });

  it('builds the artifact manifest and the fallback index, keeping other referrers and each once', () => {
    const manifest = JSON.parse(
      artifactManifest('application/vnd.cyclonedx+json', { mediaType: 'application/vnd.cyclonedx+json', digest: d(1), size: 5 }, subject, {}).toString(),
    );
    expect(manifest).toMatchObject({
      artifactType: 'application/vnd.cyclonedx+json',
      subject,
      config: { mediaType: 'application/vnd.oci.empty.v1+json', size: 2 },
    });
    const other = { mediaType: 'application/vnd.oci.image.manifest.v1+json', digest: d(2), size: 3, artifactType: 'application/spdx+json' };
    const mine = { mediaType: 'application/vnd.oci.image.manifest.v1+json', digest: d(3), size: 4 };
    const index = JSON.parse(referrersIndex([other, mine], mine).toString());
    expect(index.manifests).toEqual([other, mine]);
    expect(indexDescriptors({ manifests: [null, { digest: 1 }, other, 'x'] })).toEqual([other]);
  });

  it('uses the referrers API where the registry has it (no fallback tag), and the tag where it does not', async () => {
    const withApi = new (class extends FakeRegistry {
      override async referrers(): Promise<Array<Record<string, unknown>>> {
        return [];
      }
    })();
    const without = new FakeRegistry();
    for (const registry of [withApi, without]) {
      const image = registry.publish('v/x', 'prod', d(5));
      const attached = await attachArtifact(registry, 'v/x', image, {
        artifactType: 'application/vnd.cyclonedx+json',
        content: Buffer.from('{"bomFormat":"CycloneDX"}'),
        created: new Date(0),
        tagSuffix: 'sbom',
        title: 'sbom.cdx.json',
      });
      const tags = await registry.tags('v/x');
      expect(tags).toContain(`${referrersTag(image)}.sbom`);
      if (registry === withApi) {
        expect(attached.via).toBe('referrers API');
        expect(tags).not.toContain(referrersTag(image));
      } else {
        expect(attached.via).toBe('referrers tag');
        expect(tags).toContain(referrersTag(image));
        expect((await findReferrers(registry, 'v/x', image)).referrers.map((r) => r.digest)).toEqual([attached.digest]);
        const read = await readNewestArtifact(registry, 'v/x', image, 'application/vnd.cyclonedx+json', 1024);
        expect(read?.content.toString()).toBe('{"bomFormat":"CycloneDX"}');
        await expect(readNewestArtifact(registry, 'v/x', image, 'application/vnd.cyclonedx+json', 4)).rejects.toThrow(/more than 4/);
      }
    }
  });
});

describe('gc and referrers', () => {
  const base = { repository: 'v/x', rolloutTag: 'prod', datestamps: datestampFormat(), keep: 1 };
  const sbomOf = (n: number) => [
    { tag: referrersTag(d(n)), digest: d(100 + n) },
    { tag: `${referrersTag(d(n))}.sbom`, digest: d(200 + n) },
  ];

  it('deletes the SBOM and fallback index of a deleted image, keeps those of kept images, and drops orphans', () => {
    const retention = planRetention({
      ...base,
      tags: [
        { tag: '20261101-0300', digest: d(1) },
        { tag: '20261102-0300', digest: d(2) },
        { tag: 'prod', digest: d(2) },
        ...sbomOf(1),
        ...sbomOf(2),
        ...sbomOf(9),
      ],
    });
    expect(retention.deletions.map((x) => [x.digest, x.referrer ?? false])).toEqual([
      [d(1), false],
      [d(101), true],
      [d(201), true],
      [d(109), true],
      [d(209), true],
    ]);
  });

  it("a build's stage records go with the build and stay while it stays, like its SBOM", () => {
    const record = (n: number, host: string) => ({
      tag: `${referrersTag(d(n))}.${stageRecordSuffix({ stage: 'canary', host, outcome: 'adopted' })}`,
      digest: d(300 + n),
    });
    const retention = planRetention({
      ...base,
      tags: [
        { tag: '20261101-0300', digest: d(1) },
        { tag: '20261102-0300', digest: d(2) },
        { tag: 'prod', digest: d(2) },
        { tag: 'canary', digest: d(2) },
        record(1, 'web1'),
        record(2, 'web1'),
      ],
    });
    expect(retention.deletions.map((x) => [x.digest, x.referrer ?? false])).toEqual([
      [d(1), false],
      [d(301), true],
    ]);
  });

  it('keeps the SBOM of an image kept because a host runs it', () => {
    const retention = planRetention({
      ...base,
      tags: [{ tag: '20261101-0300', digest: d(1) }, { tag: '20261102-0300', digest: d(2) }, { tag: 'prod', digest: d(2) }, ...sbomOf(1)],
      inUse: new Map([[d(1), 'web2: container app']]),
    });
    expect(retention.deletions).toEqual([]);
    expect(retention.kept.map((k) => k.digest)).toEqual([d(1)]);
  });
});
