import { defineKind } from '../stepKind.js';
import { serviceOptions } from './serviceOptions.js';

/** `service`: what the loader and the schema know of the kind; its plan and apply are in service.ts, loaded only for a run. */
export const serviceKind = defineKind({
  kind: 'service',
  needs: ['docker', 'registry'],
  summary:
    "On a Swarm manager: move each managed service to the digest its rollout tag now names, through Swarm's rolling update, and wait until it completes or rolls back.",
  options: {
    description:
      'On a Swarm manager: update every managed service (image REGISTRY/REPO:ROLLOUT_TAG, unless labelled freshen.enable=false) whose pinned digest is not the one its tag names, with this update policy, and wait for Swarm to finish.',
    type: ['object', 'null'],
    properties: {
      parallelism: {
        description: 'Tasks updated at once (default 1; 0: all at once).',
        type: 'integer',
        minimum: 0,
        examples: [1],
      },
      delay: {
        $ref: '#/$defs/duration',
        description: 'Wait between batches of tasks (default 0s).',
      },
      monitor: {
        $ref: '#/$defs/duration',
        description: 'How long Swarm watches each updated task for failure (default 5s).',
      },
      max_failure_ratio: {
        description: 'The share of tasks that may fail before the failure action (default 0).',
        type: 'number',
        minimum: 0,
        maximum: 1,
      },
      order: {
        description: 'stop-first (default) or start-first (the new task starts before the old one stops).',
        enum: ['stop-first', 'start-first'],
      },
      failure_action: {
        description: 'What Swarm does when the update fails: rollback (default), pause or continue.',
        enum: ['rollback', 'pause', 'continue'],
      },
      timeout: {
        $ref: '#/$defs/duration',
        description: "How long freshen waits for one service's update before it reports it still running (default 10m).",
      },
      cooldown: {
        $ref: '#/$defs/duration',
        description:
          'A build the rollout tag names that was created less than this ago is not rolled out yet (the service keeps its digest; the note says until when). Builds this run pushes are rolled out at once. Default: none.',
      },
    },
    additionalProperties: false,
  },
  optionsPhrase: "a map of service options (Swarm's update policy)",
  parseOptions: (raw) => serviceOptions(raw),
  load: async () => (await import('./service.js')).serviceStep,
});
