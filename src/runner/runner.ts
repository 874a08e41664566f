import type { HostConnections } from '../adapters/types.js';
import { batches, exceedsMaxFail } from '../model/batches.js';
import { MAX_WAIT_MS, parseDuration } from '../model/duration.js';
import { selectHosts } from '../model/hostPattern.js';
import type { Inventory } from '../model/inventory.js';
import type { Play, Playbook, StepKind } from '../model/playbook.js';
import { failed, skipped, type StepResult } from '../model/results.js';
import { resolveVariables, type Variables } from '../model/variables.js';
import { describeInstant, describeWindow, windowState } from '../model/window.js';
import type { StepContext, StepHandler } from '../steps/types.js';
import { monotonicClock, type RunClock, type RunMoment } from './clock.js';
import type { EmitEvent, RunEventBody } from './events.js';
import { newRunState, type HostFacts, type RunState } from '../steps/facts.js';
import { recordFacts } from './recordFacts.js';
import type { Files } from '../images/files.js';
import type { HostGuard } from '../containers/hostGuardPort.js';
import { mapLimit } from '../shared/mapLimit.js';
import { recapOf, stepRecord, type PlayRecord, type RunReport } from './report.js';
import { runStep } from './runStep.js';

/** How a run was asked for on the command line. */
export interface RunOptions {
  check: boolean;
  /** `--limit`: a host pattern intersected with every play's hosts. */
  limit?: string;
  extraVars: Record<string, unknown>;
  forks: number;
  /** `--diff`: keep each step's images before and after in its result. */
  diff?: boolean;
  /** `--ignore-window`: run plays outside their maintenance windows. */
  ignoreWindow?: boolean;
  /**
   * Aborted on Ctrl-C: nothing new starts, and steps in flight wind down (start rolls back the replacement it is waiting for).
   * A host with containers parked by `stop` still runs its `start` step, which puts them back, so no container is left down.
   */
  signal: AbortSignal;
}

/** What the runner needs from the outside, so tests can hand in their own. */
export interface RunDeps {
  /** The handlers of (at least) the kinds the playbook uses. */
  handlers: Partial<Record<StepKind, StepHandler>>;
  /** A host's connections, made from its resolved variables (connections differ when the variables do). */
  connectionsOf(hostName: string, vars: Variables): HostConnections;
  emit: EmitEvent;
  /** Stamps events and step records; a fresh monotonic clock per run unless a test hands in its own. */
  clock?: RunClock;
  /** The wall clock maintenance windows, stage records and soak times are judged by (ms since the epoch); Date.now unless a test hands in its own. */
  now?: () => number;
  /** The host guard stop places (src/adapters/hostGuard.ts: a shell beside each host's engine). */
  guard: HostGuard;
  /** The control node's files steps read (src/adapters/localFiles.ts). */
  files: Files;
}

/** Emits an event at a moment of the run (a new one unless given) and returns that moment. */
type Emit = (body: RunEventBody, moment?: RunMoment) => RunMoment;

function sequencedEmit(emit: EmitEvent, clock: RunClock): Emit {
  return (body, moment = clock.next()) => {
    emit({ ...body, seq: moment.seq, at: moment.ms });
    return moment;
  };
}

type HostOutcome = 'ok' | 'failed' | 'unreachable' | 'interrupted';

/** Runs every play in order; a host that fails or is unreachable takes no further part, as with ansible-playbook. */
export async function runPlaybook(playbook: Playbook, inventory: Inventory, options: RunOptions, deps: RunDeps): Promise<RunReport> {
  const run: RunState = newRunState();
  const facts = new Map<string, HostFacts>();
  /** Hosts that failed or were unreachable, with the play they were retired in. */
  const retired = new Map<string, string>();
  const plays: PlayRecord[] = [];
  const clock = deps.clock ?? monotonicClock();
  const emit = sequencedEmit(deps.emit, clock);
  let stopRun = false;
  emit({ type: 'run-start', check: options.check, plays: playbook.plays.length });

  for (const [playIndex, play] of playbook.plays.entries()) {
    if (stopRun || options.signal.aborted) break;
    const record: PlayRecord = { name: play.name, hosts: {} };
    plays.push(record);
    const targeted = playHosts(play, inventory, options.limit);
    const hosts = targeted.filter((h) => !retired.has(h));
    const batchList = batches(hosts, play.serial);
    emit({ type: 'play-start', playIndex, play, hosts, batches: batchList });
    // As ansible-playbook, a retired host takes no part; its steps are reported skipped, saying why.
    for (const host of targeted.filter((h) => retired.has(h))) {
      skipHost({ play, playIndex, host, emit, clock, record }, `${host} failed in the play "${retired.get(host)}"; not run`);
    }
    if (hosts.length === 0) {
      emit({ type: 'notice', message: `No hosts matched "${play.hosts}"${options.limit ? ` limited to "${options.limit}"` : ''}; skipping play.` });
    }
    const closed = (): string | undefined => (options.ignoreWindow ? undefined : windowClosed(play, (deps.now ?? Date.now)()));
    const outside = hosts.length > 0 ? closed() : undefined;
    if (outside !== undefined) {
      emit({ type: 'notice', message: `Play "${play.name}": ${outside}; its hosts are skipped (--ignore-window runs it anyway).` });
      for (const host of hosts) skipHost({ play, playIndex, host, emit, clock, record }, outside);
    }
    for (const [batchIndex, batch] of outside === undefined ? batchList.entries() : []) {
      // A check run changes nothing that needs time to settle, so it does not wait between batches.
      if (batchIndex > 0 && play.pause && !options.check) await pause(parseDuration(play.pause) ?? 0, options.signal);
      if (options.signal.aborted) break;
      // A batch is never started once the window has closed; the ones already done stay done.
      const lateBy = batchIndex > 0 ? closed() : undefined;
      if (lateBy !== undefined) {
        for (const host of batchList.slice(batchIndex).flat()) skipHost({ play, playIndex, host, emit, clock, record }, `not started: ${lateBy}`);
        record.stopped = `the maintenance window closed before batch ${batchIndex + 1} of ${batchList.length}`;
        break;
      }
      emit({ type: 'batch-start', playIndex, batchIndex, batchCount: batchList.length, hosts: batch });
      const outcomes = await mapLimit(batch, options.forks, (host) =>
        runHost({ playbook, play, playIndex, host, inventory, options, deps, emit, clock, run, facts, record }),
      );
      outcomes.forEach((outcome, i) => {
        if (outcome === 'failed' || outcome === 'unreachable') retired.set(batch[i]!, play.name);
      });
      // An interrupted batch is reported as interrupted, whatever its hosts' outcomes.
      if (options.signal.aborted) break;
      const stopReason = batchStopReason(play, outcomes);
      if (stopReason) {
        record.stopped = stopReason;
        stopRun = true;
        break;
      }
    }
    if (options.signal.aborted) record.stopped ??= 'interrupted';
    emit({ type: 'play-end', playIndex, ...(record.stopped ? { stopReason: record.stopped } : {}) });
  }
  const report: RunReport = { check: options.check, plays, recap: recapOf(plays), interrupted: options.signal.aborted };
  emit({ type: 'run-end', report });
  return report;
}

/** Why the play may not start (a batch) at `now`: outside every one of its maintenance windows, saying when the next opens. */
function windowClosed(play: Play, now: number): string | undefined {
  if (play.window === undefined || play.window.length === 0) return undefined;
  const state = windowState(play.window, now);
  if (state.open) return undefined;
  return `outside the maintenance window (${play.window.map(describeWindow).join('; ')}); the next opens ${describeInstant(state.opensAt, state.window.timeZone)}`;
}

/** The hosts a play targets, intersected with `--limit`, in inventory order. */
export function playHosts(play: Play, inventory: Inventory, limit: string | undefined): string[] {
  const hosts = selectHosts(play.hosts, inventory);
  if (!limit) return hosts;
  const allowed = new Set(selectHosts(limit, inventory));
  return hosts.filter((h) => allowed.has(h));
}

/** Why the play (and the run) must stop after this batch, if it must. */
function batchStopReason(play: Play, outcomes: HostOutcome[]): string | undefined {
  const failedCount = outcomes.filter((o) => o === 'failed' || o === 'unreachable').length;
  if (failedCount === 0) return undefined;
  if (play.any_errors_fatal) return `a host failed and any_errors_fatal is set`;
  if (play.max_fail_percentage !== undefined && exceedsMaxFail(failedCount, outcomes.length, play.max_fail_percentage)) {
    return `${failedCount} of ${outcomes.length} hosts in the batch failed, more than max_fail_percentage ${play.max_fail_percentage}%`;
  }
  // max_fail_percentage, when set, is the whole rule (100 tolerates a batch that failed entirely), as in ansible-playbook.
  if (failedCount === outcomes.length && play.max_fail_percentage === undefined) return `every host in the batch failed`;
  return undefined;
}

interface HostRun {
  playbook: Playbook;
  play: Play;
  playIndex: number;
  host: string;
  inventory: Inventory;
  options: RunOptions;
  deps: RunDeps;
  emit: Emit;
  clock: RunClock;
  run: RunState;
  facts: Map<string, HostFacts>;
  record: PlayRecord;
}

async function runHost(job: HostRun): Promise<HostOutcome> {
  const { play, playIndex, host, deps, emit, options } = job;
  const records = (job.record.hosts[host] = [] as PlayRecord['hosts'][string]);
  emit({ type: 'host-start', playIndex, host, steps: play.steps });
  let outcome: HostOutcome = 'ok';
  for (const step of play.steps) {
    if (options.signal.aborted) {
      outcome = 'interrupted';
      if (!deps.handlers[step.kind]?.settlesLeftovers?.(job.facts.get(host) ?? {})) continue;
    }
    const started = emit({ type: 'step-start', playIndex, host, step });
    const ctx = stepContext(job, (message) => void emit({ type: 'progress', playIndex, host, step, message }));
    const handler = deps.handlers[step.kind];
    const stepResult = handler ? await runStep(handler, ctx, step.options) : failed(`no handler was loaded for the step ${step.kind}`, 'error');
    const result = options.diff ? stepResult : withoutDiff(stepResult);
    const ended = job.clock.next();
    records.push(stepRecord(step.kind, result, started, ended));
    emit({ type: 'step-end', playIndex, host, step, result, durationMs: ended.ms - started.ms }, ended);
    if (result.status === 'failed' || result.status === 'unreachable') {
      outcome = result.status;
      break;
    }
  }
  await finishHost(job);
  emit({ type: 'host-end', playIndex, host, status: outcome });
  return outcome;
}

/** Lets every step kind of the play undo what it left for the host's later steps; never throws. */
async function finishHost(job: HostRun): Promise<void> {
  const kinds = new Set(job.play.steps.map((step) => step.kind));
  for (const kind of kinds) {
    const handler = job.deps.handlers[kind];
    if (handler?.finishHost === undefined) continue;
    const ctx = stepContext(job, () => undefined);
    const facts = await handler.finishHost(ctx).catch(() => undefined);
    if (facts) recordFacts(ctx.facts, job.run, facts);
  }
}

/** Records every step of the play as skipped on a host that takes no part, with events like a host that ran. */
function skipHost(job: Pick<HostRun, 'play' | 'playIndex' | 'host' | 'emit' | 'clock' | 'record'>, reason: string): void {
  const { play, playIndex, host, emit } = job;
  const records = (job.record.hosts[host] = [] as PlayRecord['hosts'][string]);
  emit({ type: 'host-start', playIndex, host, steps: play.steps });
  for (const step of play.steps) {
    const started = emit({ type: 'step-start', playIndex, host, step });
    const result = skipped(reason);
    const ended = job.clock.next();
    records.push(stepRecord(step.kind, result, started, ended));
    emit({ type: 'step-end', playIndex, host, step, result, durationMs: ended.ms - started.ms }, ended);
  }
  emit({ type: 'host-end', playIndex, host, status: 'skipped' });
}

const withoutDiff = ({ diff: _diff, fileDiffs: _files, ...result }: StepResult): StepResult => result;

function stepContext(job: HostRun, progress: (message: string) => void): StepContext {
  const { inventory, play, options, deps } = job;
  const host = inventory.hosts.get(job.host)!;
  const facts = job.facts.get(job.host) ?? {};
  job.facts.set(job.host, facts);
  const vars = resolveVariables(host, play.vars, options.extraVars);
  return {
    host,
    vars,
    check: options.check,
    playbookDir: job.playbook.dir,
    inventory,
    connections: deps.connectionsOf(job.host, vars),
    // Other hosts (gc asks every engine what it runs) are seen as the inventory and -e describe them: play vars are this play's.
    connectionsOf: (name) => deps.connectionsOf(name, resolveVariables(inventory.hosts.get(name), {}, options.extraVars)),
    facts,
    run: job.run,
    guard: deps.guard,
    files: deps.files,
    signal: job.options.signal,
    progress,
    now: deps.now ?? Date.now,
  };
}

/** Waits between batches; Ctrl-C cuts the wait short. */
function pause(ms: number, signal: AbortSignal): Promise<void> {
  return new Promise((resolve) => {
    // A longer timer would fire at once (the loader refuses such a pause; this keeps the runner safe on its own).
    const timer = setTimeout(done, Math.min(ms, MAX_WAIT_MS));
    signal.addEventListener('abort', done, { once: true });
    function done(): void {
      clearTimeout(timer);
      signal.removeEventListener('abort', done);
      resolve();
    }
  });
}
