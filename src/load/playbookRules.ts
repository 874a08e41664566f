import { readFileSync, statSync } from 'node:fs';
import path from 'node:path';
import { datestampFormatOf } from '../images/datestamp.js';
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

/** `web1`, `web1 and web2`, `web1, web2, web3, web4 and 3 more`. */
export function hostList(hosts: readonly string[]): string {
  if (hosts.length <= 1) return hosts.join('');
  const shown = hosts.length > 5 ? [...hosts.slice(0, 4), `${hosts.length - 4} more`] : [...hosts];
  return `${shown.slice(0, -1).join(', ')} and ${shown.at(-1)}`;
}

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

/** `discover`'s `root` must be an existing directory (relative to the playbook). */
export const discoverRootRule: PlayRule = (context) =>
  stepEntries(context).flatMap((step) => {
    if (step.kind !== 'discover' || !isRecord(step.options) || typeof step.options.root !== 'string' || step.options.root === '') return [];
    const root = step.options.root;
    const absolute = path.resolve(context.playbookDir, root);
    const stat = statSync(absolute, { throwIfNoEntry: false });
    if (stat?.isDirectory()) return [];
    const problem = stat ? `is not a directory (${absolute})` : `does not exist (looked for ${absolute})`;
    return [
      context.locator.diagnostic(
        [...step.optionsPath, 'root'],
        `The discover root "${root}" ${problem}; point root at the directory holding one directory per image, relative to the playbook`,
      ),
    ];
  });

const has = (vars: Record<string, unknown>, name: string): boolean =>
  name === 'registry' ? typeof vars.registry === 'string' && vars.registry !== '' : isRecord(vars[name]);

/** Steps on hosts that lack what the step needs: a Docker engine, a registry, and for gc's sweep SSH and `registry_gc`. */
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
    const they = (hosts: string[]): { list: string; have: string; them: string } =>
      hosts.length === 1 ? { list: hosts[0]!, have: 'has', them: 'it' } : { list: hostList(hosts), have: 'have', them: 'them' };
    const needs = STEP_KIND_SPECS[kind].needs;
    if (needs.includes('docker')) {
      report('docker', (hosts) => {
        const t = they(hosts);
        return `The ${kind} step uses each host's Docker engine, but ${t.list} ${t.have} no "docker" variable; give ${t.them} one in the inventory, for example docker: {host: unix:///var/run/docker.sock}`;
      });
    }
    if (needs.includes('registry')) {
      report('registry', (hosts) => {
        const t = they(hosts);
        return `The ${kind} step needs the "registry" variable (the image name prefix, host:port), but ${t.list} ${t.have} none; set it in the inventory (for example under all.vars) or in this play's vars`;
      });
    }
    if (kind === 'gc' && !(isRecord(step.options) && step.options.sweep === false)) {
      report('ssh', (hosts) => {
        const t = they(hosts);
        return `The gc step sweeps the registry over SSH, but ${t.list} ${t.have} no "ssh" variable; give ${t.them} one, for example ssh: {host: registry.example.org, user: admin}, or set sweep: false`;
      });
      report('registry_gc', (hosts) => {
        const t = they(hosts);
        return `The gc step sweeps the registry with the "registry_gc" commands, but ${t.list} ${t.have} none; give ${t.them} registry_gc: {command: …}, or set sweep: false`;
      });
    }
  }
  return diagnostics;
};

/** `backup` takes `to` or `from`, not both, and each end is a registry or an OCI layout, not both (the schema's oneOf is silent on "both"). */
export const backupEndsRule: PlayRule = (context) =>
  stepEntries(context).flatMap((step) => {
    if (step.kind !== 'backup' || !isRecord(step.options)) return [];
    const options = step.options;
    if (options.to !== undefined && options.from !== undefined) {
      return [
        context.locator.diagnostic(
          [...step.optionsPath, 'from'],
          'The backup step takes one of "to" (copy the host\'s registry out) or "from" (copy into it), not both',
        ),
      ];
    }
    const key = options.to !== undefined ? 'to' : 'from';
    const end = options[key];
    if (!isRecord(end) || end.registry === undefined || end.oci_layout === undefined) return [];
    return [
      context.locator.diagnostic(
        [...step.optionsPath, key, 'oci_layout'],
        `The backup step's "${key}" is a registry or an OCI layout, not both: keep "registry" or "oci_layout"`,
      ),
    ];
  });

/**
 * rebuild's `date_format` option must agree with the variable `date_format` on every host of the play: gc's retention, discover's
 * rollback hold and `freshen rollback` read the variable, and would not recognise tags written in another format.
 */
export const dateFormatRule: PlayRule = (context) =>
  stepEntries(context).flatMap((step) => {
    if (step.kind !== 'rebuild' || !isRecord(step.options) || typeof step.options.date_format !== 'string') return [];
    const option = step.options.date_format;
    const differing = context.hosts.filter((host) => datestampFormatOf(context.varsOf(host)).pattern !== option);
    if (differing.length === 0) return [];
    const variable = datestampFormatOf(context.varsOf(differing[0]!)).pattern;
    return [
      context.locator.diagnostic(
        [...step.optionsPath, 'date_format'],
        `rebuild's date_format "${option}" differs from the variable date_format ("${variable}" on ${hostList(differing)}), which gc, discover and rollback read to recognise datestamp tags; set date_format: "${option}" in the inventory (or this play's vars) and drop this option`,
      ),
    ];
  });

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
 * `stop` hands its containers to the `start` right after it, which stops each one right before its own replacement: a step in
 * between, or no start, would leave nothing to stop them.
 */
export const stopThenStartRule: PlayRule = (context) => {
  const list = context.play.steps;
  // A malformed list (two steps in one item, a number) is reported as such; what follows what is not known then.
  if (!Array.isArray(list) || !list.every((step) => typeof step === 'string' || (isRecord(step) && Object.keys(step).length === 1))) return [];
  const steps = stepEntries(context);
  return steps.flatMap((step, index) => {
    if (step.kind !== 'stop' || steps[index + 1]?.kind === 'start') return [];
    const next = steps[index + 1];
    const what = next === undefined ? "it is the play's last step" : `${next.kind} follows it`;
    return [
      context.locator.diagnostic(
        step.kindPath,
        `stop hands its containers to start, which stops each right before its replacement starts, but ${what}; put start right after stop`,
        { at: step.kindAt },
      ),
    ];
  });
};

/** Every play rule, in the order their findings are usually read. */
export const PLAY_RULES: readonly PlayRule[] = [
  hostPatternRule,
  stepKindRule,
  durationRule,
  windowRule,
  notifyRule,
  discoverRootRule,
  stepRequirementsRule,
  backupEndsRule,
  dateFormatRule,
  stopThenStartRule,
];
