import { describe, expect, it } from 'vitest';
import { bytesFreedByDeleting, manifestBlobs } from '../../src/steps/gc/estimate.js';
import { formatBytes } from '../../src/shared/bytes.js';
import { collectedSentence, deletionSentence, freedSentence, keptSentence, sweepSentence } from '../../src/steps/gc/gcSentences.js';

const digest = `sha256:${'a'.repeat(64)}`;

describe('formatBytes', () => {
  it.each([
    [0, '0 B'],
    [1023, '1023 B'],
    [1024, '1.0 KiB'],
    [12_897_485, '12.3 MiB'],
    [47_815_065, '45.6 MiB'],
    [3 * 1024 ** 3, '3.0 GiB'],
    [5 * 1024 ** 5, '5120.0 TiB'],
  ])('%d → %s', (bytes, text) => {
    expect(formatBytes(bytes)).toBe(text);
  });
});

describe('sentences', () => {
  const deletion = { repository: 'lab/web', digest, tags: ['20261101-0300', '20261101-0300-2'] };

  it('names a deletion by digest with its tags', () => {
    expect(deletionSentence('127.0.0.1:5055', deletion, false)).toBe(`Delete 127.0.0.1:5055/lab/web@${digest} (tags 20261101-0300, 20261101-0300-2)`);
    expect(deletionSentence('127.0.0.1:5055', deletion, true)).toBe(`Deleted 127.0.0.1:5055/lab/web@${digest} (tags 20261101-0300, 20261101-0300-2)`);
  });

  it('says why a manifest is kept', () => {
    expect(keptSentence('127.0.0.1:5055', { ...deletion, tags: ['20261101-0300'], reason: 'in use: web2 container web (running)' })).toBe(
      `Kept 127.0.0.1:5055/lab/web@${digest} (tags 20261101-0300): in use: web2 container web (running)`,
    );
  });

  it.each([
    [{ blobs: ['a', 'b', 'c', 'd'], manifests: ['e'] }, 'Collected garbage on registry1: removed 4 blobs and 1 untagged manifest'],
    [{ blobs: ['a'], manifests: [] }, 'Collected garbage on registry1: removed 1 blob and 0 untagged manifests'],
    [undefined, 'Collected garbage on registry1'],
  ])('collected %j', (report, text) => {
    expect(collectedSentence('registry1', report)).toBe(text);
  });

  it.each([
    [47_815_065, 34_917_580, 'Freed 12.3 MiB on registry1 (45.6 MiB → 33.3 MiB)'],
    [2048, 2048, 'Freed nothing on registry1 (2.0 KiB → 2.0 KiB)'],
    [2048, 4096, 'Freed nothing on registry1 (2.0 KiB → 4.0 KiB)'],
  ])('freed %d → %d', (before, after, text) => {
    expect(freedSentence('registry1', before, after)).toBe(text);
  });

  it.each([
    [
      { eligibleBlobs: 3, eligibleManifests: 0, eligibleBytes: 2048, deletionBytes: 1024, deletions: 2 },
      'Collect garbage on registry1: would free up to 3.0 KiB (3 blobs unreferenced now, plus what 2 deletions leave behind)',
    ],
    [
      { eligibleBlobs: 0, eligibleManifests: 0, deletionBytes: 5 * 1024 ** 2, deletions: 1 },
      'Collect garbage on registry1: would free up to 5.0 MiB (what 1 deletion leaves behind)',
    ],
    [
      { eligibleBlobs: 1, eligibleManifests: 1, eligibleBytes: 100, deletionBytes: 0, deletions: 0 },
      'Collect garbage on registry1: would free up to 100 B (1 blob and 1 untagged manifest unreferenced now)',
    ],
    [
      { eligibleBlobs: 4, eligibleManifests: 0, deletionBytes: 0, deletions: 0 },
      'Collect garbage on registry1: would free up to 0 B plus 4 blobs of unmeasured size (4 blobs unreferenced now)',
    ],
  ])('sweep estimate %j', (estimate, text) => {
    expect(sweepSentence('registry1', estimate)).toBe(text);
  });
});

describe('estimate of what deleting frees', () => {
  const blob = (c: string): string => `sha256:${c.repeat(64)}`;
  const manifest = (d: string, layers: Array<[string, number]>) => {
    const body = { schemaVersion: 2, config: { digest: blob('c'), size: 500 }, layers: layers.map(([l, size]) => ({ digest: blob(l), size })) };
    return { digest: d, raw: Buffer.from(JSON.stringify(body)), body };
  };

  it('lists the manifest itself, its config and its layers', () => {
    const m = manifest(blob('1'), [
      ['a', 10],
      ['b', 20],
    ]);
    expect(manifestBlobs(m)).toEqual([
      { digest: blob('1'), size: m.raw.length },
      { digest: blob('c'), size: 500 },
      { digest: blob('a'), size: 10 },
      { digest: blob('b'), size: 20 },
    ]);
  });

  it('lists an index by its child manifests', () => {
    const body = { schemaVersion: 2, manifests: [{ digest: blob('2'), size: 400 }] };
    expect(manifestBlobs({ digest: blob('1'), raw: Buffer.from('{}'), body })).toEqual([
      { digest: blob('1'), size: 2 },
      { digest: blob('2'), size: 400 },
    ]);
  });

  it('counts only blobs no kept manifest references, each once', () => {
    const deleted = [
      [
        { digest: blob('1'), size: 1 },
        { digest: blob('a'), size: 10 },
        { digest: blob('s'), size: 1000 },
      ],
      [
        { digest: blob('2'), size: 2 },
        { digest: blob('a'), size: 10 },
        { digest: blob('b'), size: 20 },
      ],
    ];
    const kept = [
      [
        { digest: blob('3'), size: 3 },
        { digest: blob('s'), size: 1000 },
      ],
    ];
    expect(bytesFreedByDeleting(deleted, kept)).toBe(1 + 10 + 2 + 20);
  });
});
