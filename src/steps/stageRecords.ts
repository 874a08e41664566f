import { attachArtifact, readBlob } from '../adapters/referrers.js';
import { errorMessage } from '../adapters/errors.js';
import { referrersTag } from '../adapters/referrerFormats.js';
import type { RegistryClient } from '../adapters/types.js';
import { registrySettings, rolloutTag, stagesOf } from '../model/inventory.js';
import { parseImageRef, repoDigestOf } from '../model/imageRef.js';
import { shownDigest } from '../images/imageSentences.js';
import { STAGE_RECORD_TYPE, encodeStageRecord, isStageRecordTag, parseStageRecord, stageRecordSuffix, type StageRecord } from '../stages/stageRecord.js';
import type { StepContext } from './types.js';

// The stage records in the registry, written by the rollouts of stage hosts (start) and by promote, read by promote and status.
// Each is an artifact of the build with a tag of its own (src/stages/stageRecord.ts says why).

/** A record's blob is a line of JSON; anything bigger is not freshen's. */
const MAX_RECORD_BYTES = 4096;
/** More records of one build than any fleet's stages would write: the rest are not read. */
const MAX_RECORDS = 500;

/** Writes `record` unless the build has that record already; true when it wrote it. */
export async function writeStageRecord(registry: RegistryClient, repository: string, record: StageRecord): Promise<boolean> {
  const suffix = stageRecordSuffix(record);
  if ((await registry.manifestDigest(repository, `${referrersTag(record.build)}.${suffix}`)) !== undefined) return false;
  await attachArtifact(registry, repository, record.build, {
    artifactType: STAGE_RECORD_TYPE,
    content: Buffer.from(encodeStageRecord(record)),
    created: new Date(record.at),
    tagSuffix: suffix,
    title: 'stage-record.json',
    fallbackIndex: false,
  });
  return true;
}

/** Every stage record of `build` (`tags`: the repository's tags, when the caller has them). A record of another shape is ignored. */
export async function readStageRecords(registry: RegistryClient, repository: string, build: string, tags?: readonly string[]): Promise<StageRecord[]> {
  const own = (tags ?? (await registry.tags(repository))).filter((tag) => isStageRecordTag(tag, build)).slice(0, MAX_RECORDS);
  const records: StageRecord[] = [];
  for (const tag of own) {
    const manifest = await registry.manifest(repository, tag);
    const layers = manifest?.body.layers;
    const layer = Array.isArray(layers) ? (layers[0] as { digest?: unknown; size?: unknown } | undefined) : undefined;
    if (typeof layer?.digest !== 'string' || typeof layer.size !== 'number' || layer.size > MAX_RECORD_BYTES) continue;
    const record = parseStageRecord((await readBlob(registry, repository, layer.digest, MAX_RECORD_BYTES)).toString('utf8'));
    if (record !== undefined && record.build === build) records.push(record);
  }
  return records;
}

/** What one replacement of a stage host came to: the reference it ran and whether it held or was rolled back. */
export interface RolloutOutcome {
  ref: string;
  outcome: StageRecord['outcome'];
}

/**
 * Records what a stage host's rollout adopted or rolled back (nothing on a host whose rollout tag is not one of `stages`), and
 * says so in sentences. A record that cannot be written is said too, and does not fail the rollout: without an `adopted`
 * record promote waits, and a host that rolled back no longer runs the build, so promote waits on that as well.
 */
export async function recordRolloutOutcomes(
  ctx: Pick<StepContext, 'vars' | 'connections' | 'host' | 'now'>,
  outcomes: readonly RolloutOutcome[],
): Promise<string[]> {
  const stage = rolloutTag(ctx.vars);
  const registry = registrySettings(ctx.vars);
  if (registry === undefined || !stagesOf(ctx.vars).includes(stage) || outcomes.length === 0) return [];
  const engine = await ctx.connections.engine();
  const sentences: string[] = [];
  const seen = new Set<string>();
  for (const { ref, outcome } of outcomes) {
    if (seen.has(`${ref} ${outcome}`)) continue;
    seen.add(`${ref} ${outcome}`);
    const { repository } = parseImageRef(ref);
    const build = repoDigestOf((await engine.localImage(ref))?.RepoDigests, ref);
    const what = outcome === 'adopted' ? 'adopted' : 'rolled back';
    if (build === undefined) {
      sentences.push(`Could not record that ${ctx.host.name} ${what} ${repository} in stage ${stage}: the local image has no digest from the registry`);
      continue;
    }
    try {
      const wrote = await writeStageRecord(ctx.connections.registry(), repository, { stage, host: ctx.host.name, build, at: ctx.now(), outcome });
      if (wrote) sentences.push(`Recorded in the registry that ${ctx.host.name} ${what} ${repository}@${shownDigest(build)} in stage ${stage}`);
    } catch (error) {
      sentences.push(`Could not record that ${ctx.host.name} ${what} ${repository}@${shownDigest(build)} in stage ${stage}: ${errorMessage(error)}`);
    }
  }
  return sentences;
}
