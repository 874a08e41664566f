import type { StepKind } from '../model/playbook.js';
import { backupStep } from './backup.js';
import { discoverStep } from './discover.js';
import { gcStep } from './gc.js';
import { pruneStep } from './prune.js';
import { pullStep } from './pull.js';
import { pushStep } from './push.js';
import { rebuildStep } from './rebuild.js';
import { startStep } from './start.js';
import { stopStep } from './stop.js';
import type { StepHandler } from './types.js';

/** Every step kind's handler, by the name a playbook uses. */
export const STEP_HANDLERS: Record<StepKind, StepHandler> = {
  discover: discoverStep as StepHandler,
  rebuild: rebuildStep as StepHandler,
  push: pushStep as StepHandler,
  pull: pullStep as StepHandler,
  stop: stopStep as StepHandler,
  start: startStep as StepHandler,
  gc: gcStep as StepHandler,
  prune: pruneStep as StepHandler,
  backup: backupStep as StepHandler,
};
