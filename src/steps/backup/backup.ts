import type { StepHandler } from '../types.js';
import type { BackupOptions } from './backupOptions.js';
import { applyBackup } from './applyBackup.js';
import { planBackup, type BackupPlan } from './planBackup.js';
import { tagSentence, totalsSentence } from './backupSentences.js';

/**
 * backup: on a registry host, copy the selected repositories and tags of its registry to another registry or an OCI image
 * layout by digest (or, with `from`, back into it): manifests byte for byte, blobs only where missing, verified as they
 * stream and read back after.
 */
export const backupStep: StepHandler<BackupPlan, BackupOptions> = {
  kind: 'backup',
  plan: planBackup,
  changes: (plan) =>
    plan.copy.tags.length === 0
      ? []
      : [
          ...plan.copy.tags.map((t) => tagSentence(plan.source.label, plan.destination.label, t, false)),
          totalsSentence(plan.source.label, plan.destination.label, plan.copy, false),
        ],
  notes: (plan) => plan.notes,
  apply: applyBackup,
};
