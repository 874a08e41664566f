import { errorMessage } from '../../adapters/errors.js';
import type { Engine, EngineAuth } from '../../adapters/engine.js';
import type { SwarmService } from '../../adapters/engineServices.js';
import { formatDuration } from '../../model/duration.js';
import { shortDigest } from '../../model/imageRef.js';
import { rolloutTag } from '../../model/inventory.js';
import { changed, failed, ok } from '../../model/results.js';
import type { StepHandler } from '../types.js';
import { buildWait } from '../buildCooldown.js';
import { managedServices, startFirstDeadlock, updateSentence, type ManagedService } from './managedServices.js';
import type { ServiceOptions } from './serviceOptions.js';
import { OptionError } from '../optionError.js';
import { failedTasks, taskError, watchUpdate } from './watchUpdate.js';
import { visibleControls } from '../../shared/terminalText.js';

const TASK_LOG_LINES = 5;

/** One service to move to the digest its tag now names. */
export interface PlannedServiceUpdate {
  service: ManagedService;
  /** Undefined in check mode when a push planned earlier in this run is what moves the tag: its digest is not known yet. */
  digest: string | undefined;
}

export interface ServicePlan {
  options: ServiceOptions;
  updates: PlannedServiceUpdate[];
  /** Services already on the digest their tag names: in `--diff` (and `freshen status`) as not replaced. */
  current: ManagedService[];
  notes: string[];
}

/** Swarm's own words when the spec's version moved since it was read. */
const OUT_OF_SEQUENCE = /update out of sequence/i;
const ATTEMPTS = 3;

/** The update policy, as the Engine API spells it. */
function updateConfig(options: ServiceOptions): Record<string, unknown> {
  return {
    Parallelism: options.parallelism,
    Delay: options.delayMs * 1e6,
    Monitor: options.monitorMs * 1e6,
    MaxFailureRatio: options.maxFailureRatio,
    Order: options.order,
    FailureAction: options.failureAction,
  };
}

/** The spec with the image pinned to `digest` and freshen's update policy (the rollback uses the same policy). */
function pinnedSpec(spec: SwarmService['Spec'], ref: string, digest: string, options: ServiceOptions): SwarmService['Spec'] {
  const policy = updateConfig(options);
  return {
    ...spec,
    TaskTemplate: { ...spec.TaskTemplate, ContainerSpec: { ...spec.TaskTemplate.ContainerSpec, Image: `${ref}@${digest}` } },
    UpdateConfig: policy,
    RollbackConfig: { ...policy, FailureAction: 'pause' },
  };
}

/**
 * `service`: on a Swarm manager, moves every managed service (image `REGISTRY/REPO:ROLLOUT_TAG`) whose pinned digest is not
 * the one its tag names in the registry to that digest, through Swarm's own rolling update with the step's policy and the
 * registry's credentials, and waits until Swarm completes it, rolls it back or pauses it.
 */
export const serviceStep: StepHandler<ServicePlan, ServiceOptions> = {
  kind: 'service',

  async plan(ctx, opts) {
    const registry = ctx.connections.registry();
    const engine = await ctx.connections.engine();
    const notes: string[] = [];
    const updates: PlannedServiceUpdate[] = [];
    const current: ManagedService[] = [];
    const services = await engine.listServices();
    if (services === undefined) {
      throw new Error(`the engine of ${ctx.host.name} is not a swarm manager: point its docker variable at a manager (docker swarm init makes one)`);
    }
    const managed = managedServices(services, registry.name, rolloutTag(ctx.vars));
    if (managed.length === 0) notes.push(`No managed services (images ${registry.name}/…:${rolloutTag(ctx.vars)}).`);
    for (const service of managed) {
      if (ctx.run.pushes.isPlanned(service.ref)) {
        // --check: a push step of this run would move the tag first, so the service would follow it.
        if (service.busy === undefined) updates.push({ service, digest: undefined });
        else notes.push(`${service.name}: Swarm is already ${service.busy.replace('_', ' ')} it; left to that update`);
        continue;
      }
      // The digest of what the tag names (an index for a multi-platform image), as the Docker CLI pins it.
      const digest = await registry.manifestDigest(service.repository, rolloutTag(ctx.vars));
      if (digest === undefined) notes.push(`${service.name}: the registry has no ${service.ref}; left as it is`);
      else if (digest === service.pinned) current.push(service);
      else if (service.busy !== undefined) notes.push(`${service.name}: Swarm is already ${service.busy.replace('_', ' ')} it; left to that update`);
      else {
        // A build this run pushed is the run's own: taken at once.
        const ours = ctx.run.pushes.digestOf(service.ref) === digest;
        const wait = ours ? undefined : await buildWait(registry, service.ref, service.repository, digest, opts.cooldownMs, ctx.now(), 'update the service');
        if (wait === undefined) updates.push({ service, digest });
        else notes.push(`${service.name}: ${wait.note}`);
      }
    }
    if (opts.order === 'start-first' && updates.length > 0) {
      // Refused before anything is sent: Swarm would accept the update and leave a task pending for good.
      const nodes = (await engine.swarmNodes()).filter((n) => n.ready).length;
      const deadlocks = updates.flatMap((u) => startFirstDeadlock(u.service, nodes) ?? []);
      if (deadlocks.length > 0) throw new OptionError(deadlocks.join('\n'), ['order']);
    }
    return { options: opts, updates, current, notes };
  },

  changes: (plan) => plan.updates.map((u) => updateSentence(u.service, u.digest)),

  notes: (plan) => plan.notes,

  diff: (plan) => [
    ...plan.updates.map((u) => ({
      container: `service ${u.service.name}`,
      ref: u.service.ref,
      ...(u.service.pinned !== undefined ? { before: u.service.pinned } : {}),
      ...(u.digest !== undefined ? { after: u.digest } : {}),
      replace: true,
    })),
    ...plan.current.map((service) => ({
      container: `service ${service.name}`,
      ref: service.ref,
      before: service.pinned!,
      after: service.pinned!,
      replace: false,
    })),
  ],

  async apply(ctx, plan) {
    const engine = await ctx.connections.engine();
    const auth = await ctx.connections.engineAuth();
    const actions: string[] = [];
    const notes = [...plan.notes];
    const failures: string[] = [];
    let code: 'service-rolled-back' | 'service-paused' | 'service-timeout' | 'failed' = 'failed';
    for (const planned of plan.updates) {
      // Ctrl-C: no new update starts; one in flight is left to Swarm, which finishes or rolls it back by its own policy.
      if (ctx.signal.aborted) break;
      // Only check mode plans an update without a digest; a real run plans after the push, so the registry answered.
      if (planned.digest === undefined) continue;
      const update = { ...planned, digest: planned.digest };
      const started = Date.now();
      ctx.progress(`Updating service ${update.service.name} to ${shortDigest(update.digest)}`);
      const result = await updateOne(engine, update, plan.options, auth);
      if (result !== undefined) {
        failures.push(result);
        continue;
      }
      const outcome = await watchUpdate(engine, update.service.id, plan.options.timeoutMs, ctx.signal);
      if (ctx.signal.aborted && outcome.kind === 'timeout') {
        return failed(`interrupted while Swarm updated service ${update.service.name}; Swarm goes on with that update`, 'interrupted', actions);
      }
      const took = formatDuration(Date.now() - started);
      const image = `${update.service.ref}@${update.digest}`;
      if (outcome.kind === 'completed') {
        actions.push(`${updateSentence(update.service, update.digest).replace(/^Update/, 'Updated')} in ${took}`);
        // Within max_failure_ratio Swarm completes an update whose new tasks failed: say so, the run is not all well.
        const failing = await toleratedFailures(engine, update.service, image);
        if (failing.length > 0) notes.push(...failing);
        continue;
      }
      const tasks = await failedTaskReports(engine, update.service.id, image);
      const why = [
        outcome.kind === 'rolled-back'
          ? `Swarm rolled service ${update.service.name} back from ${shortDigest(update.digest)}: ${outcome.message || 'update failed'}`
          : outcome.kind === 'paused'
            ? `Swarm paused the update of service ${update.service.name} to ${shortDigest(update.digest)}: ${outcome.message}; fix the image and run again, or roll back with docker service rollback ${update.service.name}`
            : outcome.kind === 'gone'
              ? `service ${update.service.name} was removed during its update`
              : `service ${update.service.name} was still ${'state' in outcome ? outcome.state : 'updating'} after ${formatDuration(plan.options.timeoutMs)}; Swarm goes on with it`,
        ...tasks,
      ].join('\n');
      code =
        outcome.kind === 'rolled-back'
          ? 'service-rolled-back'
          : outcome.kind === 'paused'
            ? 'service-paused'
            : outcome.kind === 'timeout'
              ? 'service-timeout'
              : 'failed';
      failures.push(why);
    }
    if (failures.length > 0) return failed(failures.join('\n\n'), code, actions);
    return actions.length > 0 ? changed(actions, notes) : ok(notes);
  },
};

/** The failed tasks of `image`, each with its error and its last log lines (read through the manager, from any node). */
async function failedTaskReports(engine: Engine, serviceId: string, image: string): Promise<string[]> {
  const tasks = failedTasks(await engine.listTasks(serviceId).catch(() => []), image);
  if (tasks.length === 0) return [];
  const nodes = new Map((await engine.swarmNodes().catch(() => [])).map((n) => [n.id, n.hostname]));
  return Promise.all(
    tasks.map(async (task) => {
      const lines = await engine.taskLogs(task.ID, TASK_LOG_LINES).catch(() => []);
      return [
        taskError(task, task.NodeID !== undefined ? nodes.get(task.NodeID) : undefined),
        ...lines.map((line) => `  | ${visibleControls(line.slice(0, 200))}`),
      ].join('\n');
    }),
  );
}

/**
 * After an update Swarm completed: the new image's tasks that failed on the way (Swarm tolerates as many as
 * max_failure_ratio allows), with how many replicas run it now. Empty when none failed.
 */
async function toleratedFailures(engine: Engine, service: ManagedService, image: string): Promise<string[]> {
  const reports = await failedTaskReports(engine, service.id, image);
  if (reports.length === 0) return [];
  const tasks = await engine.listTasks(service.id).catch(() => []);
  const running = tasks.filter((t) => t.DesiredState === 'running' && t.Status?.State === 'running' && t.Spec?.ContainerSpec?.Image === image).length;
  const digest = shortDigest(image.slice(image.indexOf('@') + 1));
  const of = service.replicas !== undefined ? ` of ${service.replicas}` : '';
  return [
    `service ${service.name}: tasks of ${digest} failed during the update; Swarm completed it within max_failure_ratio, ${running}${of} run it now`,
    ...reports,
  ];
}

/** Sends one update, re-reading the spec when someone moved it meanwhile; returns why it could not be sent, if so. */
async function updateOne(
  engine: Engine,
  update: PlannedServiceUpdate & { digest: string },
  options: ServiceOptions,
  auth: EngineAuth,
): Promise<string | undefined> {
  for (let attempt = 1; attempt <= ATTEMPTS; attempt++) {
    const current = await engine.inspectService(update.service.id);
    if (current === undefined) return `service ${update.service.name} is gone`;
    try {
      await engine.updateService(current.ID, current.Version.Index, pinnedSpec(current.Spec, update.service.ref, update.digest, options), auth);
      return undefined;
    } catch (error) {
      if (!OUT_OF_SEQUENCE.test(errorMessage(error)) || attempt === ATTEMPTS) return `updating service ${update.service.name} failed: ${errorMessage(error)}`;
    }
  }
  return undefined;
}
