import type { Host } from './inventory.js';

/** Variables as a block of YAML gives them. */
export type Variables = Record<string, unknown>;

/**
 * The one place variables are layered: the host's inventory variables (all < parent group < child group < host, merged by the
 * loader) < the play's `vars` < `-e`. Steps, their connections, the loader's rules and rollback all read a host's variables
 * through this, so a play that sets `registry` names the registry its connections talk to.
 */
export function resolveVariables(host: Pick<Host, 'vars'> | undefined, playVars: Variables = {}, extraVars: Variables = {}): Variables {
  return { ...host?.vars, ...playVars, ...extraVars };
}
