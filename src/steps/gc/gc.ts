import type { StepHandler } from '../types.js';
import type { GcOptions } from './gcOptions.js';
import { applyGc } from './applyGc.js';
import { planGc, planNotes, type GcPlan } from './planGc.js';
import { deletionSentence, sweepSentence } from './gcSentences.js';

/**
 * gc: on a registry host, delete the manifests whose datestamp tags are past retention (never one an inventory host still
 * uses), then run the registry's own garbage collection over SSH and report the bytes freed.
 */
export const gcStep: StepHandler<GcPlan, GcOptions> = {
  kind: 'gc',
  plan: planGc,
  changes: (plan) => [
    ...plan.deletions.map((d) => deletionSentence(plan.registry, d, false)),
    ...(plan.sweep ? [sweepSentence(plan.host, plan.sweep.estimate)] : []),
  ],
  notes: planNotes,
  skipped: (plan) => plan.skip,
  apply: applyGc,
};
