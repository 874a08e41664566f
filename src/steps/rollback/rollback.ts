import { datestampFormatOf } from '../../images/datestamp.js';
import { planRollback, tagsOf, type RollbackPlan } from '../../images/rollbackPlan.js';
import { rolloutTag } from '../../model/inventory.js';
import { changed, failed, type StepResult } from '../../model/results.js';
import { OptionError } from '../optionError.js';
import type { StepContext, StepHandler } from '../types.js';
import type { RollbackOptions } from './rollbackOptions.js';

/** What rollback would do on the host's registry, and the hint for the rollout that carries it to the hosts. */
export interface RollbackStepPlan {
  decision: Exclude<RollbackPlan, { action: 'refuse' }>;
  registry: string;
  repository: string;
  rolloutTag: string;
}

/** `Containers running … get it with the rollout steps`: what comes after a rollback. */
export const rolloutHint = (registry: string, repository: string, rollout: string): string =>
  `Containers running ${registry}/${repository}:${rollout} get it with the rollout steps (pull, stop, start); discover will not rebuild it until a newer build is pushed or it is forced.`;

/**
 * rollback: points the rollout tag of a repository back at an earlier tag's manifest, byte for byte, through the registry API (no
 * rebuild, no pull). The plan reads the tags and the two digests; a tag that does not exist, or the rollout tag itself, is
 * refused as bad input. `freshen rollback` runs this step.
 */
export const rollbackStep: StepHandler<RollbackStepPlan, RollbackOptions> = {
  kind: 'rollback',

  async plan(ctx: StepContext, { repository, tag }: RollbackOptions): Promise<RollbackStepPlan> {
    const registry = ctx.connections.registry();
    const rollout = rolloutTag(ctx.vars);
    const tags = await registry.tags(repository);
    const [targetDigest, currentDigest] =
      tags.length === 0
        ? []
        : await Promise.all([tags.includes(tag) ? registry.manifestDigest(repository, tag) : undefined, registry.manifestDigest(repository, rollout)]);
    // Only the tags naming the current manifest are looked up, for the sentence (`was … = 20261105-0300`).
    const digests = new Map<string, string>();
    if (currentDigest !== undefined) {
      for (const other of tags.filter((t) => t !== rollout)) {
        const digest = await registry.manifestDigest(repository, other);
        if (digest !== undefined) digests.set(other, digest);
      }
    }
    const decision = planRollback(
      {
        registry: registry.name,
        repository,
        tag,
        rolloutTag: rollout,
        tags,
        datestamps: datestampFormatOf(ctx.vars),
        ...(targetDigest ? { targetDigest } : {}),
        ...(currentDigest ? { currentDigest } : {}),
      },
      tagsOf(digests, currentDigest, rollout),
    );
    if (decision.action === 'refuse') throw new OptionError(decision.message);
    return { decision, registry: registry.name, repository, rolloutTag: rollout };
  },

  changes: (plan) => (plan.decision.action === 'move' ? [plan.decision.sentence] : []),

  notes: (plan) => (plan.decision.action === 'none' ? [plan.decision.sentence] : [rolloutHint(plan.registry, plan.repository, plan.rolloutTag)]),

  async apply(ctx, plan): Promise<StepResult> {
    const { decision } = plan;
    if (decision.action !== 'move') return changed([]);
    const registry = ctx.connections.registry();
    // The exact bytes and media type, so the rollout tag gets the very same digest (no rebuild, no pull).
    const manifest = await registry.manifest(plan.repository, decision.digest);
    if (!manifest) return failed(`${plan.registry}/${plan.repository}@${decision.digest} vanished while rolling back`);
    const written = await registry.putManifest(plan.repository, plan.rolloutTag, manifest);
    if (written !== decision.digest) return failed(`the registry stored ${plan.rolloutTag} as ${written}, not ${decision.digest}`);
    return changed([decision.done], [rolloutHint(plan.registry, plan.repository, plan.rolloutTag)]);
  },
};
