import { formatDuration } from '../model/duration.js';
import { reasonOf } from '../model/results.js';
import type { RunEvent } from '../runner/events.js';
import { stepDiffLines } from './diff.js';

/** Renders run events as plain lines (for logs, CI and pipes): one line per step result, its actions indented below. */
export function plainLines(event: RunEvent, options: { verbose: boolean; diff?: boolean }): string[] {
  switch (event.type) {
    case 'play-start':
      return ['', `PLAY [${event.play.name}] hosts: ${event.hosts.join(', ') || '(none)'}`];
    case 'batch-start':
      return event.batchCount > 1 ? [`  batch ${event.batchIndex + 1}/${event.batchCount}: ${event.hosts.join(', ')}`] : [];
    case 'host-start':
    case 'step-start':
    case 'host-end':
      return [];
    case 'progress':
      return options.verbose ? [`  ..  [${event.host}] ${event.step.kind}: ${event.message}`] : [];
    case 'step-end': {
      const { result } = event;
      const head = `${result.status}: [${event.host}] ${event.step.kind} (${formatDuration(event.durationMs)})`;
      const why = reasonOf(result);
      const reason = why ? [`      ${why.split('\n').join('\n      ')}`] : [];
      const diff = options.diff ? stepDiffLines(result).map((line) => `    ${line}`) : [];
      return [head, ...result.actions.map((a) => `    - ${a}`), ...result.notes.map((n) => `    · ${n}`), ...diff, ...reason];
    }
    case 'play-end':
      return event.stopReason ? [`PLAY STOPPED: ${event.stopReason}`] : [];
    case 'notice':
      return [`NOTE: ${event.message}`];
    case 'run-start':
    case 'run-end':
      return [];
    default: {
      const unexpected: never = event;
      return [String(unexpected)];
    }
  }
}
