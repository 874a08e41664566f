import { findReferrers } from '../../adapters/referrers.js';
import type { RegistryClient, RegistryImageConfig } from '../../adapters/types.js';
import { buildChanges } from '../../images/buildChanges.js';
import { SBOM_MEDIA_TYPE } from '../../images/sbom.js';
import type { PinRecord } from '../../pins/commitMessage.js';
import type { PinChange } from '../../pins/pinTargets.js';
import { isSha256Digest, parseImageRef } from '../../model/imageRef.js';
import type { StepContext } from '../types.js';
import { hostsRunning } from '../hostsRunning.js';

/** A change of one file, with the file's path. */
export type FileChange = PinChange & { path: string };

/** How many of a repository's newest date-like tags are read to find the one naming the pinned build. */
const DATE_TAGS_READ = 5;

/**
 * What the commit message says of each pinned repository: old and new digest, why the new build differs (from both builds'
 * labels), its package changes, its SBOM, another tag naming it (the datestamp tag), the hosts running it, the files changed.
 */
export async function pinRecords(
  ctx: Pick<StepContext, 'inventory' | 'connectionsOf' | 'progress'>,
  registry: RegistryClient,
  changes: readonly FileChange[],
): Promise<PinRecord[]> {
  const byRepository = new Map<string, FileChange[]>();
  for (const change of changes) {
    const { registry: name, repository, digest } = parseImageRef(change.to);
    const key = `${name}/${repository}@${digest}`;
    byRepository.set(key, [...(byRepository.get(key) ?? []), change]);
  }
  const configs = new Map<string, RegistryImageConfig | undefined>();
  for (const key of byRepository.keys()) {
    const [name, to] = key.split('@') as [string, string];
    configs.set(key, await registry.imageConfig(name.slice(name.indexOf('/') + 1), to));
  }
  const { running } = await hostsRunning(ctx, new Set([...configs.values()].flatMap((config) => (config ? [config.configDigest] : []))));
  const records: PinRecord[] = [];
  for (const [key, own] of byRepository) {
    const [name, to] = key.split('@') as [string, string];
    const path = name.slice(name.indexOf('/') + 1);
    const config = configs.get(key);
    const from = own.map((c) => parseImageRef(c.from).digest).find((d) => d !== undefined && d !== to);
    ctx.progress(`Reading what changed in ${name}`);
    const before = from !== undefined ? await registry.imageConfig(path, from) : undefined;
    const changed = from !== undefined ? buildChanges(before?.config.config?.Labels, config?.config.config?.Labels) : { reasons: [], packages: [] };
    // The referrer's digest and the tags are the registry's text: only well-formed ones go into the commit message.
    const found = (await findReferrers(registry, path, to, SBOM_MEDIA_TYPE)).referrers.at(-1)?.digest;
    const sbom = found !== undefined && isSha256Digest(found) ? found : undefined;
    const dateTag = await otherTag(registry, path, to, own);
    records.push({
      repository: name,
      ...(from !== undefined ? { from } : {}),
      to,
      ...(dateTag !== undefined ? { dateTag: `${name}:${dateTag}` } : {}),
      reasons: changed.reasons,
      packages: changed.packages,
      ...(sbom !== undefined ? { sbom } : {}),
      rolledOutTo: (config !== undefined ? running.get(config.configDigest) : undefined) ?? [],
      files: [...new Set(own.map((c) => `${c.path}:${c.line}`))],
    });
  }
  return records;
}

/** The newest date-like tag (starting with a digit) naming `digest`, other than the tags the files follow. */
async function otherTag(registry: RegistryClient, repository: string, digest: string, changes: readonly FileChange[]): Promise<string | undefined> {
  const followed = new Set(changes.map((c) => parseImageRef(c.to).tag));
  const candidates = (await registry.tags(repository))
    .filter((tag) => /^\d[\w.-]{0,127}$/.test(tag) && !followed.has(tag))
    .sort()
    .reverse()
    .slice(0, DATE_TAGS_READ);
  for (const tag of candidates) if ((await registry.manifestDigest(repository, tag)) === digest) return tag;
  return undefined;
}
