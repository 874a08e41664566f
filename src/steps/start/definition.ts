import { defineKind } from '../stepKind.js';
import { startOptions } from '../../containers/rolloutOptions.js';

/** `start`: what the loader and the schema know of the kind; its plan and apply are in start.ts, loaded only for a run. */
export const startKind = defineKind({
  kind: 'start',
  needs: ['docker'],
  summary: 'Start the replacements, wait until healthy, and roll back on failure.',
  options: {
    description: "Start each replacement with the old container's configuration, wait until it is healthy, then remove the old one (or restore it on failure).",
    type: ['object', 'null'],
    properties: {
      healthy_timeout: {
        $ref: '#/$defs/duration',
        description:
          "How long a replacement may take to pass its gate, counted from its start: a Docker HEALTHCHECK must report healthy, and the probe (if any) must exit 0, within it (default 60s: two of Docker's default 30s health intervals).",
      },
      settle: {
        $ref: '#/$defs/duration',
        description: 'How long a container without a HEALTHCHECK must keep running, not restarting, to count as started (default 5s).',
      },
      probe: {
        description:
          "A command run inside each replacement with `docker exec` once Docker's part of the gate passed; it must exit 0, and is retried every second until `healthy_timeout`. A string runs with `sh -c`; a list is the command and its arguments, run without a shell.",
        type: ['string', 'array'],
        minLength: 1,
        minItems: 1,
        items: {
          type: 'string',
          minLength: 1,
          description: 'The command, then its arguments.',
        },
        examples: ['wget -q -O /dev/null http://127.0.0.1:8080/up', ['/app/bin/ready', '--quiet']],
      },
      parallel: {
        description:
          "How many of a host's parked containers are replaced at once, their health gates waited for together (default 4). A container sharing another's network namespace always waits for that one.",
        type: 'integer',
        minimum: 1,
        examples: [4],
      },
      order: {
        description:
          'Which instance goes first: stop-first (default) stops the old container, then starts the new one; start-first starts the new one under NAME.freshen-new and hands it the name once it passed its gate, and refuses containers that cannot run twice at once (host ports, host network, a shared network namespace, devices, a fixed address); auto takes start-first where that is safe and stop-first elsewhere, saying why.',
        enum: ['stop-first', 'start-first', 'auto'],
        examples: ['auto'],
      },
      drain: {
        $ref: '#/$defs/duration',
        description:
          'start-first: how long the new and the old container both answer the network aliases, once the new one passed its gate, before the old one leaves its networks and stops (default 2s).',
      },
    },
    additionalProperties: false,
  },
  optionsPhrase: 'a map of start options',
  parseOptions: (raw) => startOptions(raw),
  load: async () => (await import('./start.js')).startStep,
});
