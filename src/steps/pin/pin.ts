import type { StepHandler } from '../types.js';
import { applyPin } from './applyPin.js';
import type { PinOptions } from './pinOptions.js';
import { pinChanges, pinFileDiffs, pinNotes } from './pinSentences.js';
import { planPin, type PinPlan } from './planPin.js';

/**
 * pin: on a registry host, rewrite the infra repository's references to managed images so each names the digest its tag names
 * in the registry now, and record that as one commit (with why each build changed) pushed to a branch. No checkout: the working
 * tree, index and checked-out branch are never touched.
 */
export const pinStep: StepHandler<PinPlan, PinOptions> = {
  kind: 'pin',
  plan: planPin,
  changes: pinChanges,
  notes: pinNotes,
  fileDiffs: pinFileDiffs,
  apply: applyPin,
};
