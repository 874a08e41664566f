import { describe, expect, it } from 'vitest';
import { UnreachableError } from '../../src/adapters/errors.js';
import type { HostConnections } from '../../src/adapters/types.js';
import type { Host, Inventory } from '../../src/model/inventory.js';
import { STEP_KINDS, type Play, type Playbook, type StepKind } from '../../src/model/playbook.js';
import { changed, failed } from '../../src/model/results.js';
import { monotonicClock, type RunClock } from '../../src/runner/clock.js';
import type { RunEvent } from '../../src/runner/events.js';
import { exitCodeOf } from '../../src/runner/report.js';
import { runPlaybook, type RunOptions } from '../../src/runner/runner.js';
import type { Weekday } from '../../src/model/window.js';
import { startStep } from '../../src/steps/start/start.js';
import type { StepContext, StepHandler } from '../../src/steps/types.js';
import { localFiles } from '../../src/adapters/localFiles.js';
import { FakeGuard } from '../support/fakes.js';

// The runner is tested with in-memory steps: what is under test is ordering, batching, stopping and bookkeeping.
function inventory(groups: Record<string, string[]>): Inventory {
  const hosts = new Map<string, Host>();
  for (const [group, names] of Object.entries(groups)) {
    for (const name of names) {
      const host = hosts.get(name) ?? { name, groups: ['all'], vars: {} };
      host.groups.push(group);
      hosts.set(name, host);
    }
  }
  const groupMap = new Map(Object.entries(groups).map(([name, members]) => [name, { name, hosts: members, children: [] as string[], vars: {} }]));
  groupMap.set('all', { name: 'all', hosts: [...hosts.keys()], children: [...Object.keys(groups)], vars: {} });
  return { file: 'inventory.yml', groups: groupMap, hosts };
}

type Behaviour = 'change' | 'nothing' | 'fail' | 'unreachable';

/** A step whose outcome per host comes from a table; records what it applied. */
function scriptedStep(kind: StepKind, behaviour: (host: string) => Behaviour, applied: string[]): StepHandler<Behaviour> {
  return {
    kind,
    async plan(ctx: StepContext) {
      const b = behaviour(ctx.host.name);
      if (b === 'unreachable') throw new UnreachableError(`cannot reach ${ctx.host.name}`);
      return b;
    },
    changes: (b) => (b === 'nothing' ? [] : [`would ${kind}`]),
    async apply(ctx, b) {
      applied.push(`${ctx.host.name}:${kind}`);
      return b === 'fail' ? failed(`${kind} broke`, 'build-failed') : changed([`did ${kind}`]);
    },
  };
}

function handlers(behaviour: (host: string, kind: StepKind) => Behaviour, applied: string[]): Record<StepKind, StepHandler> {
  return Object.fromEntries(STEP_KINDS.map((k) => [k, scriptedStep(k, (h) => behaviour(h, k), applied)])) as Record<StepKind, StepHandler>;
}

const play = (p: Partial<Play> & Pick<Play, 'hosts' | 'steps'>): Play => ({ name: p.hosts, vars: {}, ...p });
const steps = (...kinds: StepKind[]) => kinds.map((kind, index) => ({ kind, options: {}, index }));
const unavailable = async (): Promise<never> => {
  throw new Error('no connections in unit tests');
};
const noConnections = (): HostConnections => ({
  engine: unavailable,
  docker: unavailable,
  ssh: unavailable,
  engineAuth: unavailable,
  otherRegistry: unavailable,
  otherEngineAuth: unavailable,
  engineBuildConfig: unavailable,
  registryWith: () => {
    throw new Error('no registry in unit tests');
  },
  registry: () => {
    throw new Error('no registry in unit tests');
  },
  close: async () => undefined,
});

/** The runner's other ports: these handlers place no guard and read no file. */
const NO_PORTS = { guard: new FakeGuard(), files: localFiles };

async function run(
  plays: Play[],
  inv: Inventory,
  behaviour: (host: string, kind: StepKind) => Behaviour,
  options: Partial<RunOptions> = {},
  clock?: RunClock,
  now?: () => number,
) {
  const applied: string[] = [];
  const events: RunEvent[] = [];
  const playbook: Playbook = { file: 'p.yml', dir: '.', plays };
  const report = await runPlaybook(
    playbook,
    inv,
    { check: false, extraVars: {}, forks: 5, signal: new AbortController().signal, ...options },
    {
      handlers: handlers(behaviour, applied),
      connectionsOf: noConnections,
      ...NO_PORTS,
      emit: (e) => events.push(e),
      ...(clock ? { clock } : {}),
      ...(now ? { now } : {}),
    },
  );
  return { report, applied, events };
}

describe('runPlaybook', () => {
  const inv = inventory({ canary: ['web1'], web: ['web2', 'web3', 'web4'] });

  it('in check mode reports planned changes and applies nothing', async () => {
    const { report, applied } = await run([play({ hosts: 'web', steps: steps('pull', 'stop') })], inv, () => 'change', { check: true });
    expect(applied).toEqual([]);
    expect(report.plays[0]!.hosts.web2!.map((s) => [s.step, s.status, s.actions])).toEqual([
      ['pull', 'changed', ['would pull']],
      ['stop', 'changed', ['would stop']],
    ]);
    expect(report.recap.web2).toEqual({ ok: 0, changed: 2, unreachable: 0, failed: 0, skipped: 0, rescued: 0, rolled_back: 0 });
    expect(exitCodeOf(report)).toBe(0);
  });

  it('reports ok without applying when the plan has no changes', async () => {
    const { report, applied } = await run([play({ hosts: 'web1', steps: steps('pull') })], inv, () => 'nothing');
    expect(applied).toEqual([]);
    expect(report.recap.web1!.ok).toBe(1);
  });

  it('stops a failed host, lets the others finish, and keeps the failed host out of later plays', async () => {
    const { report, applied } = await run(
      [play({ hosts: 'web', steps: steps('pull', 'stop') }), play({ hosts: 'all', steps: steps('start') })],
      inv,
      (host, kind) => (host === 'web3' && kind === 'pull' ? 'fail' : 'change'),
    );
    expect(applied).not.toContain('web3:stop');
    expect(applied).toContain('web2:stop');
    expect(applied).toContain('web4:start');
    expect(applied).not.toContain('web3:start');
    expect(report.plays[0]!.hosts.web3).toMatchObject([{ step: 'pull', status: 'failed', reason: 'pull broke', code: 'build-failed' }]);
    expect(exitCodeOf(report)).toBe(2);
  });

  it('stops the run when a batch exceeds max_fail_percentage: later batches and plays are not touched', async () => {
    const { report, applied } = await run(
      [play({ hosts: 'canary:web', serial: [1, '100%'], max_fail_percentage: 0, steps: steps('pull') }), play({ hosts: 'all', steps: steps('gc') })],
      inv,
      (host) => (host === 'web1' ? 'fail' : 'change'),
    );
    expect(applied).toEqual(['web1:pull']);
    expect(report.plays).toHaveLength(1);
    expect(report.plays[0]!.stopped).toMatch(/max_fail_percentage 0%/);
    expect(Object.keys(report.plays[0]!.hosts)).toEqual(['web1']);
  });

  it('goes on when the failed share of a batch does not exceed max_fail_percentage', async () => {
    const { report, applied } = await run([play({ hosts: 'web', max_fail_percentage: 34, steps: steps('pull') })], inv, (host) =>
      host === 'web2' ? 'fail' : 'change',
    );
    expect(report.plays[0]!.stopped).toBeUndefined();
    expect(applied.sort()).toEqual(['web2:pull', 'web3:pull', 'web4:pull']);
  });

  it('reports an unreachable host as unreachable with exit code 4', async () => {
    const { report } = await run([play({ hosts: 'web', steps: steps('pull') })], inv, (host) => (host === 'web4' ? 'unreachable' : 'nothing'));
    expect(report.plays[0]!.hosts.web4).toMatchObject([{ status: 'unreachable', reason: 'cannot reach web4' }]);
    expect(exitCodeOf(report)).toBe(4);
  });

  it('intersects every play with --limit', async () => {
    const { applied } = await run([play({ hosts: 'all', steps: steps('pull') })], inv, () => 'change', { limit: 'web2:web4' });
    expect(applied.sort()).toEqual(['web2:pull', 'web4:pull']);
  });

  it('starts nothing new once interrupted and says so', async () => {
    const interrupt = new AbortController();
    const applied: string[] = [];
    const base = handlers(() => 'change', applied);
    const interrupting: StepHandler<Behaviour> = {
      ...(base.pull as StepHandler<Behaviour>),
      async apply(ctx, plan) {
        interrupt.abort();
        return base.pull.apply(ctx, plan);
      },
    };
    const report = await runPlaybook(
      { file: 'p.yml', dir: '.', plays: [play({ hosts: 'web2', steps: steps('pull', 'stop') }), play({ hosts: 'web3', steps: steps('pull') })] },
      inv,
      { check: false, extraVars: {}, forks: 1, signal: interrupt.signal },
      { handlers: { ...base, pull: interrupting as StepHandler }, connectionsOf: noConnections, ...NO_PORTS, emit: () => undefined },
    );
    expect(applied).toEqual(['web2:pull']);
    expect(report.interrupted).toBe(true);
    expect(report.plays).toHaveLength(1);
    expect(exitCodeOf(report)).toBe(130);
  });

  it("hands each handler its options as its kind's parser makes them, with the host's variables; a bad one fails the step before plan", async () => {
    const seen: unknown[] = [];
    const applied: string[] = [];
    const base = handlers(() => 'nothing', applied);
    const recording = (kind: StepKind): StepHandler => ({ ...base[kind], plan: async (_ctx, options) => (seen.push([kind, options]), 'nothing') });
    const report = await runPlaybook(
      {
        file: 'p.yml',
        dir: '.',
        plays: [
          play({
            hosts: 'web2',
            vars: { rollout_tag: 'stage' },
            steps: [
              { kind: 'stop', options: { timeout: '30s' }, index: 0 },
              { kind: 'rollback', options: { repository: 'app', tag: 'build-1' }, index: 1 },
            ],
          }),
          play({ hosts: 'web3', steps: [{ kind: 'stop', options: { timeout: 'soon' }, index: 0 }] }),
        ],
      },
      inv,
      { check: false, extraVars: {}, forks: 1, signal: new AbortController().signal },
      { handlers: { ...base, stop: recording('stop'), rollback: recording('rollback') }, connectionsOf: noConnections, ...NO_PORTS, emit: () => undefined },
    );
    expect(seen).toEqual([
      ['stop', { timeoutMs: 30_000, guardDeadlineMs: 120_000 }],
      ['rollback', expect.objectContaining({ repository: 'app', tag: 'build-1' })],
    ]);
    const web3 = report.plays[1]!.hosts.web3![0]!;
    expect(web3).toMatchObject({ status: 'failed' });
    expect(web3.status === 'failed' && web3.reason).toContain('timeout');
  });

  it('shares facts between the plays of one host', async () => {
    const seen: unknown[] = [];
    const applied: string[] = [];
    const base = handlers(() => 'nothing', applied);
    // Kinds without options: the runner parses each step's options with its kind's own parser before plan.
    const writer: StepHandler = { ...base.push, planned: () => ({ images: [] }) };
    const reader: StepHandler = { ...base.pull, plan: async (ctx) => (seen.push(ctx.facts.images), 'nothing') };
    await runPlaybook(
      { file: 'p.yml', dir: '.', plays: [play({ hosts: 'web2', steps: steps('push') }), play({ hosts: 'web2', steps: steps('pull') })] },
      inv,
      { check: false, extraVars: {}, forks: 1, signal: new AbortController().signal },
      { handlers: { ...base, push: writer, pull: reader }, connectionsOf: noConnections, ...NO_PORTS, emit: () => undefined },
    );
    expect(seen).toEqual([[]]);
  });

  it('stamps every event and step record from one sequence: batches in order, run-start first, run-end last', async () => {
    // A wall clock that reads the same millisecond throughout: only the sequence can order the batches.
    const { report, events } = await run(
      [play({ hosts: 'canary', steps: steps('pull', 'stop') }), play({ hosts: 'web', serial: [1], steps: steps('pull', 'stop') })],
      inv,
      () => 'change',
      {},
      monotonicClock(() => 1_796_120_376_626.5),
    );
    expect(events.map((e) => e.seq)).toEqual(events.map((_, i) => i + 1));
    expect(events[0]).toMatchObject({ type: 'run-start', check: false, plays: 2 });
    expect(events.at(-1)).toMatchObject({ type: 'run-end', report });
    const order = (host: string) => report.plays.flatMap((p) => p.hosts[host] ?? []);
    const [web1, web2, web3, web4] = ['web1', 'web2', 'web3', 'web4'].map(order);
    for (const [earlier, later] of [
      [web1, web2],
      [web2, web3],
      [web3, web4],
    ] as const) {
      expect(later![0]!.started_seq).toBeGreaterThan(earlier!.at(-1)!.ended_seq);
    }
    for (const record of [web1, web2, web3, web4].flat()) {
      expect(record!.ended_seq).toBeGreaterThan(record!.started_seq);
      expect(Date.parse(record!.ended_at) - Date.parse(record!.started_at)).toBe(record!.duration_ms);
    }
  });

  it('takes start and end times from the run clock: a duration is the difference of the two times shown', async () => {
    const readings = [5000.7, 5003.2, 5003.9, 5010.1];
    let last = 5010.1;
    const clock = monotonicClock(() => readings.shift() ?? (last += 0.4));
    const report = await runPlaybook(
      { file: 'p.yml', dir: '.', plays: [play({ hosts: 'web2', steps: steps('pull') })] },
      inv,
      { check: true, extraVars: {}, forks: 1, signal: new AbortController().signal },
      { handlers: handlers(() => 'change', []), connectionsOf: noConnections, ...NO_PORTS, emit: () => undefined, clock },
    );
    // run-start, play-start, batch-start, host-start, then step-start at 5010.1 + 0.4 and step-end 0.4 later.
    expect(report.plays[0]!.hosts.web2![0]).toMatchObject({
      started_at: new Date(5010).toISOString(),
      ended_at: new Date(5010).toISOString(),
      duration_ms: 0,
      started_seq: 5,
      ended_seq: 6,
    });
  });

  it('reports a retired host’s steps in later plays as skipped, saying why, and counts them in the recap', async () => {
    const { report, applied, events } = await run(
      [play({ name: 'Pull', hosts: 'web', steps: steps('pull') }), play({ name: 'Roll', hosts: 'web', steps: steps('stop', 'start') })],
      inv,
      (host, kind) => (host === 'web3' && kind === 'pull' ? 'fail' : 'change'),
    );
    expect(applied.filter((a) => a.startsWith('web3'))).toEqual(['web3:pull']);
    expect(report.plays[1]!.hosts.web3).toMatchObject([
      { step: 'stop', status: 'skipped', reason: 'web3 failed in the play "Pull"; not run', actions: [] },
      { step: 'start', status: 'skipped', reason: 'web3 failed in the play "Pull"; not run', actions: [] },
    ]);
    expect(report.recap.web3).toMatchObject({ failed: 1, skipped: 2, changed: 0 });
    expect(events.filter((e) => e.type === 'host-end' && e.host === 'web3').map((e) => e.type === 'host-end' && e.status)).toEqual(['failed', 'skipped']);
  });

  it('reports skipped, with its reason, a step whose plan says it does not apply to the host', async () => {
    const base = handlers(() => 'change', []);
    const notHere: StepHandler<Behaviour> = { ...(base.gc as StepHandler<Behaviour>), skipped: () => 'web2 has no registry_gc: not a registry host' };
    const report = await runPlaybook(
      { file: 'p.yml', dir: '.', plays: [play({ hosts: 'web2', steps: steps('gc') })] },
      inv,
      { check: false, extraVars: {}, forks: 1, signal: new AbortController().signal },
      { handlers: { ...base, gc: notHere as StepHandler }, connectionsOf: noConnections, ...NO_PORTS, emit: () => undefined },
    );
    expect(report.plays[0]!.hosts.web2).toMatchObject([{ step: 'gc', status: 'skipped', reason: 'web2 has no registry_gc: not a registry host' }]);
    expect(report.recap.web2).toMatchObject({ skipped: 1, changed: 0, ok: 0 });
  });

  it.each([
    { max: undefined, stops: true },
    { max: 99, stops: true },
    { max: 100, stops: false },
  ])('a batch that fails entirely with max_fail_percentage $max: the run stops: $stops', async ({ max, stops }) => {
    const { report, applied } = await run(
      [
        play({ hosts: 'web2', ...(max === undefined ? {} : { max_fail_percentage: max }), steps: steps('pull') }),
        play({ hosts: 'web3', steps: steps('pull') }),
      ],
      inv,
      (host) => (host === 'web2' ? 'fail' : 'change'),
    );
    expect(applied.includes('web3:pull')).toBe(!stops);
    expect(report.plays[0]!.stopped !== undefined).toBe(stops);
  });

  it('pauses between batches, and Ctrl-C during the pause starts no further batch', async () => {
    const interrupt = new AbortController();
    const applied: string[] = [];
    const events: RunEvent[] = [];
    const promise = runPlaybook(
      { file: 'p.yml', dir: '.', plays: [play({ hosts: 'web', serial: [1], pause: '1h', steps: steps('pull') })] },
      inv,
      { check: false, extraVars: {}, forks: 1, signal: interrupt.signal },
      {
        handlers: handlers(() => 'change', applied),
        connectionsOf: noConnections,
        ...NO_PORTS,
        emit: (e) => {
          events.push(e);
          if (e.type === 'host-end') setTimeout(() => interrupt.abort(), 10);
        },
      },
    );
    const report = await promise;
    expect(applied).toEqual(['web2:pull']);
    expect(report.plays[0]!.stopped).toBe('interrupted');
  });
  it('does not pause between batches in check mode', async () => {
    const started = Date.now();
    const report = await runPlaybook(
      { file: 'p.yml', dir: '.', plays: [play({ hosts: 'web', serial: [1], pause: '1h', steps: steps('pull') })] },
      inv,
      { check: true, extraVars: {}, forks: 1, signal: new AbortController().signal },
      { handlers: handlers(() => 'change', []), connectionsOf: noConnections, ...NO_PORTS, emit: () => undefined },
    );
    // Three batches with an hour's pause between them: a run that waited would take two hours.
    expect(Date.now() - started).toBeLessThan(60_000);
    expect(Object.keys(report.plays[0]!.hosts).sort()).toEqual(['web2', 'web3', 'web4']);
  });

  it('after an interruption, still runs start on a host whose containers stop parked, and nothing else', async () => {
    const interrupt = new AbortController();
    const applied: string[] = [];
    const base = handlers(() => 'change', applied);
    const parking: StepHandler<Behaviour> = {
      ...(base.stop as StepHandler<Behaviour>),
      async apply(ctx, plan) {
        interrupt.abort();
        const stopped = [{ name: 'app', parkedAs: 'app.freshen-old', planned: false, wasRunning: true }];
        return { ...(await base.stop.apply(ctx, plan)), facts: { stopped } };
      },
    };
    const report = await runPlaybook(
      { file: 'p.yml', dir: '.', plays: [play({ hosts: 'web2:web3', steps: steps('pull', 'stop', 'start', 'gc') })] },
      inv,
      { check: false, extraVars: {}, forks: 1, signal: interrupt.signal },
      {
        // start declares that it settles parked containers (its real declaration), so the runner runs it after Ctrl-C.
        handlers: { ...base, stop: parking as StepHandler, start: { ...base.start, settlesLeftovers: startStep.settlesLeftovers } },
        connectionsOf: noConnections,
        ...NO_PORTS,
        emit: () => undefined,
      },
    );
    // web2's parked container is settled by start; gc does not run, and web3 starts nothing.
    expect(applied).toEqual(['web2:pull', 'web2:stop', 'web2:start']);
    expect(report.plays[0]!.hosts.web2!.map((r) => r.step)).toEqual(['pull', 'stop', 'start']);
    expect(report.plays[0]!.stopped).toBe('interrupted');
    expect(exitCodeOf(report)).toBe(130);
  });

  it('keeps step diffs only under --diff, and stamps every step record with its start time', async () => {
    const applied: string[] = [];
    const base = handlers(() => 'change', applied);
    const diffing: StepHandler = { ...base.pull, diff: () => [{ container: 'app', ref: 'r/app:prod', before: 'sha256:a', after: 'sha256:b', replace: true }] };
    const runWith = (diff: boolean) =>
      runPlaybook(
        { file: 'p.yml', dir: '.', plays: [play({ hosts: 'web2', steps: steps('pull') })] },
        inv,
        { check: true, diff, extraVars: {}, forks: 1, signal: new AbortController().signal },
        { handlers: { ...base, pull: diffing }, connectionsOf: noConnections, ...NO_PORTS, emit: () => undefined },
      );
    const [plain, withDiff] = [await runWith(false), await runWith(true)];
    expect(plain.plays[0]!.hosts.web2![0]!.diff).toBeUndefined();
    expect(withDiff.plays[0]!.hosts.web2![0]!.diff).toEqual([{ container: 'app', ref: 'r/app:prod', before: 'sha256:a', after: 'sha256:b', replace: true }]);
    expect(Date.parse(plain.plays[0]!.hosts.web2![0]!.started_at)).toBeGreaterThan(Date.now() - 60_000);
  });
});

describe('maintenance windows', () => {
  const inv = inventory({ web: ['web1', 'web2', 'web3'] });
  // Mon-Fri 02:00-04:00 in Berlin; 2026-12-01 is a Tuesday, CET (UTC+1).
  const window = [{ days: ['mon', 'tue', 'wed', 'thu', 'fri'] as Weekday[], start: 120, end: 240, timeZone: 'Europe/Berlin' }];
  const at = (iso: string) => () => Date.parse(iso);

  it('outside the window every host is skipped, naming when the next opens; nothing is applied; exit 0', async () => {
    const { report, applied, events } = await run(
      [play({ hosts: 'web', steps: steps('pull', 'start'), window })],
      inv,
      () => 'change',
      {},
      undefined,
      at('2026-12-01T12:00:00Z'),
    );
    expect(applied).toEqual([]);
    const step = report.plays[0]!.hosts.web2![0]!;
    expect(step.status).toBe('skipped');
    expect(step.reason).toBe(
      'outside the maintenance window (mon,tue,wed,thu,fri 02:00-04:00 Europe/Berlin); the next opens Wed 2026-12-02 02:00 Europe/Berlin',
    );
    expect(report.recap.web1).toMatchObject({ skipped: 2, changed: 0 });
    expect(events.some((e) => e.type === 'notice' && e.message.includes('--ignore-window'))).toBe(true);
    expect(exitCodeOf(report)).toBe(0);
  });

  it('inside the window, or with --ignore-window, the play runs', async () => {
    const inside = await run([play({ hosts: 'web', steps: steps('pull'), window })], inv, () => 'change', {}, undefined, at('2026-12-01T01:30:00Z'));
    expect(inside.applied).toHaveLength(3);
    const ignored = await run(
      [play({ hosts: 'web', steps: steps('pull'), window })],
      inv,
      () => 'change',
      { ignoreWindow: true },
      undefined,
      at('2026-12-05T12:00:00Z'),
    );
    expect(ignored.applied).toHaveLength(3);
  });

  it('no batch starts after the window closes: the first batch runs, the rest are skipped and the play says why', async () => {
    // Each reading of the clock is a minute later, and the window closes 30 seconds after the run starts.
    let minutes = 0;
    const now = () => Date.parse('2026-12-01T02:59:30Z') + minutes++ * 60_000;
    const { report, applied } = await run([play({ hosts: 'web', serial: [1], steps: steps('pull'), window })], inv, () => 'change', {}, undefined, now);
    expect(applied).toEqual(['web1:pull']);
    expect(report.plays[0]!.stopped).toBe('the maintenance window closed before batch 2 of 3');
    expect(report.plays[0]!.hosts.web3![0]).toMatchObject({
      status: 'skipped',
      reason: expect.stringMatching(/^not started: outside the maintenance window .*; the next opens Wed 2026-12-02 02:00 Europe\/Berlin$/),
    });
  });

  it('a play without a window runs at any time: a build play goes on while the rollout waits', async () => {
    const { applied } = await run(
      [play({ hosts: 'web1', steps: steps('rebuild') }), play({ hosts: 'web2', steps: steps('pull'), window })],
      inv,
      () => 'change',
      {},
      undefined,
      at('2026-12-06T12:00:00Z'),
    );
    expect(applied).toEqual(['web1:rebuild']);
  });
});
