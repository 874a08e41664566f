import type { RegistryClient } from '../../adapters/types.js';
import { pinFile } from '../../pins/pinFile.js';
import { tableTargets, type PinTargets } from '../../pins/pinTargets.js';
import { isSha256Digest } from '../../model/imageRef.js';
import { mapLimit } from '../../shared/mapLimit.js';
import type { RunPushes } from '../../images/runPushes.js';

const READS_IN_FLIGHT = 8;

/** What the files' references resolve to in the host's registry. */
export interface ResolvedTargets {
  targets: PinTargets;
  /** `registry/repository:tag` of references whose tag only this check run's planned push moves: pinned once it has pushed. */
  awaitingPush: string[];
  /** `registry/repository:tag` the files follow that the registry does not hold. */
  missing: string[];
  /** `registry/repository:tag` whose digest the registry gave is no sha256 digest (a peer's text: never written to a file). */
  malformed: string[];
}

/**
 * Reads which managed tags the files follow (a first pass that pins nothing and records what it asks for), then the digest each
 * tag names in the registry now. `check`: a tag this run only plans to push is not read, since the registry still has the old one.
 */
export async function resolveTargets(
  texts: ReadonlyMap<string, string>,
  helmValues: Readonly<Record<string, string[]>>,
  manages: PinTargets['manages'],
  registry: RegistryClient,
  pushes: Pick<RunPushes, 'isPlanned'>,
  check: boolean,
): Promise<ResolvedTargets> {
  const wanted = new Set<string>();
  const recording: PinTargets = {
    manages,
    digestFor: (repository, tag) => {
      if (tag !== undefined) wanted.add(`${repository}:${tag}`);
      return undefined;
    },
  };
  for (const [path, text] of texts) pinFile(path, text, recording, helmValues[path]);
  const refs = [...wanted].sort();
  const awaitingPush = check ? refs.filter((ref) => pushes.isPlanned(ref)) : [];
  const toRead = refs.filter((ref) => !awaitingPush.includes(ref));
  const digests = await mapLimit(toRead, READS_IN_FLIGHT, (ref) => {
    const path = ref.slice(ref.indexOf('/') + 1);
    const colon = path.lastIndexOf(':');
    return registry.manifestDigest(path.slice(0, colon), path.slice(colon + 1));
  });
  const table = new Map(toRead.flatMap((ref, i) => (digests[i] !== undefined && isSha256Digest(digests[i]!) ? [[ref, digests[i]!] as const] : [])));
  return {
    targets: tableTargets(table),
    awaitingPush,
    missing: toRead.filter((_, i) => digests[i] === undefined),
    malformed: toRead.filter((_, i) => digests[i] !== undefined && !isSha256Digest(digests[i]!)),
  };
}
