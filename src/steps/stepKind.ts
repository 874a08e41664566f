import type { StepKind } from '../model/playbook.js';
import type { Variables } from '../model/variables.js';
import type { StepHandler } from './types.js';

// What one step kind declares in its folder (`src/steps/<kind>/definition.ts`): the loader, the playbook schema's step and
// options nodes, and the schema's words for messages all come from it (src/steps/kinds.ts registers it, one line a kind).

/** What an option parser may read besides the options: the host's variables, the playbook's directory, the environment. */
export interface OptionContext {
  vars: Variables;
  baseDir: string;
  env: NodeJS.ProcessEnv;
  /** Reads a small file an option names (a password file): the files port's `readTextSync`. */
  readText(path: string): string;
}

/** What a kind's load checks see of its step in a play: the options as written, the play's hosts and their variables. */
export interface StepLoadContext {
  options: Record<string, unknown>;
  playbookDir: string;
  hosts: readonly string[];
  varsOf(host: string): Variables;
  /** The play's next step (`kind` undefined: this is the last); undefined when the play's step list is malformed. */
  next?: { kind?: string };
  /** What a path of this machine is: the loader looks, since steps read no file system. */
  pathKind(path: string): 'directory' | 'other' | 'missing';
}

/** A problem a kind finds at load time: at a path below its options (`at`), or at the step's name without one. */
export interface StepLoadProblem {
  at?: readonly string[];
  message: string;
}

/** What a host must have for a step to run on it. */
export type StepNeed = 'docker' | 'registry';

/** A JSON Schema node, as the playbook schema holds it. */
export type JsonSchema = { [key: string]: unknown };

/**
 * What the loader knows of a step kind without loading its I/O. The loader runs `parseOptions` at load time, so `freshen
 * validate` reports an option mistake at its position; the step runs the same parser when it plans. Pure: imports no adapter.
 */
export interface StepKindSpec {
  kind: StepKind;
  needs: readonly StepNeed[];
  /** What the step does, in a sentence: the schema's description of the step. */
  summary: string;
  /** The JSON Schema of its options (`$defs.<kind>` of the playbook schema); absent when the step takes none (`noOptions`). */
  options?: JsonSchema;
  /** Further `$defs` its options refer to. */
  optionDefs?: Record<string, JsonSchema>;
  /** What its options map is, in words, for messages about it. */
  optionsPhrase?: string;
  /** Typed options with defaults applied; throws an OptionError naming the option. */
  parseOptions(raw: Record<string, unknown>, context: OptionContext): unknown;
  /** What the loader checks of the step in its play beyond its parser (the play's other steps, every host's variables, paths). */
  loadChecks?(context: StepLoadContext): StepLoadProblem[];
  /** The step's plan and apply, loaded only when a run uses the kind (so validate loads no Docker, SSH or HTTP code). */
  load(): Promise<StepHandler>;
}

/** A kind's definition: its handler takes the options its parser makes (`O`), so the two cannot drift apart. */
type Definition<K extends StepKind, P, O> = Omit<StepKindSpec, 'kind' | 'parseOptions' | 'load'> & {
  kind: K;
  parseOptions?: (raw: Record<string, unknown>, context: OptionContext) => O;
  load(): Promise<StepHandler<P, O>>;
};

/** A kind's definition, with the defaults of a kind that takes no options. */
export function defineKind<K extends StepKind, P, O = Record<string, never>>(definition: Definition<K, P, O>): StepKindSpec & { kind: K } {
  return { ...definition, parseOptions: definition.parseOptions ?? noOptions, load: definition.load as () => Promise<StepHandler> };
}

const noOptions = (): Record<string, never> => ({});
