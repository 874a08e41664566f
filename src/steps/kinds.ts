import type { StepKind } from '../model/playbook.js';
import { discoverKind } from './discover/definition.js';
import { rebuildKind } from './rebuild/definition.js';
import { patchKind } from './patch/definition.js';
import { pushKind } from './push/definition.js';
import { pullKind } from './pull/definition.js';
import { stopKind } from './stop/definition.js';
import { startKind } from './start/definition.js';
import { serviceKind } from './service/definition.js';
import { gcKind } from './gc/definition.js';
import { pruneKind } from './prune/definition.js';
import { backupKind } from './backup/definition.js';
import { rollbackKind } from './rollback/definition.js';
import { pinKind } from './pin/definition.js';
import { promoteKind } from './promote/definition.js';
import { rebaseKind } from './rebase/definition.js';
import type { StepKindSpec } from './stepKind.js';
import type { StepHandler } from './types.js';

export type { OptionContext, StepKindSpec, StepNeed } from './stepKind.js';

/**
 * Every step kind, by the name a playbook uses. A kind is its folder under src/steps/ (its `definition.ts`: needs, summary,
 * options schema and parser, and its handler) and one line here; the playbook schema's step and options nodes are generated
 * from the definitions (`npm run schemas`) and a test holds the committed schema to them.
 */
export const STEP_KIND_SPECS: { readonly [K in StepKind]: StepKindSpec & { kind: K } } = {
  discover: discoverKind,
  rebuild: rebuildKind,
  patch: patchKind,
  push: pushKind,
  pull: pullKind,
  stop: stopKind,
  start: startKind,
  service: serviceKind,
  gc: gcKind,
  prune: pruneKind,
  backup: backupKind,
  rollback: rollbackKind,
  pin: pinKind,
  promote: promoteKind,
  rebase: rebaseKind,
};

/** The handlers of the kinds a run uses (every kind when none are named), loaded once each. */
export async function loadStepHandlers(
  kinds: Iterable<StepKind> = Object.keys(STEP_KIND_SPECS) as StepKind[],
): Promise<Partial<Record<StepKind, StepHandler>>> {
  const wanted = [...new Set(kinds)];
  const loaded = await Promise.all(wanted.map((kind) => STEP_KIND_SPECS[kind].load()));
  return Object.fromEntries(wanted.map((kind, i) => [kind, loaded[i]]));
}
