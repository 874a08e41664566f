import { defineKind } from '../stepKind.js';
import { stopOptions } from '../../containers/rolloutOptions.js';

/** `stop`: what the loader and the schema know of the kind; its plan and apply are in stop.ts, loaded only for a run. */
export const stopKind = defineKind({
  kind: 'stop',
  needs: ['docker'],
  summary: "Hand the containers that have a newer image to start, which stops each right before its replacement; place the host's guard.",
  options: {
    description:
      "Pick the containers whose image has a newer local version and hand them to the start step right after it, which stops each right before its own replacement; place the host's guard first.",
    type: ['object', 'null'],
    properties: {
      timeout: {
        $ref: '#/$defs/duration',
        description: "How long a container may take to stop before it is killed (default: the container's own stop timeout, else 10s).",
      },
      guard_deadline: {
        $ref: '#/$defs/duration',
        description:
          'How long the guard stop places on the host waits without news from freshen (renewed every quarter of it while freshen works on the host) before it puts back every parked container whose replacement does not serve (default 2m, at least 2s).',
        examples: ['2m'],
      },
    },
    additionalProperties: false,
  },
  optionsPhrase: 'a map of stop options',
  parseOptions: (raw) => stopOptions(raw),
  // stop hands its containers to the start right after it, which stops each right before its own replacement.
  loadChecks: ({ next }) => {
    if (next === undefined || next.kind === 'start') return [];
    const what = next.kind === undefined ? "it is the play's last step" : `${next.kind} follows it`;
    return [{ message: `stop hands its containers to start, which stops each right before its replacement starts, but ${what}; put start right after stop` }];
  },
  load: async () => (await import('./stop.js')).stopStep,
});
