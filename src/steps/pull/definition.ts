import { durationOption } from '../optionError.js';
import { defineKind } from '../stepKind.js';
import type { PullOptions } from './pullOptions.js';

/** `pull`: what the loader and the schema know of the kind; its plan and apply are in pull.ts, loaded only for a run. */
export const pullKind = defineKind({
  kind: 'pull',
  needs: ['docker', 'registry'],
  summary: "Pull the managed images whose registry digest differs from what the host's containers run.",
  options: {
    description: 'Which builds pull takes: every new one (default), or only those older than a cooldown.',
    type: ['object', 'null'],
    properties: {
      cooldown: {
        $ref: '#/$defs/duration',
        description:
          'A build the rollout tag names that was created less than this ago is not pulled yet (the containers keep their image; the note says until when). Builds this run pushes are pulled at once. Default: none.',
        examples: ['6h'],
      },
    },
    additionalProperties: false,
  },
  optionsPhrase: 'a map of pull options',
  parseOptions: (raw): PullOptions => {
    const cooldownMs = durationOption(raw, ['cooldown'], { age: true });
    return cooldownMs === undefined ? {} : { cooldownMs };
  },
  load: async () => (await import('./pull.js')).pullStep,
});
