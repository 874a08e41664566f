import { RegistryError, UnreachableError, errorMessage } from '../../adapters/errors.js';
import { changed, failed, ok, type StepResult } from '../../model/results.js';
import type { StepContext } from '../types.js';
import { planNotes, type GcPlan } from './planGc.js';
import { GcRefusal } from './refusal.js';
import { collectedSentence, deletionSentence, freedSentence } from './gcSentences.js';
import { runSweep, waitForRegistry } from './sweep.js';
import { waitForPushes } from './waitForPushes.js';

const REGISTRY_BACK_TIMEOUT_MS = 60_000;

/** Deletes the planned manifests, then sweeps; every action done so far is reported even when a later one fails. */
export async function applyGc(ctx: StepContext, plan: GcPlan): Promise<StepResult> {
  const actions: string[] = [];
  const notes = planNotes(plan);
  if (plan.deletions.length === 0 && !plan.sweep) return ok(notes);
  const registry = ctx.connections.registry();
  try {
    for (const deletion of plan.deletions) {
      ctx.progress(`Deleting ${deletion.repository}@${deletion.digest}`);
      try {
        await registry.deleteManifest(deletion.repository, deletion.digest);
        actions.push(deletionSentence(plan.registry, deletion, true));
      } catch (error) {
        // Gone already (another run, a person): the goal is reached.
        if (error instanceof RegistryError && error.status === 404) notes.push(`${deletionSentence(plan.registry, deletion, false)}: already gone`);
        else throw new GcRefusal(`Could not delete ${plan.registry}/${deletion.repository}@${deletion.digest}: ${errorMessage(error)}`, 'delete-failed');
      }
    }
    if (plan.sweep) {
      if (ctx.run.pushes.pending > 0) ctx.progress('Waiting for this run’s pushes to finish before sweeping');
      await waitForPushes(ctx.run.pushes, { timeoutMs: plan.options.pushWaitMs, signal: ctx.signal });
      const outcome = await runSweep(await ctx.connections.ssh(), plan.sweep.settings, { progress: ctx.progress, signal: ctx.signal });
      if (outcome.afterRetried) notes.push(`registry_gc.after failed once on ${plan.host} (${outcome.afterRetried}); the second attempt worked`);
      ctx.progress(`Waiting for ${plan.registry} to answer again`);
      await waitForRegistry(registry, REGISTRY_BACK_TIMEOUT_MS);
      actions.push(collectedSentence(plan.host, outcome.report));
      if (outcome.bytesBefore !== undefined && outcome.bytesAfter !== undefined)
        actions.push(freedSentence(plan.host, outcome.bytesBefore, outcome.bytesAfter));
      else notes.push(`Bytes freed not measured on ${plan.host} (no registry_gc.data_dir, or du gave no number)`);
    }
  } catch (error) {
    if (error instanceof GcRefusal) return failed(error.message, error.code, actions, notes);
    // Nothing done yet: the runner reports the host as it should (unreachable, failed). Otherwise keep what was done.
    if (actions.length === 0) throw error;
    return failed(errorMessage(error), error instanceof UnreachableError ? error.code : 'error', actions, notes);
  }
  return actions.length > 0 ? changed(actions, notes) : ok(notes);
}
