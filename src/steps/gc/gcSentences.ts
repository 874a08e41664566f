import { formatBytes } from '../../shared/bytes.js';
import type { KeptManifest, ManifestDeletion } from './retention.js';

const manifestRef = (registry: string, m: { repository: string; digest: string }): string => `${registry}/${m.repository}@${m.digest}`;

/** `Delete 127.0.0.1:5055/lab/web@sha256:… (tags 20261101-0300)`; past tense once done. */
export const deletionSentence = (registry: string, d: ManifestDeletion, done: boolean): string =>
  `${done ? 'Deleted' : 'Delete'} ${manifestRef(registry, d)} (tags ${d.tags.join(', ')})`;

/** `Kept 127.0.0.1:5055/lab/web@sha256:… (tags 20261101-0300): in use: web2 container web`. */
export const keptSentence = (registry: string, k: KeptManifest): string => `Kept ${manifestRef(registry, k)} (tags ${k.tags.join(', ')}): ${k.reason}`;

/** `Freed 12.3 MiB on registry1 (45.6 MiB → 33.3 MiB)`. */
export function freedSentence(host: string, before: number, after: number): string {
  const sizes = `(${formatBytes(before)} → ${formatBytes(after)})`;
  return before > after ? `Freed ${formatBytes(before - after)} on ${host} ${sizes}` : `Freed nothing on ${host} ${sizes}`;
}

/** `Collected garbage on registry1: removed 4 blobs and 1 untagged manifest`, from what the collector printed. */
export function collectedSentence(host: string, report: { blobs: string[]; manifests: string[] } | undefined): string {
  if (!report) return `Collected garbage on ${host}`;
  return `Collected garbage on ${host}: removed ${plural(report.blobs.length, 'blob')} and ${plural(report.manifests.length, 'untagged manifest')}`;
}

/** What check mode says a sweep would do. */
export interface SweepEstimate {
  /** Blobs and untagged manifests the collector would remove right now. */
  eligibleBlobs: number;
  eligibleManifests: number;
  /** Their size on disk, when it could be measured. */
  eligibleBytes?: number;
  /** Blobs that only the manifests to delete reference (within their repository): an upper bound. */
  deletionBytes: number;
  deletions: number;
}

/** `Collect garbage on registry1: would free up to 1.2 MiB (3 blobs unreferenced now, plus what 2 deletions leave behind)`. */
export function sweepSentence(host: string, e: SweepEstimate): string {
  const parts: string[] = [];
  if (e.eligibleBlobs > 0 || e.eligibleManifests > 0) {
    const manifests = e.eligibleManifests > 0 ? ` and ${plural(e.eligibleManifests, 'untagged manifest')}` : '';
    parts.push(`${plural(e.eligibleBlobs, 'blob')}${manifests} unreferenced now`);
  }
  if (e.deletions > 0) parts.push(`what ${plural(e.deletions, 'deletion')} leave${e.deletions === 1 ? 's' : ''} behind`);
  const amount =
    e.eligibleBytes !== undefined || e.eligibleBlobs === 0
      ? `would free up to ${formatBytes((e.eligibleBytes ?? 0) + e.deletionBytes)}`
      : `would free up to ${formatBytes(e.deletionBytes)} plus ${plural(e.eligibleBlobs, 'blob')} of unmeasured size`;
  return `Collect garbage on ${host}: ${amount} (${parts.join(', plus ')})`;
}

const plural = (n: number, noun: string): string => `${n} ${noun}${n === 1 ? '' : 's'}`;
