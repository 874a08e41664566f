import { repositoryGlobsOption } from '../optionError.js';
import { defineKind } from '../stepKind.js';
import type { RebaseOptions } from './rebaseOptions.js';

/** `rebase`: what the loader and the schema know of the kind; its plan and apply are in rebase.ts, loaded only for a run. */
export const rebaseKind = defineKind({
  kind: 'rebase',
  needs: ['registry'],
  summary:
    'Move images whose only staleness is a changed base onto the new base without a build, where their own layers provably do not touch what the base changed; the rest stay stale for a rebuild or patch later in the play.',
  options: {
    description: 'Which images are rebased; everything else is read from the registry (the images, their bases and their labels).',
    type: ['object', 'null'],
    properties: {
      images: {
        description:
          "Repository names or globs of the host's registry to rebase when their base changed (default: the images a discover step before it on this host found stale).",
        type: 'array',
        items: { type: 'string', minLength: 1 },
      },
    },
    additionalProperties: false,
  },
  optionsPhrase: 'a map of rebase options',
  parseOptions: (raw): RebaseOptions => {
    const images = repositoryGlobsOption(raw, 'images');
    return images === undefined ? {} : { images };
  },
  load: async () => (await import('./rebase.js')).rebaseStep,
});
