// What a host records when a stage's rollout adopts a build or rolls it back: the state `promote` decides from. Records live in
// the registry, as small OCI artifacts referring to the build, so every control node and CI runner reads the same history.
// Pure: the format and its reading (a record read back is a peer's text, checked field by field).
import { createHash } from 'node:crypto';
import { isSha256Digest } from '../model/imageRef.js';

/** The artifact type of a stage record. */
export const STAGE_RECORD_TYPE = 'application/vnd.freshen.stage-record.v1+json';

/** One host's outcome with one build in one stage. */
export interface StageRecord {
  /** The stage, by the rollout tag its hosts follow (`canary`). */
  stage: string;
  host: string;
  /** The build's manifest digest. */
  build: string;
  /** When the outcome happened (ms since the epoch, the control node's clock). */
  at: number;
  outcome: 'adopted' | 'rolled-back';
}

const NAME = /^[\w][\w.-]{0,127}$/;
const HOST = /^[\w.[\]:-]{1,253}$/;

/** The record as the artifact's content. */
export const encodeStageRecord = (record: StageRecord): string =>
  JSON.stringify({ stage: record.stage, host: record.host, build: record.build, at: new Date(record.at).toISOString(), outcome: record.outcome });

/** A record read back; undefined when any field is not what freshen writes (a record of another shape is ignored). */
export function parseStageRecord(text: string): StageRecord | undefined {
  let value: unknown;
  try {
    value = JSON.parse(text);
  } catch {
    return undefined;
  }
  if (typeof value !== 'object' || value === null) return undefined;
  const { stage, host, build, at, outcome } = value as Record<string, unknown>;
  const time = typeof at === 'string' ? Date.parse(at) : NaN;
  const valid =
    typeof stage === 'string' &&
    NAME.test(stage) &&
    typeof host === 'string' &&
    HOST.test(host) &&
    typeof build === 'string' &&
    isSha256Digest(build) &&
    Number.isFinite(time) &&
    (outcome === 'adopted' || outcome === 'rolled-back');
  return valid ? { stage, host, build, at: time, outcome } : undefined;
}

/**
 * The tag suffix of a record: `stage` and 16 hex digits of (stage, host, outcome). The record is tagged
 * `sha256-<build hex>.<suffix>`, so gc keeps it while the build stays and deletes it with the build, backup copies it, and a
 * second record of the same outcome (a rerun) finds the tag taken: the first adoption is the one that counts.
 */
export const stageRecordSuffix = (record: Pick<StageRecord, 'stage' | 'host' | 'outcome'>): string =>
  `stage${createHash('sha256').update(`${record.stage}\n${record.host}\n${record.outcome}`).digest('hex').slice(0, 16)}`;

/** Whether a tag is a stage record's tag of `build` (`sha256-<hex>.stage<16 hex>`). */
export const isStageRecordTag = (tag: string, build: string): boolean => new RegExp(`^${build.replace(':', '-')}\\.stage[0-9a-f]{16}$`).test(tag);
