import { defineKind } from '../stepKind.js';
import { parseRollbackOptions } from './rollbackOptions.js';

/** `rollback`: what the loader and the schema know of the kind; its plan and apply are in rollback.ts, loaded only for a run. */
export const rollbackKind = defineKind({
  kind: 'rollback',
  needs: ['registry'],
  summary:
    "Point a repository's rollout tag back at an earlier tag's manifest, byte for byte, through the registry API; the rollout steps then carry it to the hosts.",
  options: {
    description: 'Options of the rollback step: which repository, and the earlier tag its rollout tag points back at.',
    type: 'object',
    properties: {
      repository: {
        description: 'The repository whose rollout tag moves, below the registry (`lab/web`).',
        type: 'string',
        pattern: '^[a-z0-9]+(?:[._-][a-z0-9]+)*(?:/[a-z0-9]+(?:[._-][a-z0-9]+)*)*$',
        examples: ['lab/web'],
      },
      tag: {
        description: 'The earlier tag to point the rollout tag at, usually a datestamp.',
        type: 'string',
        pattern: '^[A-Za-z0-9_][A-Za-z0-9_.-]{0,127}$',
        examples: ['20261128-0301'],
      },
    },
    required: ['repository', 'tag'],
    additionalProperties: false,
  },
  optionsPhrase: 'a map with repository and tag',
  parseOptions: (raw) => parseRollbackOptions(raw),
  load: async () => (await import('./rollback.js')).rollbackStep,
});
