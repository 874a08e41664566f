import type { Playbook, StepKind } from '../model/playbook.js';

/**
 * The steps whose check-mode plans say what status shows: what is stale, what each container and service runs, and where each
 * build stands between stages.
 */
const STATUS_STEPS: ReadonlySet<StepKind> = new Set(['discover', 'patch', 'pull', 'service', 'promote']);

/**
 * The playbook status runs in check mode: each play with only its read-only planning steps, all hosts at once and at any
 * time (batches, pauses and maintenance windows pace changes, and status changes nothing). No play stops the run: a
 * builder or registry that cannot be asked is news status reports, not a reason to leave the container hosts unasked.
 */
export function statusPlaybook(playbook: Playbook): Playbook {
  const plays = playbook.plays
    .map(({ serial: _serial, pause: _pause, window: _window, any_errors_fatal: _fatal, ...play }) => ({
      ...play,
      max_fail_percentage: 100,
      steps: play.steps.filter((step) => STATUS_STEPS.has(step.kind)),
    }))
    .filter((play) => play.steps.length > 0);
  return { ...playbook, plays };
}
