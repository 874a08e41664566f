import { errorMessage } from '../../adapters/errors.js';
import { shownDigest } from '../../images/imageSentences.js';
import type { PromoteDetails } from '../../model/stepDetails.js';
import { changed, failed } from '../../model/results.js';
import { writeStageRecord } from '../stageRecords.js';
import type { StepHandler } from '../types.js';
import type { PromoteOptions } from './promoteOptions.js';
import { planPromote, type PromotePlan, type RepositoryPromotion } from './planPromote.js';

const firstSeenSentence = (p: RepositoryPromotion, host: string): string =>
  `Record that ${host} runs ${p.repository}@${shownDigest(p.build)} in stage ${p.from} (no record of its rollout there; its soak starts now)`;

const promoteSentence = (p: RepositoryPromotion): string =>
  `Move ${p.repository}:${p.to} to the ${p.from} build ${shownDigest(p.build)}${p.nextBuild === undefined ? '' : ` (from ${shownDigest(p.nextBuild)})`}: ${p.verdict.reason}`;

const noteOf = (p: RepositoryPromotion): string | undefined => {
  const { action, reason } = p.verdict;
  if (action === 'wait') return `${p.repository}: ${p.from} → ${p.to} waits for ${p.from}'s build ${shownDigest(p.build)}: ${reason}`;
  if (action === 'hold') return `${p.repository}: ${p.from}'s build ${shownDigest(p.build)} is held back from ${p.to}: ${reason}`;
  return undefined;
};

const iso = (ms: number | undefined): string | undefined => (ms === undefined ? undefined : new Date(ms).toISOString());

/**
 * promote: on a registry host, for every repository and every stage but the last (the `stages` variable), moves the next
 * stage's tag to the build the stage runs once it has soaked there (src/stages/promotion.ts decides). Reads the stage hosts'
 * engines and the registry's stage records; writes only tags (and the records of adoptions it finds unrecorded).
 */
export const promoteStep: StepHandler<PromotePlan, PromoteOptions> = {
  kind: 'promote',
  plan: planPromote,

  changes: (plan) =>
    plan.promotions.flatMap((p) => [...p.firstSeen.map((r) => firstSeenSentence(p, r.host)), ...(p.verdict.action === 'promote' ? [promoteSentence(p)] : [])]),

  notes: (plan) => plan.promotions.map(noteOf).filter((n): n is string => n !== undefined),

  details: (plan): PromoteDetails => ({
    promotions: plan.promotions.map((p) => ({
      repository: p.repository,
      from: p.from,
      to: p.to,
      build: p.build,
      ...(p.nextBuild === undefined ? {} : { next_build: p.nextBuild }),
      action: p.verdict.action,
      reason: p.verdict.reason,
      ...(p.verdict.action === 'wait' && p.verdict.until !== undefined ? { eligible_at: iso(p.verdict.until) } : {}),
      hosts: p.hosts.map((h) => ({ host: h.host, ...(h.since === undefined ? {} : { since: iso(h.since) }) })),
    })),
  }),

  async apply(ctx, plan) {
    const registry = ctx.connections.registry();
    const actions: string[] = [];
    const problems: string[] = [];
    for (const p of plan.promotions) {
      for (const record of p.firstSeen) {
        try {
          if (await writeStageRecord(registry, p.repository, record)) actions.push(firstSeenSentence(p, record.host).replace(/^Record/, 'Recorded'));
        } catch (error) {
          problems.push(`recording that ${record.host} runs ${p.repository}@${shownDigest(p.build)} failed: ${errorMessage(error)}`);
        }
      }
      if (p.verdict.action !== 'promote') continue;
      try {
        // Another control node may have moved either tag since the plan: promote only what was judged.
        const [build, next] = await Promise.all([registry.manifestDigest(p.repository, p.from), registry.manifestDigest(p.repository, p.to)]);
        if (build !== p.build || next !== p.nextBuild) {
          problems.push(`${p.repository}: ${p.from} or ${p.to} moved while this run judged them; not promoted, run again`);
          continue;
        }
        const manifest = await registry.manifest(p.repository, p.build);
        if (manifest === undefined) throw new Error(`${p.repository}@${p.build} is no longer in the registry`);
        await registry.putManifest(p.repository, p.to, { mediaType: manifest.mediaType, raw: manifest.raw });
        actions.push(promoteSentence(p).replace(/^Move/, 'Moved'));
      } catch (error) {
        problems.push(`moving ${p.repository}:${p.to} failed: ${errorMessage(error)}`);
      }
    }
    if (problems.length > 0) return failed(problems.join('\n'), 'failed', actions);
    return changed(actions);
  },
};
