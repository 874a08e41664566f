import { registrySettings, stagesOf } from '../../model/inventory.js';
import { globMatcher } from '../../shared/glob.js';
import { mapLimit } from '../../shared/mapLimit.js';
import { promotionVerdict, type HostNow, type PromotionVerdict } from '../../stages/promotion.js';
import type { StageRecord } from '../../stages/stageRecord.js';
import { readStageRecords } from '../stageRecords.js';
import type { StepContext } from '../types.js';
import type { PromoteOptions } from './promoteOptions.js';
import { observeStage, type StageObservation } from './observeStage.js';

const REPOSITORIES_IN_FLIGHT = 4;

/** One repository's step from one stage to the next. */
export interface RepositoryPromotion {
  repository: string;
  from: string;
  to: string;
  /** The build `from` names, and the one `to` names (undefined when the tag is absent). */
  build: string;
  nextBuild?: string;
  verdict: PromotionVerdict;
  /** Adoptions to record: stage hosts found running the build healthy with no record of it (rolled out before stages were set). */
  firstSeen: StageRecord[];
  /** The hosts of `from` that run the repository (or did, by their records), and when each adopted the build. */
  hosts: Array<{ host: string; since?: number }>;
}

export interface PromotePlan {
  promotions: RepositoryPromotion[];
}

/** For every repository with a stage's tag, whether the next stage's tag moves to its build now, and why (or why not). */
export async function planPromote(ctx: StepContext, options: PromoteOptions): Promise<PromotePlan> {
  const settings = registrySettings(ctx.vars)!;
  const registry = ctx.connections.registry();
  const stages = stagesOf(ctx.vars);
  const at = ctx.now();
  const wanted = globMatcher(options.images);
  ctx.progress(`Asking the hosts of ${stages.slice(0, -1).join(', ')} what they run`);
  const observed = new Map<string, StageObservation>();
  for (const stage of stages.slice(0, -1)) observed.set(stage, await observeStage(ctx, stage, settings.name));
  const repositories = (await registry.catalog()).filter(wanted).sort();
  ctx.progress(`Reading the stage records of ${repositories.length} repositor${repositories.length === 1 ? 'y' : 'ies'}`);
  const perRepository = await mapLimit(repositories, REPOSITORIES_IN_FLIGHT, async (repository) => {
    const tags = await registry.tags(repository);
    const promotions: RepositoryPromotion[] = [];
    for (const [i, from] of stages.slice(0, -1).entries()) {
      const to = stages[i + 1]!;
      if (!tags.includes(from)) continue;
      const build = await registry.manifestDigest(repository, from);
      if (build === undefined) continue;
      const nextBuild = tags.includes(to) ? await registry.manifestDigest(repository, to) : undefined;
      const records = await readStageRecords(registry, repository, build, tags);
      promotions.push(judge({ repository, from, to, build, nextBuild, records, observation: observed.get(from)!, soakMs: options.soakMs, at }));
    }
    return promotions;
  });
  return { promotions: perRepository.flat() };
}

interface JudgeInput {
  repository: string;
  from: string;
  to: string;
  build: string;
  nextBuild: string | undefined;
  records: readonly StageRecord[];
  observation: StageObservation;
  soakMs: number;
  at: number;
}

/** The verdict for one repository and stage, with the adoptions seen now that have no record yet. */
function judge(input: JudgeInput): RepositoryPromotion {
  const { repository, from, to, build, nextBuild, observation, at } = input;
  const running = observation.runs.get(repository) ?? new Map<string, HostNow>();
  const own = input.records.filter((r) => r.stage === from);
  // A host counts when it runs the repository, has records of this build, or could not be asked (it may run it).
  const hosts = observation.hosts.filter((h) => running.has(h) || observation.silent.includes(h) || own.some((r) => r.host === h));
  const now = new Map<string, HostNow>();
  for (const host of hosts) if (!observation.silent.includes(host)) now.set(host, running.get(host) ?? { healthy: false });
  const adopted = (host: string): boolean => own.some((r) => r.host === host && r.outcome === 'adopted');
  const firstSeen: StageRecord[] =
    nextBuild === build
      ? []
      : hosts
          .filter((h) => now.get(h)?.build === build && now.get(h)!.healthy && !adopted(h))
          .map((host) => ({ stage: from, host, build, at, outcome: 'adopted' as const }));
  const records = [...input.records, ...firstSeen];
  const verdict = promotionVerdict({ stage: from, hosts, build, nextBuild, records, now, soakMs: input.soakMs, at });
  const since = (host: string): number | undefined =>
    records
      .filter((r) => r.stage === from && r.host === host && r.outcome === 'adopted')
      .reduce<number | undefined>((min, r) => Math.min(min ?? r.at, r.at), undefined);
  return {
    repository,
    from,
    to,
    build,
    ...(nextBuild === undefined ? {} : { nextBuild }),
    verdict,
    firstSeen,
    hosts: hosts.map((host) => ({ host, ...(since(host) === undefined ? {} : { since: since(host) }) })),
  };
}
