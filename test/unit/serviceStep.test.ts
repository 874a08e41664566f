// The service step's pure parts beside the swarm test: which services are managed, the update policy's options, and the
// reason a failed update gives from its tasks.
import { describe, expect, it } from 'vitest';
import type { SwarmService, SwarmTask } from '../../src/adapters/engineServices.js';
import { managedServices, startFirstDeadlock } from '../../src/steps/service/managedServices.js';
import { serviceOptions } from '../../src/steps/service/serviceOptions.js';
import { failedTasks, taskError } from '../../src/steps/service/watchUpdate.js';
import { serviceStep } from '../../src/steps/service/service.js';
import { runStep } from '../../src/runner/runStep.js';
import { newRunState } from '../../src/steps/facts.js';
import { FakeEngine, FakeRegistry, fakeContext } from '../support/fakes.js';

const D1 = `sha256:${'1'.repeat(64)}`;
const svc = (name: string, image: string, extra: Partial<SwarmService> = {}, labels?: Record<string, string>): SwarmService => ({
  ID: `id-${name}`,
  Version: { Index: 7 },
  Spec: { Name: name, ...(labels ? { Labels: labels } : {}), TaskTemplate: { ContainerSpec: { Image: image } } },
  ...extra,
});

describe('managedServices', () => {
  it("takes the registry's rollout tag, pinned or not, and nothing else", () => {
    const found = managedServices(
      [
        svc('pinned', `reg:5000/team/api:prod@${D1}`),
        svc('unpinned', 'reg:5000/team/web:prod'),
        svc('other-tag', 'reg:5000/team/api:staging'),
        svc('other-registry', 'elsewhere:5000/team/api:prod'),
        svc('opted-out', 'reg:5000/team/api:prod', {}, { 'freshen.enable': 'false' }),
        svc('busy', 'reg:5000/team/db:prod', { UpdateStatus: { State: 'updating' } }),
      ],
      'reg:5000',
      'prod',
    );
    expect(found).toEqual([
      { id: 'id-pinned', name: 'pinned', repository: 'team/api', ref: 'reg:5000/team/api:prod', pinned: D1 },
      { id: 'id-unpinned', name: 'unpinned', repository: 'team/web', ref: 'reg:5000/team/web:prod' },
      { id: 'id-busy', name: 'busy', repository: 'team/db', ref: 'reg:5000/team/db:prod', busy: 'updating' },
    ]);
  });

  it('a finished update, or one rolled back, does not make a service busy', () => {
    for (const State of ['completed', 'rollback_completed', 'paused'])
      expect(managedServices([svc('s', 'reg:5000/a:prod', { UpdateStatus: { State } })], 'reg:5000', 'prod')[0]?.busy).toBeUndefined();
  });
});

describe('serviceOptions', () => {
  it("Swarm's defaults, but rollback on failure", () => {
    expect(serviceOptions(null)).toEqual({
      parallelism: 1,
      delayMs: 0,
      monitorMs: 5000,
      maxFailureRatio: 0,
      order: 'stop-first',
      failureAction: 'rollback',
      timeoutMs: 600_000,
    });
  });

  it('refuses what Swarm would refuse, naming the option', () => {
    expect(() => serviceOptions({ parallelism: -1 })).toThrow(/^parallelism:/);
    expect(() => serviceOptions({ max_failure_ratio: 2 })).toThrow(/^max_failure_ratio:/);
    expect(() => serviceOptions({ order: 'random' })).toThrow(/^order: one of stop-first, start-first/);
    expect(() => serviceOptions({ monitor: 'soon' })).toThrow(/^"monitor" is not a duration/);
  });
});

describe('failedTasks and taskError', () => {
  const task = (id: string, image: string, state: string, at: string, err?: string, exit?: number): SwarmTask => ({
    ID: id.padEnd(25, '0'),
    Spec: { ContainerSpec: { Image: image } },
    Status: { State: state, Timestamp: at, ...(err ? { Err: err } : {}), ContainerStatus: { ...(exit !== undefined ? { ExitCode: exit } : {}) } },
  });

  it("names the new image's failed tasks, newest first, at most three, with control characters made visible", () => {
    const image = `reg:5000/a:prod@${D1}`;
    const failing = failedTasks(
      [
        task('aaaa', image, 'failed', '2026-12-01T10:00:01Z', 'task: non-zero exit (3)', 3),
        task('bbbb', image, 'failed', '2026-12-01T10:00:03Z', 'unhealthy container\u001b[2J'),
        task('cccc', 'reg:5000/a:prod@sha256:old', 'failed', '2026-12-01T10:00:04Z', 'an older image'),
        task('dddd', image, 'running', '2026-12-01T10:00:05Z'),
        task('eeee', image, 'shutdown', '2026-12-01T10:00:00Z', undefined, 0),
      ],
      image,
    );
    expect(failing.map((t) => taskError(t))).toEqual(['task bbbb00000000: unhealthy container\\x1b[2J', 'task aaaa00000000: task: non-zero exit (3) (exit 3)']);
    expect(taskError(failing[1]!, 'swarm\u001b]0;x\u00073')).toBe('task aaaa00000000 on swarm\\x1b]0;x\\x073: task: non-zero exit (3) (exit 3)');
  });
});

describe('the service step on a fake swarm manager', () => {
  /** A manager with one service pinned to an old digest; `conflicts` updates answer Swarm's out-of-sequence error first. */
  class FakeManager extends FakeEngine {
    service: SwarmService;
    readonly sent: Array<{ version: number; image: string | undefined }> = [];
    constructor(
      image: string,
      private conflicts: number,
    ) {
      super();
      this.service = svc('api', image);
    }
    override async listServices(): Promise<SwarmService[]> {
      return [this.service];
    }
    override async inspectService(): Promise<SwarmService> {
      return this.service;
    }
    override async updateService(_id: string, version: number, spec: SwarmService['Spec']): Promise<void> {
      this.sent.push({ version, image: spec.TaskTemplate.ContainerSpec?.Image });
      if (this.conflicts-- > 0) {
        // Someone else changed the spec meanwhile: its version moved on.
        this.service = { ...this.service, Version: { Index: this.service.Version.Index + 1 } };
        throw new Error('(HTTP code 500) server error - rpc error: code = Unknown desc = update out of sequence');
      }
      this.service = { ...this.service, Spec: spec, Version: { Index: version + 1 }, UpdateStatus: { State: 'completed' } };
    }
  }

  it('reads the spec again and sends the update again when Swarm answers update out of sequence', async () => {
    const registry = new FakeRegistry();
    const digest = registry.publish('team/api', 'prod', `sha256:${'2'.repeat(64)}`);
    const engine = new FakeManager(`${registry.name}/team/api:prod@${D1}`, 2);
    const result = await runStep(serviceStep, fakeContext({ engine, registry, host: 'mgr1' }), {});
    expect(result.status, 'reason' in result ? result.reason : '').toBe('changed');
    expect(engine.sent).toEqual([
      { version: 7, image: `${registry.name}/team/api:prod@${digest}` },
      { version: 8, image: `${registry.name}/team/api:prod@${digest}` },
      { version: 9, image: `${registry.name}/team/api:prod@${digest}` },
    ]);
  });

  it('with a cooldown, a build created an hour ago is not rolled out, naming until when; six hours after it was, it is', async () => {
    const registry = new FakeRegistry();
    const digest = registry.publish('team/api', 'prod', `sha256:${'2'.repeat(64)}`, {}, '2026-11-01T00:00:00Z');
    const engine = new FakeManager(`${registry.name}/team/api:prod@${D1}`, 0);
    const at = (iso: string) => fakeContext({ engine, registry, host: 'mgr1', now: () => Date.parse(iso) });
    const young = await runStep(serviceStep, at('2026-11-01T01:00:00Z'), { cooldown: '6h' });
    expect(young.status).toBe('ok');
    expect(young.notes).toContainEqual(
      expect.stringMatching(
        /^api: .* is new, created 2026-11-01T00:00:00\.000Z: within the cooldown of 6h, not a reason to update the service until 2026-11-01T06:00:00\.000Z$/,
      ),
    );
    expect(engine.sent).toEqual([]);
    const matured = await runStep(serviceStep, at('2026-11-01T06:00:00Z'), { cooldown: '6h' });
    expect(matured.status).toBe('changed');
    expect(engine.sent).toEqual([{ version: 7, image: `${registry.name}/team/api:prod@${digest}` }]);
  });

  it('gives up after three conflicts, naming the service, and a check run sends nothing', async () => {
    const registry = new FakeRegistry();
    registry.publish('team/api', 'prod', `sha256:${'2'.repeat(64)}`);
    const engine = new FakeManager(`${registry.name}/team/api:prod@${D1}`, 5);
    const checked = await runStep(serviceStep, fakeContext({ engine, registry, host: 'mgr1', check: true }), {});
    expect(checked.status).toBe('changed');
    expect(engine.sent).toEqual([]);
    const result = await runStep(serviceStep, fakeContext({ engine, registry, host: 'mgr1' }), {});
    expect(result).toMatchObject({ status: 'failed' });
    expect('reason' in result && result.reason).toContain(
      'updating service api failed: (HTTP code 500) server error - rpc error: code = Unknown desc = update out of sequence',
    );
    expect(engine.sent).toHaveLength(3);
  });
});

describe('the service step after a push planned in the same check run', () => {
  it('predicts the update the push will cause, though the registry still serves the pinned digest, and sends nothing', async () => {
    const registry = new FakeRegistry();
    const served = registry.publish('team/api', 'prod', D1);
    const engine = new (class extends FakeEngine {
      readonly sent: string[] = [];
      override async listServices(): Promise<SwarmService[]> {
        return [svc('api', `${registry.name}/team/api:prod@${served}`)];
      }
      override async updateService(id: string): Promise<void> {
        this.sent.push(id);
      }
    })();
    const run = newRunState();
    run.pushes.announce(`${registry.name}/team/api:prod`);
    const checked = await runStep(serviceStep, fakeContext({ engine, registry, host: 'mgr1', check: true, run }), {});
    expect(checked).toMatchObject({
      status: 'changed',
      actions: [`Update service api to ${registry.name}/team/api:prod (a new build, planned by push) (was ${served.slice(7, 19)})`],
    });
    expect(engine.sent).toEqual([]);
    // Without the planned push the same service is up to date.
    expect(await runStep(serviceStep, fakeContext({ engine, registry, host: 'mgr1', check: true }), {})).toMatchObject({ status: 'ok' });
  });
});

describe('start-first with max_replicas_per_node', () => {
  const placed = (replicas: number, maxPerNode: number) =>
    svc('api', 'reg:5000/team/api:prod', {
      Spec: {
        Name: 'api',
        TaskTemplate: { ContainerSpec: { Image: 'reg:5000/team/api:prod' }, Placement: { MaxReplicas: maxPerNode } },
        Mode: { Replicated: { Replicas: replicas } },
      },
    });

  it('is a deadlock exactly when the per-node limit leaves no slot beside the old tasks', () => {
    const [service] = managedServices([placed(3, 1)], 'reg:5000', 'prod');
    expect(startFirstDeadlock(service!, 3)).toMatch(/^api: order start-first cannot finish with 3 replicas at most 1 per node on 3 ready nodes/);
    expect(startFirstDeadlock(service!, 4)).toBeUndefined();
    const [roomy] = managedServices([placed(3, 2)], 'reg:5000', 'prod');
    expect(startFirstDeadlock(roomy!, 2)).toBeUndefined();
    const [unlimited] = managedServices([svc('free', 'reg:5000/team/api:prod')], 'reg:5000', 'prod');
    expect(startFirstDeadlock(unlimited!, 1)).toBeUndefined();
  });

  it('the step refuses such an update before sending anything (bad-option, naming order)', async () => {
    const registry = new FakeRegistry();
    registry.publish('team/api', 'prod', `sha256:${'2'.repeat(64)}`);
    const engine = new (class extends FakeEngine {
      readonly sent: string[] = [];
      override async listServices(): Promise<SwarmService[]> {
        return [
          {
            ...placed(2, 2),
            Spec: { ...placed(2, 2).Spec, TaskTemplate: { ContainerSpec: { Image: `${registry.name}/team/api:prod@${D1}` }, Placement: { MaxReplicas: 2 } } },
          },
        ];
      }
      override async updateService(id: string): Promise<void> {
        this.sent.push(id);
      }
    })();
    const result = await runStep(serviceStep, fakeContext({ engine, registry, host: 'mgr1' }), { order: 'start-first' });
    expect(result).toMatchObject({ status: 'failed', code: 'bad-option' });
    expect('reason' in result && result.reason).toContain('order start-first cannot finish with 2 replicas at most 2 per node on 1 ready node');
    expect(engine.sent).toEqual([]);
    expect(await runStep(serviceStep, fakeContext({ engine, registry, host: 'mgr1', check: true }), {})).toMatchObject({ status: 'changed' });
  });
});
