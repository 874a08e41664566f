import { defineKind } from '../stepKind.js';
import { parseGcOptions } from './gcOptions.js';

/** `gc`: what the loader and the schema know of the kind; its plan and apply are in gc.ts, loaded only for a run. */
export const gcKind = defineKind({
  kind: 'gc',
  needs: ['registry'],
  summary: "Delete registry tags past retention and sweep the registry's storage.",
  options: {
    description: "Delete registry tags past retention (never one still running anywhere), then sweep the registry's storage over SSH.",
    type: ['object', 'null'],
    properties: {
      keep: {
        description: 'Datestamp tags to keep per repository besides the rollout tag (default 5).',
        type: 'integer',
        minimum: 0,
        examples: [5],
      },
      sweep: {
        description: "Run the registry's garbage collection over SSH after deleting (default true; needs `ssh` and `registry_gc`).",
        type: 'boolean',
      },
      push_wait: {
        description: "How long to wait for this run's pushes to finish before sweeping, then fail (default 10m).",
        $ref: '#/$defs/duration',
      },
    },
    additionalProperties: false,
  },
  optionsPhrase: 'a map of gc options',
  parseOptions: (raw) => parseGcOptions(raw),
  load: async () => (await import('./gc.js')).gcStep,
});
