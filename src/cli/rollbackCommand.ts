import { ConnectionPool } from '../adapters/connections.js';
import { LOCAL_PORTS } from './localPorts.js';
import { datestampFormatOf, type DatestampFormat } from '../images/datestamp.js';
import { loadInventory, parseExtraVars } from '../load/index.js';
import { registrySettings, rolloutTag, type Inventory, type RegistrySettings } from '../model/inventory.js';
import type { Playbook } from '../model/playbook.js';
import type { StepResult } from '../model/results.js';
import { resolveVariables } from '../model/variables.js';
import type { RunReport } from '../runner/report.js';
import { runPlaybook } from '../runner/runner.js';
import { loadStepHandlers } from '../steps/kinds.js';
import { EXIT } from './exitCodes.js';
import { reportDiagnostics, type Output } from './output.js';
import { runFacts, writeRunReport } from './runReport.js';

export interface RollbackFlags {
  /** The `-i` sources, in order. */
  inventory: readonly string[];
  check: boolean;
  extraVars: string[];
  /** Write the run's report (the rollback step's record and the recap) as JSON. */
  json?: string;
}

/** Which registry and rollout tag a rollback of IMAGE uses; IMAGE may carry the registry (`127.0.0.1:5055/lab/web`). */
export type RollbackTarget =
  { ok: true; host: string; settings: RegistrySettings; rolloutTag: string; repository: string; datestamps: DatestampFormat } | { ok: false; message: string };

/**
 * Picks the registry from the hosts' `registry` variables (extra variables over them): the one IMAGE names, or the only one the
 * inventory uses. Several registries and a bare IMAGE is ambiguous, so refused.
 */
export function rollbackTarget(inventory: Inventory, image: string, extraVars: Record<string, unknown>): RollbackTarget {
  const byName = new Map<string, { host: string; vars: Record<string, unknown> }>();
  for (const host of inventory.hosts.values()) {
    const vars = resolveVariables(host, {}, extraVars);
    const settings = registrySettings(vars);
    if (settings && !byName.has(settings.name)) byName.set(settings.name, { host: host.name, vars });
  }
  const named = [...byName.keys()].find((name) => image.startsWith(`${name}/`));
  const chosen = named ?? (byName.size === 1 ? [...byName.keys()][0] : undefined);
  if (chosen === undefined) {
    if (byName.size === 0) return { ok: false, message: `${inventory.file} sets no \`registry\` variable: which registry holds ${image}?` };
    return {
      ok: false,
      message: `${inventory.file} uses several registries (${[...byName.keys()].join(', ')}): name one in IMAGE, e.g. ${[...byName.keys()][0]}/${image}`,
    };
  }
  const { host, vars } = byName.get(chosen)!;
  const repository = named ? image.slice(named.length + 1) : image;
  if (!/^[a-z0-9]+(?:[._-][a-z0-9]+)*(?:\/[a-z0-9]+(?:[._-][a-z0-9]+)*)*$/.test(repository)) {
    return { ok: false, message: `${image}: not a repository name (expected something like lab/web)` };
  }
  return { ok: true, host, settings: registrySettings(vars)!, rolloutTag: rolloutTag(vars), repository, datestamps: datestampFormatOf(vars) };
}

/**
 * `freshen rollback -i INVENTORY IMAGE TAG`: runs the rollback step on a host that names the registry, through the same runner
 * as `freshen run` (plan, `--check`, apply, `--json`), and prints its one result as a sentence; returns the exit code.
 */
export async function rollbackCommand(output: Output, image: string, tag: string, flags: RollbackFlags): Promise<number> {
  const startedAt = new Date();
  const extra = parseExtraVars(flags.extraVars);
  const loaded = await loadInventory(flags.inventory, { extraVars: extra.vars });
  if (reportDiagnostics(output, [...extra.diagnostics, ...loaded.diagnostics]) || !loaded.value) return EXIT.invalidInput;
  const inventory = loaded.value;
  const target = rollbackTarget(inventory, image, extra.vars);
  if (!target.ok) {
    output.err(`freshen rollback: ${target.message}`);
    return EXIT.invalidInput;
  }
  const playbook: Playbook = {
    file: 'freshen rollback',
    dir: process.cwd(),
    plays: [
      {
        name: `Roll back ${target.repository}`,
        hosts: target.host,
        vars: {},
        steps: [{ kind: 'rollback', options: { repository: target.repository, tag }, index: 0 }],
      },
    ],
  };
  const pool = new ConnectionPool(inventory, { check: flags.check });
  let result: StepResult | undefined;
  let report: RunReport;
  try {
    report = await runPlaybook(
      playbook,
      inventory,
      { check: flags.check, extraVars: extra.vars, forks: 1, signal: new AbortController().signal },
      {
        handlers: await loadStepHandlers(['rollback']),
        connectionsOf: (name, vars) => pool.of(name, vars),
        ...LOCAL_PORTS,
        emit: (event) => void (event.type === 'step-end' && (result = event.result)),
      },
    );
  } finally {
    await pool.closeAll();
  }
  const code = result ? printResult(output, result, flags.check) : EXIT.unexpected;
  if (flags.json) {
    const facts = runFacts({ playbook: `freshen rollback ${image} ${tag}`, inventory: flags.inventory.join(', ') }, startedAt, code);
    await writeRunReport(output, flags.json, { ...report, ...facts });
  }
  return code;
}

/** The rollback step's result as `ok: …`, `changed: …` (or the check-mode sentence), or an error on stderr. */
function printResult(output: Output, result: StepResult, check: boolean): number {
  switch (result.status) {
    case 'ok':
      output.out(`ok: ${result.notes[0] ?? 'nothing to do'}`);
      return EXIT.ok;
    case 'changed':
      output.out(check ? `CHECK MODE: nothing was changed.\nwould change: ${result.actions[0]}` : `changed: ${result.actions[0]}`);
      for (const note of result.notes) output.out(note);
      return EXIT.ok;
    case 'failed':
      output.err(`freshen rollback: ${result.reason}`);
      return result.code === 'bad-option' ? EXIT.invalidInput : EXIT.hostFailed;
    case 'unreachable':
      output.err(`freshen rollback: ${result.reason}`);
      return EXIT.hostUnreachable;
    case 'skipped':
      output.err(`freshen rollback: ${result.reason}`);
      return EXIT.hostFailed;
    default: {
      const never: never = result;
      return never;
    }
  }
}
