import { formatBytes } from '../../shared/bytes.js';
import type { CopyPlan, TagCopy } from './planCopy.js';

const plural = (n: number, word: string): string => `${n} ${word}${n === 1 ? '' : 's'}`;

/** `Copy t-app/web:prod@sha256:… from 127.0.0.1:5055 to oci-layout:/srv/backup (was sha256:…)`; past tense once done. */
export function tagSentence(from: string, to: string, t: TagCopy, done: boolean): string {
  const was = t.previous !== undefined ? ` (was ${t.previous})` : '';
  return `${done ? 'Copied' : 'Copy'} ${t.repository}:${t.tag}@${t.digest} from ${from} to ${to}${was}`;
}

/** `Copy 3 manifests and 5 blobs (1.2 MiB), mount 2 blobs, from A to B`: the totals check mode promises. */
export function totalsSentence(from: string, to: string, plan: Pick<CopyPlan, 'manifests' | 'blobs' | 'bytes'>, done: boolean): string {
  const uploads = plan.blobs.filter((b) => b.mountFrom === undefined).length;
  const mounts = plan.blobs.length - uploads;
  const mounted = mounts > 0 ? `, ${done ? 'mounted' : 'mount'} ${plural(mounts, 'blob')}` : '';
  return `${done ? 'Copied' : 'Copy'} ${plural(plan.manifests.length, 'manifest')} and ${plural(uploads, 'blob')} (${formatBytes(plan.bytes)})${mounted} from ${from} to ${to}`;
}

/** `Verified 4 tags at B: each serves the source's manifest digest`. */
export const verifiedSentence = (to: string, tags: number): string => `Verified ${plural(tags, 'tag')} at ${to}: each serves the source's manifest digest`;

/** `12 tags already up to date at B`. */
export const upToDateSentence = (to: string, tags: number): string => `${plural(tags, 'tag')} already up to date at ${to}`;
