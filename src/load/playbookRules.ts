import { readFileSync, statSync } from 'node:fs';
import { checkDuration } from '../model/duration.js';
import { unknownPatternTerms } from '../model/hostPattern.js';
import type { Inventory } from '../model/inventory.js';
import { STEP_KINDS, type StepKind } from '../model/playbook.js';
import { parseWindows } from '../model/window.js';
import type { Diagnostic } from './diagnostics.js';
import { unknownStepMessage } from './schemaErrors.js';
import { STEP_KIND_SPECS } from '../steps/kinds.js';
import { OptionError } from '../steps/optionError.js';
import { stepOptionsSchema, schemas } from './schemas.js';
import { didYouMean } from './suggest.js';
import { hostsAsSubject } from '../shared/hostList.js';
import { isRecord } from './variables.js';
import type { Locator, NodePath } from './yamlSource.js';

/** What a play rule may look at. The play is raw (possibly schema-invalid) YAML data, so rules check shapes themselves. */
export interface PlayRuleContext {
  locator: Locator;
  play: Record<string, unknown>;
  /** Path of the play in the playbook (`[index]`). */
  path: NodePath;
  playbookDir: string;
  /** Absent when the inventory itself is invalid; rules about hosts then say nothing. */
  inventory?: Inventory;
  /** The hosts the play selects, in inventory order. */
  hosts: string[];
  /** A selected host's variables as its steps will see them: inventory < play `vars` < `-e`. */
  varsOf(host: string): Record<string, unknown>;
  /** The play's `vars` over `-e`, for a play that selects no host. */
  playVars: Record<string, unknown>;
  env: NodeJS.ProcessEnv;
}

/** A loader rule: one concern, every violation in the play. */
export type PlayRule = (context: PlayRuleContext) => Diagnostic[];

/** One step of a play as written: `pull` or `{stop: {timeout: 30s}}`. */
interface StepEntry {
  kind: string;
  options: unknown;
  /** Where the step name is: the string itself, or the map's key. */
  kindPath: NodePath;
  kindAt: 'key' | 'value';
  optionsPath: NodePath;
}

function stepEntries(context: PlayRuleContext): StepEntry[] {
  const steps = context.play.steps;
  if (!Array.isArray(steps)) return [];
  return steps.flatMap((step: unknown, index): StepEntry[] => {
    const stepPath = [...context.path, 'steps', index];
    if (typeof step === 'string') return [{ kind: step, options: {}, kindPath: stepPath, kindAt: 'value', optionsPath: stepPath }];
    if (!isRecord(step)) return [];
    return Object.entries(step).map(([kind, options]) => ({
      kind,
      options,
      kindPath: [...stepPath, kind],
      kindAt: 'key',
      optionsPath: [...stepPath, kind],
    }));
  });
}

const isStepKind = (kind: string): kind is StepKind => (STEP_KINDS as readonly string[]).includes(kind);

const playName = (context: PlayRuleContext): string =>
  typeof context.play.name === 'string' ? `Play "${context.play.name}"` : `Play ${Number(context.path.at(-1)) + 1}`;

/** The play's `hosts` pattern names a group or host the inventory lacks (or matches no host at all). */
export const hostPatternRule: PlayRule = (context) => {
  const pattern = context.play.hosts;
  if (typeof pattern !== 'string' || pattern.trim() === '' || !context.inventory) return [];
  const inventory = context.inventory;
  const where = [...context.path, 'hosts'];
  const unknown = unknownPatternTerms(pattern, inventory);
  const names = [...inventory.groups.keys(), ...inventory.hosts.keys()];
  const diagnostics = unknown.map((term) =>
    context.locator.diagnostic(
      where,
      /[*?[~]/.test(term)
        ? `${playName(context)} targets "${term}", which matches no group or host in ${inventory.file}`
        : `${playName(context)} targets "${term}", which is neither a group nor a host in ${inventory.file}${didYouMean(term, names)}`,
    ),
  );
  if (unknown.length === 0 && context.hosts.length === 0) {
    diagnostics.push(context.locator.diagnostic(where, `${playName(context)} selects no hosts with "${pattern}"; it will be skipped`, { severity: 'warning' }));
  }
  return diagnostics;
};

/** A step name that is not one of the step kinds. */
export const stepKindRule: PlayRule = (context) =>
  stepEntries(context)
    .filter((step) => !isStepKind(step.kind))
    .map((step) => context.locator.diagnostic(step.kindPath, unknownStepMessage(step.kind), { at: step.kindAt }));

/**
 * `pause` must be a duration freshen can wait. Steps' duration options are checked by their own parsers (stepOptionsRule),
 * with the same check (checkDuration).
 */
export const durationRule: PlayRule = (context) => {
  const pause = context.play.pause;
  if (typeof pause !== 'string' && typeof pause !== 'number') return []; // the schema reports the wrong type
  const checked = checkDuration(pause);
  return 'problem' in checked ? [context.locator.diagnostic([...context.path, 'pause'], `"pause" ${checked.problem}`)] : [];
};

/** A play's maintenance windows must name real times of day, days and time zones. */
export const windowRule: PlayRule = (context) =>
  context.play.window === undefined
    ? []
    : parseWindows(context.play.window).problems.map((p) => context.locator.diagnostic([...context.path, 'window', ...p.path], p.message));

/** A play's notify targets must find their URL variable (in the inventory's `all` group or -e) and token variable. */
export const notifyRule: PlayRule = (context) => {
  if (!Array.isArray(context.play.notify)) return [];
  const vars = { ...(context.inventory?.groups.get('all')?.vars ?? {}), ...context.playVars };
  return context.play.notify.flatMap((target: unknown, i) => {
    if (!isRecord(target)) return [];
    const at = [...context.path, 'notify', i];
    const problems: Diagnostic[] = [];
    if ((target.url === undefined) === (target.url_var === undefined)) {
      problems.push(context.locator.diagnostic(at, 'A notify target needs its URL: give url (written here) or url_var (an inventory variable), one of them'));
    }
    if (typeof target.url_var === 'string' && context.inventory !== undefined && (typeof vars[target.url_var] !== 'string' || vars[target.url_var] === '')) {
      problems.push(
        context.locator.diagnostic(
          [...at, 'url_var'],
          `The notify URL variable "${target.url_var}" is not set in the inventory's all group (nor with -e); set it to the target's URL`,
        ),
      );
    }
    if (typeof target.token_env === 'string' && !context.env[target.token_env]) {
      problems.push(
        context.locator.diagnostic(
          [...at, 'token_env'],
          `The environment variable ${target.token_env} (notify token_env) is not set; export it before running freshen`,
        ),
      );
    }
    return problems;
  });
};

const has = (vars: Record<string, unknown>, name: string): boolean =>
  name === 'registry' ? typeof vars.registry === 'string' && vars.registry !== '' : isRecord(vars[name]);

/** Steps on hosts that lack what the kind needs (its definition's `needs`): a Docker engine, a registry. */
export const stepRequirementsRule: PlayRule = (context) => {
  const diagnostics: Diagnostic[] = [];
  for (const step of stepEntries(context)) {
    if (!isStepKind(step.kind)) continue;
    const kind = step.kind;
    const lacking = (name: string): string[] => context.hosts.filter((host) => !has(context.varsOf(host), name));
    const report = (name: string, message: (hosts: string[]) => string): void => {
      const hosts = lacking(name);
      if (hosts.length > 0) diagnostics.push(context.locator.diagnostic(step.kindPath, message(hosts), { at: step.kindAt }));
    };
    const needs = STEP_KIND_SPECS[kind].needs;
    if (needs.includes('docker')) {
      report('docker', (hosts) => {
        const t = hostsAsSubject(hosts);
        return `The ${kind} step uses each host's Docker engine, but ${t.list} ${t.have} no "docker" variable; give ${t.them} one in the inventory, for example docker: {host: unix:///var/run/docker.sock}`;
      });
    }
    if (needs.includes('registry')) {
      report('registry', (hosts) => {
        const t = hostsAsSubject(hosts);
        return `The ${kind} step needs the "registry" variable (the image name prefix, host:port), but ${t.list} ${t.have} none; set it in the inventory (for example under all.vars) or in this play's vars`;
      });
    }
  }
  return diagnostics;
};

/**
 * Each step's options, parsed at load time by the step kind's own parser (the one it runs when it plans), so a value the
 * schema cannot judge (a duration, a date format, a probe, a password source) is reported here at its position, not per host
 * at run time. Parsed with the first selected host's variables (or the play's alone when it selects none).
 */
export const stepOptionsRule: PlayRule = (context) =>
  stepEntries(context).flatMap((step) => {
    if (!isStepKind(step.kind) || !(isRecord(step.options) || step.options === null)) return [];
    // What the schema already rejects (in the options or the variables) is reported once, by the schema.
    // A bare step name (`- discover`) was never checked against its options' schema: the parser says what is missing.
    if (step.kindAt === 'key' && !stepOptionsSchema(step.kind)(step.options)) return [];
    const first = context.hosts[0];
    const vars = first !== undefined ? context.varsOf(first) : context.playVars;
    if (!schemas().validateVariables(vars)) return [];
    try {
      STEP_KIND_SPECS[step.kind].parseOptions(step.options ?? {}, {
        vars,
        baseDir: context.playbookDir,
        env: context.env,
        readText: (path) => readFileSync(path, 'utf8'),
      });
      return [];
    } catch (error) {
      if (!(error instanceof OptionError)) throw error;
      const where = error.path.length > 0 && isRecord(step.options) ? [...step.optionsPath, ...error.path] : step.kindPath;
      return [context.locator.diagnostic(where, error.message, where === step.kindPath ? { at: step.kindAt } : {})];
    }
  });

/**
 * Each kind's own load checks (src/steps/<kind>/definition.ts: discover's root, backup's ends, rebuild's date format, gc's
 * sweep, stop before start), reported at the option they name, or at the step.
 */
export const stepKindChecksRule: PlayRule = (context) => {
  const list = context.play.steps;
  // A malformed list (two steps in one item, a number) is reported as such; what follows what is not known then.
  const ordered = Array.isArray(list) && list.every((step) => typeof step === 'string' || (isRecord(step) && Object.keys(step).length === 1));
  const steps = stepEntries(context);
  return steps.flatMap((step, index) => {
    if (!isStepKind(step.kind)) return [];
    const check = STEP_KIND_SPECS[step.kind].loadChecks;
    if (check === undefined) return [];
    const problems = check({
      options: isRecord(step.options) ? step.options : {},
      playbookDir: context.playbookDir,
      hosts: context.hosts,
      varsOf: context.varsOf,
      ...(ordered ? { next: { kind: steps[index + 1]?.kind } } : {}),
      pathKind,
    });
    return problems.map((problem) =>
      problem.at === undefined
        ? context.locator.diagnostic(step.kindPath, problem.message, { at: step.kindAt })
        : context.locator.diagnostic([...step.optionsPath, ...problem.at], problem.message),
    );
  });
};

/** What a path of this machine is, for the kinds' checks (steps read no file system themselves). */
function pathKind(path: string): 'directory' | 'other' | 'missing' {
  const stat = statSync(path, { throwIfNoEntry: false });
  return stat === undefined ? 'missing' : stat.isDirectory() ? 'directory' : 'other';
}

/** Every play rule, in the order their findings are usually read. */
export const PLAY_RULES: readonly PlayRule[] = [hostPatternRule, stepKindRule, durationRule, windowRule, notifyRule, stepRequirementsRule, stepKindChecksRule];
