import { defineKind } from '../stepKind.js';
import { parsePruneOptions } from './pruneOptions.js';

/** `prune`: what the loader and the schema know of the kind; its plan and apply are in prune.ts, loaded only for a run. */
export const pruneKind = defineKind({
  kind: 'prune',
  needs: ['docker', 'registry'],
  summary: "Remove the registry's images that no container on the host uses, keeping each managed container's previous image.",
  options: {
    description:
      "On a container host, remove the registry's images that no container uses (any state), keeping each managed container's previous image for a rollback.",
    type: ['object', 'null'],
    properties: {
      repositories: {
        description: 'Only these repositories of the registry (globs: `*` matches anything); default every repository.',
        type: 'array',
        items: {
          type: 'string',
          minLength: 1,
          description: 'A repository name or glob below the registry, e.g. `team/*`.',
        },
        examples: [['team/*']],
      },
      keep_previous: {
        description: "Keep each managed container's previous image (the newest other image of its repository) for a rollback (default true).",
        type: 'boolean',
      },
    },
    additionalProperties: false,
  },
  optionsPhrase: 'a map of prune options',
  parseOptions: (raw) => parsePruneOptions(raw),
  load: async () => (await import('./prune.js')).pruneStep,
});
