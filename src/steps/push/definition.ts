import { defineKind } from '../stepKind.js';

/** `push`: what the loader and the schema know of the kind; its plan and apply are in push.ts, loaded only for a run. */
export const pushKind = defineKind({
  kind: 'push',
  needs: ['docker', 'registry'],
  summary: 'Push what `rebuild` built (the rollout tag and the datestamp tag) and confirm the registry serves the new digest. No options.',
  // No options: the schema's `noOptions`, and nothing to parse.
  load: async () => (await import('./push.js')).pushStep,
});
