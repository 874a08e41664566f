// The service step against a real swarm: the lab's three nodes (scripts/lab/swarm.sh), swarm1 the manager. A service of
// three replicas, one per node, pinned to build 1 is moved to build 2 by Swarm's own rolling update: check mode predicts it
// and changes nothing, the run pins the new digest and a task of it runs on every node, the next run has nothing to do. A
// build whose healthcheck fails is rolled back by Swarm, and freshen says so (service-rolled-back) with the failed tasks;
// one that fails on one node only is rolled back too, unless max_failure_ratio tolerates it.
import Docker from 'dockerode';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { REGISTRY, SWARM_NODES, SWARM_SOCKET, buildBusyboxImage, labDocker, labSocket, pushImage, swarmDocker, swarmSocket } from '../support/lab.js';
import { createRegistryClient } from '../../src/adapters/registry.js';
import { registrySettings } from '../../src/model/inventory.js';
import { freshen, healthyVersion, readReport, startFreshen, tempDir, unhealthyVersion, waitFor, writePlaybook } from './rollout.helpers.js';
import { deleteManifests, publish as publishShared, pullOn, removeImages } from './steps-rollout.helpers.js';
import { join } from 'node:path';
import { readFile } from 'node:fs/promises';
import type { FleetStatus } from '../../src/status/fleetStatus.js';

/**
 * Publishes a build of this file's own: prune on a worker tells the previous build by build time, and a build of the same
 * lines as another file's takes that file's cached steps, with their earlier time (build 2 could then predate build 1).
 */
const publish = (ref: string, lines: string[], pushed: string[]): Promise<string> =>
  publishShared(ref, [...lines, `LABEL t-svc.built="${process.hrtime.bigint()}"`], pushed);

/** A healthy version that exits at once, with a line on stderr, on the node named `node` (tasks are named after their node). */
const onlyFailsOn = (node: string, version: number): string[] => [
  ...healthyVersion(version).slice(0, -1),
  `CMD ["/bin/sh", "-c", "if [ \\"$(hostname)\\" = ${node} ]; then echo t-svc fails on ${node} >&2; exit 4; fi; touch /tmp/alive; trap 'exit 0' TERM; while true; do sleep 1; done"]`,
];

const TAG = 't-svc';
const REPO = 't-svc/app';
const REF = `${REGISTRY}/${REPO}:${TAG}`;
const SERVICE = 't-svc-app';
const OTHER = 't-svc-other';
const GLOBAL = 't-svc-global';
const swarm = new Docker({ socketPath: SWARM_SOCKET });
const pushed: string[] = [];
/** Image IDs of builds 1, 2, … as build1 made them. */
const ids: string[] = [];
let dir: string;
let inventory: string;

interface ServiceView {
  image: string;
  state?: string;
}

async function service(): Promise<ServiceView> {
  const s = (await swarm.getService(SERVICE).inspect()) as { Spec: { TaskTemplate: { ContainerSpec: { Image: string } } }; UpdateStatus?: { State?: string } };
  return { image: s.Spec.TaskTemplate.ContainerSpec.Image, ...(s.UpdateStatus?.State !== undefined ? { state: s.UpdateStatus.State } : {}) };
}

const REPLICAS = 3;

/** `image on node` for each running task of the service, sorted, once all REPLICAS of them run. */
const runningTasks = (): Promise<string[]> =>
  waitFor(
    `${REPLICAS} running tasks of ${SERVICE}`,
    async () => {
      const nodes = new Map(((await swarm.listNodes()) as Array<{ ID: string; Description: { Hostname: string } }>).map((n) => [n.ID, n.Description.Hostname]));
      const tasks = (await swarm.listTasks({ filters: { service: [SERVICE], 'desired-state': ['running'] } })) as Array<{
        NodeID: string;
        Status: { State: string };
        Spec: { ContainerSpec: { Image: string } };
      }>;
      const running = tasks.filter((t) => t.Status.State === 'running');
      return running.length === REPLICAS ? running.map((t) => `${t.Spec.ContainerSpec.Image} on ${nodes.get(t.NodeID)}`).sort() : undefined;
    },
    90_000,
    250,
  );
const onEveryNode = (image: string): string[] => SWARM_NODES.map((node) => `${image} on ${node}`);

/** Every node's engine: each keeps the containers and images of the tasks it ran. */
const nodes = SWARM_NODES.map(swarmDocker);

const run = async (playbookText: string, json: string, extra: string[] = []) =>
  freshen(['run', await writePlaybook(dir, `${json}.yml`, playbookText), '-i', inventory, '--json', join(dir, json), ...extra], join(dir, 'locks'));
const SERVICE_PLAY = '- name: Services\n  hosts: managers\n  steps: [service]\n';
const firstStep = async (json: string) => (await readReport(join(dir, json))).plays[0]!.hosts.swarm1![0]!;

beforeAll(async () => {
  dir = await tempDir('t-svc-');
  inventory = await writePlaybook(
    dir,
    'inventory.yml',
    JSON.stringify({
      all: {
        vars: { registry: REGISTRY, rollout_tag: TAG },
        children: {
          managers: { hosts: { swarm1: { docker: { host: `unix://${SWARM_SOCKET}` } } } },
          workers: { hosts: { swarm3: { docker: { host: `unix://${swarmSocket('swarm3')}` } } } },
          plain: { hosts: { web2: { docker: { host: `unix://${labSocket('web2')}` } } } },
          // A registry host that only deletes (sweep: false), so it needs no SSH.
          registries: { hosts: { reg: { registry_gc: { command: 'docker-registry garbage-collect /etc/docker/registry/config.yml' } } } },
        },
      },
    }),
  );
  await swarm
    .getService(SERVICE)
    .remove()
    .catch(() => undefined);
  ids.push(await publish(REF, healthyVersion(1), pushed));
  await swarm.createService({
    Name: SERVICE,
    // One task per node.
    TaskTemplate: { ContainerSpec: { Image: `${REF}@${pushed[0]}` }, Placement: { MaxReplicas: 1 } },
    Mode: { Replicated: { Replicas: REPLICAS } },
  });
  expect(await runningTasks()).toEqual(onEveryNode(`${REF}@${pushed[0]}`));
}, 180_000);

afterAll(async () => {
  for (const name of [SERVICE, OTHER, GLOBAL])
    await swarm
      .getService(name)
      .remove()
      .catch(() => undefined);
  for (const node of nodes) {
    await waitFor(
      'the service tasks to go',
      async () =>
        (await node.listContainers({ all: true, filters: { label: [`com.docker.swarm.service.name`] } })).filter((c) =>
          c.Labels['com.docker.swarm.service.name']?.startsWith('t-svc-'),
        ).length === 0
          ? true
          : undefined,
      30_000,
      250,
    ).catch(() => undefined);
    await removeImages(node, REPO).catch(() => undefined);
  }
  await deleteManifests(REPO, pushed);
});

describe('the service step on a real swarm', () => {
  it('a service already on the digest its tag names: ok, nothing sent', async () => {
    const r = await run(SERVICE_PLAY, 'same.json');
    expect(r.code, r.stdout + r.stderr).toBe(0);
    expect((await firstStep('same.json')).status).toBe('ok');
    expect((await service()).image).toBe(`${REF}@${pushed[0]}`);
  });

  it('a new build: --check predicts the update and changes nothing; the run pins it and every task runs it; again: ok', async () => {
    ids.push(await publish(REF, healthyVersion(2), pushed));
    const [v1, v2] = pushed as [string, string];
    const check = await run(SERVICE_PLAY, 'check.json', ['--check', '--diff']);
    expect(check.code, check.stdout + check.stderr).toBe(0);
    const planned = await firstStep('check.json');
    expect(planned.status).toBe('changed');
    expect(planned.actions).toEqual([`Update service ${SERVICE} to ${REF}@${v2.slice(7, 19)} (was ${v1.slice(7, 19)})`]);
    expect(planned.diff).toEqual([{ container: `service ${SERVICE}`, ref: REF, before: v1, after: v2, replace: true }]);
    expect((await service()).image).toBe(`${REF}@${v1}`);

    const applied = await run(SERVICE_PLAY, 'apply.json');
    expect(applied.code, applied.stdout + applied.stderr).toBe(0);
    const step = await firstStep('apply.json');
    expect(step.status).toBe('changed');
    expect(step.actions[0]).toMatch(new RegExp(`^Updated service ${SERVICE} to .*@${v2.slice(7, 19)} \\(was ${v1.slice(7, 19)}\\) in \\d`));
    expect(await service()).toEqual({ image: `${REF}@${v2}`, state: 'completed' });
    // Every node pulled build 2 and runs it.
    expect(await runningTasks()).toEqual(onEveryNode(`${REF}@${v2}`));

    const again = await run(SERVICE_PLAY, 'again.json');
    expect(again.code).toBe(0);
    expect((await firstStep('again.json')).status).toBe('ok');

    // freshen status lists the manager's services with the digest each pins, and whether it is behind its tag.
    const status = await freshen(
      ['status', await writePlaybook(dir, 'status.yml', SERVICE_PLAY), '-i', inventory, '--json', join(dir, 'status.json')],
      join(dir, 'locks'),
    );
    expect(status.code, status.stdout + status.stderr).toBe(0);
    const listed = JSON.parse(await readFile(join(dir, 'status.json'), 'utf8')) as FleetStatus;
    expect(listed.hosts.find((h) => h.host === 'swarm1')?.services).toContainEqual({ name: SERVICE, ref: REF, digest: v2, behind: false });
    expect(status.stdout).toMatch(new RegExp(`swarm1 +service ${SERVICE} +${REF.replaceAll('.', '\\.')} +${v2.slice(7, 19)}`));
  }, 180_000);

  it('gc keeps what services pin (the current spec, and the previous one a rollback returns to), deleting what none does', async () => {
    const build1 = labDocker('build1');
    // Datestamp tags for builds 1 and 2, and an older build 0 that nothing runs.
    for (const [i, stamp] of [
      [0, '20200101-0000'],
      [1, '20200102-0000'],
    ] as const) {
      await build1.getImage(ids[i]!).tag({ repo: `${REGISTRY}/${REPO}`, tag: stamp });
      pushed.push(await pushImage(build1, `${REGISTRY}/${REPO}:${stamp}`));
    }
    await buildBusyboxImage(build1, `${REGISTRY}/${REPO}:20191231-0000`, { lines: healthyVersion(0) });
    pushed.push(await pushImage(build1, `${REGISTRY}/${REPO}:20191231-0000`));
    // The old tasks' stopped containers would keep build 1 by themselves: only the previous spec may.
    for (const node of nodes)
      for (const c of await node.listContainers({ all: true, filters: { label: [`com.docker.swarm.service.name=${SERVICE}`], status: ['exited'] } }))
        await node.getContainer(c.Id).remove();
    const r = await run('- name: Tidy\n  hosts: registries\n  steps:\n    - gc: { keep: 0, sweep: false }\n', 'gc.json');
    expect(r.code, r.stdout + r.stderr).toBe(0);
    const step = (await readReport(join(dir, 'gc.json'))).plays[0]!.hosts.reg![0]!;
    expect(step.status).toBe('changed');
    const registry = createRegistryClient(registrySettings({ registry: REGISTRY })!);
    try {
      expect((await registry.tags(REPO)).sort()).toEqual(['20200101-0000', '20200102-0000', TAG]);
    } finally {
      registry.close();
    }
    const said = [...step.actions, ...step.notes].join('\n');
    expect(said).toMatch(/\(tags 20200101-0000\): in use: swarm1 service t-svc-app \(previous spec, the rollback target\)$/m);
  });

  it("prune on the manager keeps the service's previous image (no container uses it any more) and removes what nothing pins", async () => {
    const [v1, v2] = pushed as [string, string];
    // An old build on the node that no service pins: what prune may remove. Built now, so it is the newest image of the
    // repository on the nodes: neither the manager nor a worker may take it for the build before the running one.
    const old = `${REGISTRY}/${REPO}:20191230-0000`;
    await buildBusyboxImage(labDocker('build1'), old, { lines: [...healthyVersion(0), `LABEL t-svc.built=${Date.now()}`] });
    pushed.push(await pushImage(labDocker('build1'), old));
    await pullOn(swarm, old);
    const r = await run('- name: Tidy\n  hosts: managers\n  steps:\n    - prune: { repositories: [t-svc/*] }\n', 'prune.json');
    expect(r.code, r.stdout + r.stderr).toBe(0);
    const step = await firstStep('prune.json');
    expect(step.status).toBe('changed');
    expect(step.actions.join('\n')).toContain(old);
    expect(step.notes.join('\n')).toMatch(new RegExp(`@${v1}.* on swarm1: pinned by service ${SERVICE} \\(previous spec, the rollback target\\)`));
    const left = (await swarm.listImages({ filters: { reference: [`${REGISTRY}/${REPO}`] } })).flatMap((i) => i.RepoDigests ?? []);
    expect(left.some((d) => d.endsWith(v1))).toBe(true);
    expect(left.some((d) => d.endsWith(v2))).toBe(true);
  });

  it("prune on a worker, which cannot read specs, keeps the image before its running task's and removes what is older", async () => {
    const [v1, v2] = pushed as [string, string];
    const worker = swarmDocker('swarm3');
    const old = `${REGISTRY}/${REPO}:20191230-0000`;
    await pullOn(worker, old);
    const r = await run('- name: Tidy\n  hosts: workers\n  steps:\n    - prune: { repositories: [t-svc/*] }\n', 'prune-worker.json');
    expect(r.code, r.stdout + r.stderr).toBe(0);
    const step = (await readReport(join(dir, 'prune-worker.json'))).plays[0]!.hosts.swarm3![0]!;
    expect(step.status).toBe('changed');
    expect(step.actions.join('\n')).toContain(old);
    expect(step.notes.join('\n')).toMatch(new RegExp(`@${v1}.* on swarm3: previous image of service ${SERVICE} \\(task ${SERVICE}\\.\\d`));
    const left = (await worker.listImages({ filters: { reference: [`${REGISTRY}/${REPO}`] } })).flatMap((i) => [
      ...(i.RepoDigests ?? []),
      ...(i.RepoTags ?? []),
    ]);
    expect(left.some((d) => d.endsWith(v1))).toBe(true);
    expect(left.some((d) => d.endsWith(v2))).toBe(true);
    expect(left).not.toContain(old);
  });

  it('on an engine that is not a swarm manager the step fails, saying so', async () => {
    const r = await run('- name: Services\n  hosts: plain\n  steps: [service]\n', 'plain.json');
    expect(r.code).toBe(2);
    const step = (await readReport(join(dir, 'plain.json'))).plays[0]!.hosts.web2![0]!;
    expect(step).toMatchObject({ status: 'failed' });
    expect(step.reason).toContain('the engine of web2 is not a swarm manager');
  });

  it('a build whose healthcheck fails is rolled back by Swarm: failed (service-rolled-back), back on the previous digest', async () => {
    await publish(REF, unhealthyVersion(3), pushed);
    const [, v2] = pushed as [string, string];
    const v3 = pushed.at(-1)!;
    const r = await run('- name: Services\n  hosts: managers\n  steps:\n    - service: { monitor: 10s, timeout: 2m }\n', 'bad.json');
    expect(r.code).toBe(2);
    const step = await firstStep('bad.json');
    expect(step).toMatchObject({ status: 'failed', code: 'service-rolled-back' });
    expect(step.reason).toContain(`Swarm rolled service ${SERVICE} back from ${v3.slice(7, 19)}`);
    expect((await service()).image).toBe(`${REF}@${v2}`);
    expect(await runningTasks()).toEqual(onEveryNode(`${REF}@${v2}`));
  }, 180_000);

  it('start-first with one task per node on three nodes is refused before anything is sent, naming order', async () => {
    const [, v2] = pushed as [string, string];
    await publish(REF, healthyVersion(5), pushed);
    const refused = await run('- name: Services\n  hosts: managers\n  steps:\n    - service: { order: start-first }\n', 'start-first.json');
    expect(refused.code).toBe(2);
    const why = await firstStep('start-first.json');
    expect(why).toMatchObject({ status: 'failed', code: 'bad-option' });
    expect(why.reason).toContain(`${SERVICE}: order start-first cannot finish with 3 replicas at most 1 per node on 3 ready nodes`);
    expect((await service()).image).toBe(`${REF}@${v2}`);
  });

  it('a build that fails on one node of three: rolled back by default, naming the node and its log; completed within max_failure_ratio 0.5, with a note', async () => {
    // A global service (one task on each node, never moved) on a tag of its own, so only it is managed by these plays.
    const tag = 't-svc-g';
    const ref = `${REGISTRY}/${REPO}:${tag}`;
    await publish(ref, healthyVersion(6), pushed);
    const v6 = pushed.at(-1)!;
    await swarm.createService({
      Name: GLOBAL,
      // Tasks named after their node; a failed one is not restarted, so a bad build fails once per node per update.
      TaskTemplate: { ContainerSpec: { Image: `${ref}@${v6}`, Hostname: '{{.Node.Hostname}}' }, RestartPolicy: { Condition: 'none' } },
      Mode: { Global: {} },
    });
    const globalImage = async () =>
      ((await swarm.getService(GLOBAL).inspect()) as { Spec: { TaskTemplate: { ContainerSpec: { Image: string } } } }).Spec.TaskTemplate.ContainerSpec.Image;
    await publish(ref, onlyFailsOn('swarm3', 7), pushed);
    const v7 = pushed.at(-1)!;
    const play = (options: string) => `- name: Services\n  hosts: managers\n  vars: { rollout_tag: ${tag} }\n  steps:\n    - service: ${options}\n`;

    // Swarm counts a failure only when its manager sees it within `monitor` of seeing the task run; on a loaded machine the
    // worker's report of the exit can come seconds late, so the strict run gives it 30 s. Detected, it rolls back at once,
    // so the long window costs nothing when the check passes.
    const strict = await run(play('{ monitor: 30s, timeout: 2m }'), 'strict.json');
    expect(strict.code).toBe(2);
    const back = await firstStep('strict.json');
    expect(back).toMatchObject({ status: 'failed', code: 'service-rolled-back' });
    // The failed task, its node, and its last log line, read through the manager from the worker that ran it.
    expect(back.reason).toMatch(/task \w{12} on swarm3: .*exit.*\n {2}\| t-svc fails on swarm3/);
    expect(await globalImage()).toBe(`${ref}@${v6}`);

    const tolerant = await run(play('{ monitor: 4s, max_failure_ratio: 0.5, timeout: 2m }'), 'tolerant.json');
    expect(tolerant.code, tolerant.stdout + tolerant.stderr).toBe(0);
    const kept = await firstStep('tolerant.json');
    expect(kept.status).toBe('changed');
    expect(await globalImage()).toBe(`${ref}@${v7}`);
    // Swarm completed the update; freshen does not let the failing node pass unsaid.
    expect(kept.notes.join('\n')).toMatch(new RegExp(`service ${GLOBAL}: tasks of ${v7.slice(7, 19)} failed during the update; .*, 2 run it now\n.*on swarm3`));
  }, 240_000);

  it('Ctrl-C: no new update starts; the one already sent is left to Swarm, which finishes it', async () => {
    const v2 = pushed[1]!;
    await swarm.createService({ Name: OTHER, TaskTemplate: { ContainerSpec: { Image: `${REF}@${v2}` } }, Mode: { Replicated: { Replicas: 1 } } });
    const v4 = await publish(REF, healthyVersion(4), pushed).then(() => pushed.at(-1)!);
    const playbook = await writePlaybook(dir, 'interrupt.yml', '- name: Services\n  hosts: managers\n  steps:\n    - service: { monitor: 8s }\n');
    const images = async () =>
      Promise.all(
        [SERVICE, OTHER].map(
          async (name) =>
            ((await swarm.getService(name).inspect()) as { Spec: { TaskTemplate: { ContainerSpec: { Image: string } } } }).Spec.TaskTemplate.ContainerSpec
              .Image,
        ),
      );
    const before = await images();
    const cli = startFreshen(['run', playbook, '-i', inventory, '--json', join(dir, 'interrupt.json')], join(dir, 'locks'));
    await waitFor('the first update to be sent', async () => ((await images()).some((image) => image.endsWith(v4)) ? true : undefined), 60_000, 100);
    cli.child.kill('SIGINT');
    const done = await cli.done;
    expect(done.code, done.stdout + done.stderr).toBe(130);
    const after = await images();
    expect(after.filter((image) => image.endsWith(v4))).toHaveLength(1);
    // The other service was not touched.
    expect(after.filter((image, i) => image === before[i])).toHaveLength(1);
    const updated = after[0]!.endsWith(v4) ? SERVICE : OTHER;
    const state = await waitFor(
      `Swarm to finish the update of ${updated}`,
      async () => {
        const status = ((await swarm.getService(updated).inspect()) as { UpdateStatus?: { State?: string } }).UpdateStatus?.State;
        return status === 'completed' || status === 'rollback_completed' ? status : undefined;
      },
      120_000,
      500,
    );
    expect(state).toBe('completed');
  }, 240_000);
});
