import { errorMessage } from '../../adapters/errors.js';
import { pinCommitMessage } from '../../pins/commitMessage.js';
import { changed, failed, ok, type StepResult } from '../../model/results.js';
import type { StepContext } from '../types.js';
import { pinChanges } from './pinSentences.js';
import { planPin, type PinPlan } from './planPin.js';

/** How many times a push that found the branch moved is redone on the new tip before the step gives up. */
const PUSH_TRIES = 3;

/**
 * Commits the plan's files on its base and pushes the commit, never forced. A branch that moved meanwhile is fetched and the
 * pins are worked out again on its new tip (they may be there already), up to three times.
 */
export async function applyPin(ctx: StepContext, first: PinPlan): Promise<StepResult> {
  let plan = first;
  for (let attempt = 1; attempt <= PUSH_TRIES; attempt += 1) {
    if (plan.dirty.length > 0 && !plan.options.allowDirty) {
      return failed(
        `${plan.dirty.join(', ')} ${plan.dirty.length === 1 ? 'has' : 'have'} uncommitted changes: the commit is made from ${plan.baseLabel}, so they would not be in it and would conflict with it; commit them first, or set allow_dirty: true`,
        'pin-dirty',
        [],
        plan.notes,
      );
    }
    if (plan.files.length === 0) return ok([...plan.notes, 'The branch moved, and already has these pins']);
    const files = new Map(plan.files.map((f) => [f.path, f.after]));
    ctx.progress(`Committing ${plan.files.length} file${plan.files.length === 1 ? '' : 's'}`);
    try {
      const commit = await plan.repo.commitFiles(plan.base, files, pinCommitMessage(plan.records), plan.options.author);
      ctx.progress(`Pushing to ${plan.options.remote} ${plan.options.branch}`);
      const outcome = await plan.repo.push(plan.options.remote, commit, plan.options.branch);
      if (outcome === 'pushed') {
        const actions = pinChanges(plan).slice(0, -1);
        actions.push(`Committed ${commit.slice(0, 12)} on top of ${plan.baseLabel}; pushed it to ${plan.options.remote} ${plan.options.branch}`);
        return changed(actions, plan.notes);
      }
    } catch (error) {
      return failed(`pushing the pins to ${plan.options.remote} ${plan.options.branch} failed: ${errorMessage(error)}`, 'pin-push-failed', [], plan.notes);
    }
    ctx.progress(`${plan.options.remote} ${plan.options.branch} moved; pinning again on its new tip`);
    plan = await planPin(ctx, plan.options);
  }
  return failed(
    `${plan.options.remote} ${plan.options.branch} moved under every one of ${PUSH_TRIES} pushes; nothing was forced`,
    'pin-push-failed',
    [],
    plan.notes,
  );
}
