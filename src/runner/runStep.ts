import { UnreachableError, errorMessage } from '../adapters/errors.js';
import { isFailureCode } from '../model/failureCodes.js';
import { recordFacts } from './recordFacts.js';
import { changed, failed, ok, skipped, unreachable, type StepResult } from '../model/results.js';
import type { StepContext, StepHandler } from '../steps/types.js';
import { STEP_KIND_SPECS, type OptionContext } from '../steps/kinds.js';

/** What a kind's parser reads besides the options, on the host a step runs on. */
export const optionContextOf = (ctx: StepContext): OptionContext => ({
  vars: ctx.vars,
  baseDir: ctx.playbookDir,
  env: process.env,
  readText: (path) => ctx.files.readTextSync(path),
});

/**
 * Plans a step with its options as the playbook wrote them: the kind's own parser makes them typed, with this host's resolved
 * variables (the loader ran it already for positions, with the first host's).
 */
export function planStep<Plan, Options>(handler: StepHandler<Plan, Options>, ctx: StepContext, rawOptions: Record<string, unknown>): Promise<Plan> {
  // The definition pairs each kind's parser with its handler (defineKind), so the parsed options are the handler's.
  return handler.plan(ctx, STEP_KIND_SPECS[handler.kind].parseOptions(rawOptions, optionContextOf(ctx)) as Options);
}

/**
 * Plans a step, reports the plan in check mode, applies it otherwise. Never throws: every outcome is a value. The plan's `diff`
 * (images before and after) rides along on the result; the runner keeps it only under `--diff`. The facts the plan announces and
 * the apply returns are recorded here, the one place they are written.
 */
export async function runStep(handler: StepHandler, ctx: StepContext, rawOptions: Record<string, unknown>): Promise<StepResult> {
  try {
    const plan = await planStep(handler, ctx, rawOptions);
    const planned = handler.planned?.(plan, ctx.check);
    if (planned) recordFacts(ctx.facts, ctx.run, planned);
    const changes = handler.changes(plan);
    const notes = handler.notes?.(plan) ?? [];
    const diff = handler.diff?.(plan) ?? [];
    const fileDiffs = handler.fileDiffs?.(plan) ?? [];
    const details = handler.details?.(plan);
    const withDiff = (result: StepResult): StepResult => {
      const withDetails = details === undefined || result.details !== undefined ? result : { ...result, details };
      return { ...withDetails, ...(diff.length > 0 ? { diff } : {}), ...(fileDiffs.length > 0 ? { fileDiffs } : {}) };
    };
    const skip = handler.skipped?.(plan);
    if (skip !== undefined) return withDiff(skipped(skip, notes));
    if (changes.length === 0) return withDiff(ok(notes));
    if (ctx.check) return withDiff(changed(changes, notes));
    const { facts, ...result } = await handler.apply(ctx, plan);
    if (facts) recordFacts(ctx.facts, ctx.run, facts);
    return withDiff(result.notes.length === 0 && notes.length > 0 ? { ...result, notes } : result);
  } catch (error) {
    if (error instanceof UnreachableError) return unreachable(error.message, error.code);
    // Errors of freshen's own carry a code from the enumerated list; anything else (a Node or library code) is `error`.
    const code = (error as { code?: unknown } | undefined)?.code;
    return failed(errorMessage(error), isFailureCode(code) ? code : 'error');
  }
}
