import { serviceOptions } from './service/serviceOptions.js';
import { datestampFormatOf } from '../images/datestamp.js';
import type { StepKind } from '../model/playbook.js';
import type { Variables } from '../model/variables.js';
import { startOptions, stopOptions } from '../containers/rolloutOptions.js';
import { parseBackupOptions } from './backup/backupOptions.js';
import { discoverOptions, rebuildOptions } from './imageOptions.js';
import { parseGcOptions } from './gc/gcOptions.js';
import { patchOptions } from './patch/patchOptions.js';
import { parsePruneOptions } from './prune/pruneOptions.js';
import { parseRollbackOptions } from './rollback/rollbackOptions.js';
import type { StepHandler } from './types.js';

/** What an option parser may read besides the options: the host's variables, the playbook's directory, the environment. */
export interface OptionContext {
  vars: Variables;
  baseDir: string;
  env: NodeJS.ProcessEnv;
  /** Reads a small file an option names (a password file): the files port's `readTextSync`. */
  readText(path: string): string;
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
  /** The step's plan and apply, loaded only when a run uses the kind (so validate loads no Docker, SSH or HTTP code). */
  load(): Promise<StepHandler>;
}

const noOptions = (): Record<string, never> => ({});

const handler = <P>(step: StepHandler<P>): StepHandler => step as StepHandler;

/**
 * Every step kind, by the name a playbook uses: a new kind is its folder under src/steps/ and one entry here (plus its options
 * in the playbook schema, which a test holds against this list).
 */
export const STEP_KIND_SPECS: { readonly [K in StepKind]: StepKindSpec & { kind: K } } = {
  discover: {
    kind: 'discover',
    needs: ['docker', 'registry'],
    parseOptions: (raw, { vars }) => discoverOptions(raw, vars),
    load: async () => handler((await import('./discover/discover.js')).discoverStep),
  },
  rebuild: {
    kind: 'rebuild',
    needs: ['docker', 'registry'],
    parseOptions: (raw, { vars }) => rebuildOptions(raw, datestampFormatOf(vars).pattern),
    load: async () => handler((await import('./rebuild/rebuild.js')).rebuildStep),
  },
  patch: {
    kind: 'patch',
    needs: ['docker', 'registry'],
    parseOptions: (raw, { vars }) => patchOptions(raw, vars),
    load: async () => handler((await import('./patch/patch.js')).patchStep),
  },
  push: { kind: 'push', needs: ['docker', 'registry'], parseOptions: noOptions, load: async () => handler((await import('./push/push.js')).pushStep) },
  pull: { kind: 'pull', needs: ['docker', 'registry'], parseOptions: noOptions, load: async () => handler((await import('./pull/pull.js')).pullStep) },
  stop: { kind: 'stop', needs: ['docker'], parseOptions: (raw) => stopOptions(raw), load: async () => handler((await import('./stop/stop.js')).stopStep) },
  start: {
    kind: 'start',
    needs: ['docker'],
    parseOptions: (raw) => startOptions(raw),
    load: async () => handler((await import('./start/start.js')).startStep),
  },
  service: {
    kind: 'service',
    needs: ['docker', 'registry'],
    parseOptions: (raw) => serviceOptions(raw),
    load: async () => handler((await import('./service/service.js')).serviceStep),
  },
  gc: { kind: 'gc', needs: ['registry'], parseOptions: (raw) => parseGcOptions(raw), load: async () => handler((await import('./gc/gc.js')).gcStep) },
  prune: {
    kind: 'prune',
    needs: ['docker', 'registry'],
    parseOptions: (raw) => parsePruneOptions(raw),
    load: async () => handler((await import('./prune/prune.js')).pruneStep),
  },
  backup: {
    kind: 'backup',
    needs: ['registry'],
    parseOptions: (raw, reading) => parseBackupOptions(raw, reading),
    load: async () => handler((await import('./backup/backup.js')).backupStep),
  },
  rollback: {
    kind: 'rollback',
    needs: ['registry'],
    parseOptions: (raw) => parseRollbackOptions(raw),
    load: async () => handler((await import('./rollback/rollback.js')).rollbackStep),
  },
};

/** The handlers of the kinds a run uses (every kind when none are named), loaded once each. */
export async function loadStepHandlers(
  kinds: Iterable<StepKind> = Object.keys(STEP_KIND_SPECS) as StepKind[],
): Promise<Partial<Record<StepKind, StepHandler>>> {
  const wanted = [...new Set(kinds)];
  const loaded = await Promise.all(wanted.map((kind) => STEP_KIND_SPECS[kind].load()));
  return Object.fromEntries(wanted.map((kind, i) => [kind, loaded[i]]));
}
