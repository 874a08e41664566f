import path from 'node:path';
import { selectHosts } from '../model/hostPattern.js';
import type { Inventory } from '../model/inventory.js';
import type { Play, Playbook, StepKind, StepSpec } from '../model/playbook.js';
import { resolveVariables } from '../model/variables.js';
import { parseWindows } from '../model/window.js';
import type { NotifyTargetSpec } from '../notify/targets.js';
import { hasErrors, sortDiagnostics, uniqueDiagnostics, type Diagnostic, type LoadResult } from './diagnostics.js';
import type { LoadOptions } from './inventory.js';
import { PLAY_RULES, stepOptionsRule } from './playbookRules.js';
import { readInput } from './readInput.js';
import { schemaDiagnostics } from './schemaErrors.js';
import { schemas } from './schemas.js';
import { isRecord, normalizeVariables } from './variables.js';
import { parseYaml } from './yamlSource.js';

/**
 * Reads and validates a playbook against the schema and against `inventory` (unknown groups, hosts without what a step
 * needs, …). Pass `undefined` when the inventory is invalid, to still report the playbook's own problems.
 */
export async function loadPlaybook(file: string, inventory: Inventory | undefined, options: LoadOptions = {}): Promise<LoadResult<Playbook>> {
  const input = await readInput(file, 'playbook');
  if ('diagnostic' in input) return { diagnostics: [input.diagnostic] };
  const parsed = parseYaml(file, input.text);
  const diagnostics: Diagnostic[] = [...parsed.diagnostics];
  if (!('data' in parsed)) return { diagnostics: sortDiagnostics(diagnostics) };

  const { source, data } = parsed;
  const { validatePlaybook, validateVariables } = schemas();
  validatePlaybook(data);
  diagnostics.push(...schemaDiagnostics(validatePlaybook.errors, { locator: source, rootLabel: 'The playbook', rootItemNoun: 'play' }));

  const dir = path.dirname(path.resolve(file));
  const env = options.env ?? process.env;
  const extraVars = options.extraVars ?? {};
  const accepted: Array<{ play: Record<string, unknown>; vars: Record<string, unknown> }> = [];
  for (const [index, play] of (Array.isArray(data) ? data : []).entries()) {
    if (!isRecord(play)) continue;
    const varsPath = [index, 'vars'];
    if (play.vars !== undefined && play.vars !== null) {
      validateVariables(play.vars);
      diagnostics.push(...schemaDiagnostics(validateVariables.errors, { locator: source, rootLabel: 'The play vars', pathPrefix: varsPath }));
    }
    const vars = normalizeVariables(play.vars, varsPath, { locator: source, baseDir: dir, env });
    diagnostics.push(...vars.diagnostics);
    const hosts = inventory && typeof play.hosts === 'string' ? selectHosts(play.hosts, inventory) : [];
    const context = {
      locator: source,
      play,
      path: [index],
      playbookDir: dir,
      inventory,
      hosts,
      varsOf: (host: string) => resolveVariables(inventory?.hosts.get(host), vars.vars, extraVars),
      playVars: resolveVariables(undefined, vars.vars, extraVars),
      env,
    };
    const found = PLAY_RULES.flatMap((rule) => rule(context));
    // An option the parser rejects where a rule already pointed (a duration, say) is said once.
    const taken = new Set(found.filter((d) => d.severity === 'error').map((d) => `${d.line}:${d.col}`));
    diagnostics.push(...found, ...stepOptionsRule(context).filter((d) => !taken.has(`${d.line}:${d.col}`)));
    accepted.push({ play, vars: vars.vars });
  }

  const sorted = sortDiagnostics(uniqueDiagnostics(diagnostics));
  if (hasErrors(sorted)) return { diagnostics: sorted };
  const plays = accepted.map(({ play, vars }) => buildPlay(play, vars));
  return { value: { file, dir, plays }, diagnostics: sorted };
}

/** The model of a play the schema accepted: `serial` as a list, steps as `{kind, options, index}`. */
function buildPlay(play: Record<string, unknown>, vars: Record<string, unknown>): Play {
  const steps = (play.steps as unknown[]).map((step, index): StepSpec => {
    if (typeof step === 'string') return { kind: step as StepKind, options: {}, index };
    const [kind, options] = Object.entries(step as Record<string, unknown>)[0]!;
    return { kind: kind as StepKind, options: isRecord(options) ? options : {}, index };
  });
  const serial = play.serial;
  return {
    name: play.name as string,
    hosts: play.hosts as string,
    ...(serial !== undefined ? { serial: Array.isArray(serial) ? (serial as Array<number | string>) : [serial as number | string] } : {}),
    ...(play.max_fail_percentage !== undefined ? { max_fail_percentage: play.max_fail_percentage as number } : {}),
    ...(play.any_errors_fatal !== undefined ? { any_errors_fatal: play.any_errors_fatal as boolean } : {}),
    ...(play.pause !== undefined ? { pause: String(play.pause) } : {}),
    ...(play.window !== undefined ? { window: parseWindows(play.window).windows } : {}),
    ...(play.notify !== undefined ? { notify: play.notify as NotifyTargetSpec[] } : {}),
    vars,
    steps,
  };
}
