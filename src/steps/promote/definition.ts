import { stagesOf } from '../../model/inventory.js';
import { hostsAsSubject } from '../../shared/hostList.js';
import { durationOption, repositoryGlobsOption } from '../optionError.js';
import { defineKind } from '../stepKind.js';
import { DEFAULT_SOAK, type PromoteOptions } from './promoteOptions.js';

/** `promote`: what the loader and the schema know of the kind; its plan and apply are in promote.ts, loaded only for a run. */
export const promoteKind = defineKind({
  kind: 'promote',
  needs: ['registry'],
  summary:
    "Move each later stage's rollout tag (the `stages` variable) to the build the stage before it has run on every one of its hosts for the soak time, healthy and never rolled back.",
  options: {
    description: 'How long a build soaks on a stage before the next stage gets it, and which repositories are promoted.',
    type: ['object', 'null'],
    properties: {
      soak: {
        description: `How long every host of a stage must have run a build before the next stage's tag moves to it (default ${DEFAULT_SOAK}).`,
        $ref: '#/$defs/duration',
        examples: ['24h', '3d'],
      },
      images: {
        description: "Repository names or globs of the host's registry that are promoted (default: every repository with the first stage's tag).",
        type: 'array',
        items: { type: 'string', minLength: 1 },
      },
    },
    additionalProperties: false,
  },
  optionsPhrase: 'a map of promote options',
  parseOptions: (raw): PromoteOptions => {
    const images = repositoryGlobsOption(raw, 'images');
    // A soak is compared with the time since adoption, never waited for: no upper bound.
    const soakMs = durationOption(raw, ['soak'], { fallback: DEFAULT_SOAK, age: true });
    return { soakMs, ...(images === undefined ? {} : { images }) };
  },
  loadChecks: ({ hosts, varsOf }) => {
    const problems = [];
    const lacking = hosts.filter((host) => stagesOf(varsOf(host)).length < 2);
    if (lacking.length > 0) {
      const t = hostsAsSubject(lacking);
      problems.push({
        message: `The promote step moves each stage's tag in the order of the "stages" variable, but ${t.list} ${t.have} none; give ${t.them} stages: [canary, prod] (the rollout tags, first stage first)`,
      });
    }
    const twice = new Set(hosts.flatMap((host) => stagesOf(varsOf(host)).filter((stage, i, all) => all.indexOf(stage) !== i)));
    if (twice.size > 0) problems.push({ message: `The "stages" variable names ${[...twice].join(', ')} twice; a stage comes once, in its place` });
    return problems;
  },
  load: async () => (await import('./promote.js')).promoteStep,
});
