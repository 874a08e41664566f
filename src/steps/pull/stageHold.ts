import type { ContainerInspect } from '../../containers/types.js';
import { shownDigest } from '../../images/imageSentences.js';
import { rolloutTag, stagesOf } from '../../model/inventory.js';
import { readStageRecords } from '../stageRecords.js';
import type { StepContext } from '../types.js';

/** A stage host keeping its containers' build of `ref` because it rolled back the build the tag names. */
export interface StageHold {
  ref: string;
  /** The image the containers run, which `ref` names again locally when it does not (apply retags it). */
  imageId: string;
  retag: boolean;
  note: string;
}

/**
 * On a host whose rollout tag is a stage: when this host rolled back the build the tag names (a stage record says so), the
 * host keeps the build its containers run, so a bad canary build is not tried again every run (promote holds it for good;
 * a newer build on the tag ends the hold). Undefined when the host is not a stage host, has no such record, or its
 * containers of `ref` run different images.
 */
export async function stageHold(
  ctx: Pick<StepContext, 'vars' | 'connections' | 'host'>,
  ref: string,
  repository: string,
  remoteDigest: string,
  localId: string | undefined,
  containers: readonly ContainerInspect[],
): Promise<StageHold | undefined> {
  const stage = rolloutTag(ctx.vars);
  if (!stagesOf(ctx.vars).includes(stage)) return undefined;
  const records = await readStageRecords(ctx.connections.registry(), repository, remoteDigest);
  const rolledBack = records.find((r) => r.stage === stage && r.host === ctx.host.name && r.outcome === 'rolled-back');
  const running = [...new Set(containers.filter((c) => c.Config.Image === ref).map((c) => c.Image))];
  if (rolledBack === undefined || running.length !== 1) return undefined;
  const imageId = running[0]!;
  return {
    ref,
    imageId,
    retag: localId !== imageId,
    note: `${ref}: ${ctx.host.name} rolled back ${shownDigest(remoteDigest)} in stage ${stage} at ${new Date(rolledBack.at).toISOString()}; it keeps the build its containers run (${shownDigest(imageId)}) until the tag names another build`,
  };
}
