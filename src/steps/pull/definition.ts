import { defineKind } from '../stepKind.js';

/** `pull`: what the loader and the schema know of the kind; its plan and apply are in pull.ts, loaded only for a run. */
export const pullKind = defineKind({
  kind: 'pull',
  needs: ['docker', 'registry'],
  summary: "Pull the managed images whose registry digest differs from what the host's containers run. No options.",
  // No options: the schema's `noOptions`, and nothing to parse.
  load: async () => (await import('./pull.js')).pullStep,
});
