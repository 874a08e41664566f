import { UnreachableError, errorMessage } from '../adapters/errors.js';
import { changed, failed, ok, unreachable, type StepResult } from '../model/results.js';
import type { StepContext, StepHandler } from '../steps/types.js';

/** Plans a step, reports the plan in check mode, applies it otherwise. Never throws: every outcome is a value. */
export async function runStep(handler: StepHandler, ctx: StepContext, options: Record<string, unknown>): Promise<StepResult> {
  try {
    const plan = await handler.plan(ctx, options);
    const changes = handler.changes(plan);
    const notes = handler.notes?.(plan) ?? [];
    if (changes.length === 0) return ok(notes);
    if (ctx.check) return changed(changes, notes);
    const result = await handler.apply(ctx, plan);
    return result.notes.length === 0 && notes.length > 0 ? { ...result, notes } : result;
  } catch (error) {
    if (error instanceof UnreachableError) return unreachable(error.message, error.code);
    const code = (error as { code?: unknown } | undefined)?.code;
    return failed(errorMessage(error), typeof code === 'string' && /^[a-z]+(-[a-z]+)*$/.test(code) ? code : 'error');
  }
}
