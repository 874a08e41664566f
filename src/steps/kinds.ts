import { datestampFormatOf } from '../images/datestamp.js';
import type { StepKind } from '../model/playbook.js';
import type { Variables } from '../model/variables.js';
import { parseBackupOptions } from './backup/options.js';
import { discoverOptions, rebuildOptions } from './build/options.js';
import { startOptions, stopOptions } from './containers/options.js';
import { parseGcOptions } from './gc/options.js';
import { parsePruneOptions } from './prune/options.js';

/** What an option parser may read besides the options: the host's variables, the playbook's directory, the environment. */
export interface OptionContext {
  vars: Variables;
  baseDir: string;
  env: NodeJS.ProcessEnv;
}

/** What a host must have for a step to run on it. */
export type StepNeed = 'docker' | 'registry';

/**
 * What the loader knows of a step kind without loading its I/O: what it needs of a host and how its options parse. The loader
 * runs `parseOptions` at load time, so `freshen validate` reports an option mistake at its position; the step runs the same
 * parser when it plans. Pure: imports no adapter.
 */
export interface StepKindSpec {
  kind: StepKind;
  needs: readonly StepNeed[];
  /** Typed options with defaults applied; throws an OptionError naming the option. */
  parseOptions(raw: Record<string, unknown>, context: OptionContext): unknown;
}

const noOptions = (): Record<string, never> => ({});

/** Every step kind, by the name a playbook uses. A new kind is one entry here and one in STEP_HANDLERS. */
export const STEP_KIND_SPECS: { readonly [K in StepKind]: StepKindSpec & { kind: K } } = {
  discover: { kind: 'discover', needs: ['docker', 'registry'], parseOptions: (raw, { vars }) => discoverOptions(raw, vars) },
  rebuild: { kind: 'rebuild', needs: ['docker', 'registry'], parseOptions: (raw, { vars }) => rebuildOptions(raw, datestampFormatOf(vars).pattern) },
  push: { kind: 'push', needs: ['docker', 'registry'], parseOptions: noOptions },
  pull: { kind: 'pull', needs: ['docker', 'registry'], parseOptions: noOptions },
  stop: { kind: 'stop', needs: ['docker'], parseOptions: (raw) => stopOptions(raw) },
  start: { kind: 'start', needs: ['docker'], parseOptions: (raw) => startOptions(raw) },
  gc: { kind: 'gc', needs: ['registry'], parseOptions: (raw) => parseGcOptions(raw) },
  prune: { kind: 'prune', needs: ['docker', 'registry'], parseOptions: (raw) => parsePruneOptions(raw) },
  backup: { kind: 'backup', needs: ['registry'], parseOptions: (raw, { baseDir, env }) => parseBackupOptions(raw, baseDir, env) },
};
