// More of the service step on the lab's three-node swarm, with a registry that wants credentials (htpasswd), on a port the
// nodes reach too. The service is created without stored credentials and no node has any of its own, so the nodes can pull
// a new build only with those the update brings (X-Registry-Auth): a task of it then runs on each of the three. Without
// registry_auth freshen cannot even read the tag and sends nothing. The step's policy lands in the service (parallelism,
// start-first). An image that exits is rolled back. `freshen rollback` reaches the service through the step.
import Docker from 'dockerode';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { SWARM_NODES, SWARM_REGISTRY_PORTS, SWARM_SOCKET, buildBusyboxImage, labDocker, pushImage, swarmDocker } from '../support/lab.js';
import { HTPASSWD_USER, startOwnRegistry, type OwnRegistry } from '../support/ownRegistry.js';
import { freshen, healthyVersion, readReport, tempDir, waitFor, writePlaybook } from './rollout.helpers.js';
import { pullOn, removeImages } from './steps-rollout.helpers.js';

const TAG = 't-svcp';
const REPO = 't-svcp/app';
const SERVICE = 't-svcp-app';
const AUTH = { username: HTPASSWD_USER.username, password: HTPASSWD_USER.password };
const swarm = new Docker({ socketPath: SWARM_SOCKET });
const build1 = labDocker('build1');
let own: OwnRegistry;
let dir: string;
let ref: string;
/** Manifest digests of builds 1, 2, … */
const digests: string[] = [];

/** Builds a version on build1 and pushes it under the rollout tag and `stamp`, with the registry's credentials. */
async function publish(lines: string[], stamp: string): Promise<string> {
  await buildBusyboxImage(build1, ref, { lines });
  const digest = await pushImage(build1, ref, AUTH);
  await build1.getImage(ref).tag({ repo: `${own.name}/${REPO}`, tag: stamp });
  await pushImage(build1, `${own.name}/${REPO}:${stamp}`, AUTH);
  digests.push(digest);
  return digest;
}

const inventory = (withAuth: boolean) =>
  writePlaybook(
    dir,
    `inventory-${withAuth}.yml`,
    JSON.stringify({
      all: {
        vars: {
          registry: own.name,
          rollout_tag: TAG,
          ...(withAuth ? { registry_auth: { username: AUTH.username, password_env: 'T_SVCP_PW' } } : {}),
        },
        children: { managers: { hosts: { swarm1: { docker: { host: `unix://${SWARM_SOCKET}` } } } } },
      },
    }),
  );

const run = async (options: string, json: string, withAuth = true, env: NodeJS.ProcessEnv = {}) =>
  freshen(
    [
      'run',
      await writePlaybook(dir, `${json}.yml`, `- name: Services\n  hosts: managers\n  steps:\n    - service: ${options}\n`),
      '-i',
      await inventory(withAuth),
      '--json',
      join(dir, json),
    ],
    join(dir, 'locks'),
    // No Docker config either: without registry_auth there are no credentials at all.
    { T_SVCP_PW: AUTH.password, DOCKER_CONFIG: join(dir, 'no-docker-config'), ...env },
  );
const stepOf = async (json: string) => (await readReport(join(dir, json))).plays[0]!.hosts.swarm1![0]!;

const REPLICAS = 3;

async function spec(): Promise<{ image: string; order?: string; parallelism?: number }> {
  const s = (await swarm.getService(SERVICE).inspect()) as {
    Spec: { TaskTemplate: { ContainerSpec: { Image: string } }; UpdateConfig?: { Order?: string; Parallelism?: number } };
  };
  return {
    image: s.Spec.TaskTemplate.ContainerSpec.Image,
    ...(s.Spec.UpdateConfig?.Order !== undefined ? { order: s.Spec.UpdateConfig.Order } : {}),
    ...(s.Spec.UpdateConfig?.Parallelism !== undefined ? { parallelism: s.Spec.UpdateConfig.Parallelism } : {}),
  };
}

/** Once REPLICAS tasks of `image` run: the nodes they run on, sorted. */
const running = (image: string): Promise<string[]> =>
  waitFor(
    `${REPLICAS} running tasks of ${image}`,
    async () => {
      const nodes = new Map(((await swarm.listNodes()) as Array<{ ID: string; Description: { Hostname: string } }>).map((n) => [n.ID, n.Description.Hostname]));
      const tasks = (await swarm.listTasks({ filters: { service: [SERVICE], 'desired-state': ['running'] } })) as Array<{
        NodeID: string;
        Status: { State: string };
        Spec: { ContainerSpec: { Image: string } };
      }>;
      const on = tasks.filter((t) => t.Status.State === 'running' && t.Spec.ContainerSpec.Image === image).map((t) => nodes.get(t.NodeID) ?? t.NodeID);
      return on.length === REPLICAS ? on.sort() : undefined;
    },
    90_000,
    250,
  );

beforeAll(async () => {
  dir = await tempDir('t-svcp-');
  own = await startOwnRegistry('t-svcp', { htpasswd: true, port: SWARM_REGISTRY_PORTS.policy });
  ref = `${own.name}/${REPO}:${TAG}`;
  await publish(healthyVersion(1), '20200101-0000');
  // Build 1 is on every node already and the service is created without credentials, so none are stored in its spec: any
  // later pull works only with the credentials the update itself brings.
  for (const node of SWARM_NODES) await pullOn(swarmDocker(node), `${ref}@${digests[0]}`, AUTH);
  await swarm.createService({
    Name: SERVICE,
    // At most two per node: a start-first update has room beside the old tasks.
    TaskTemplate: { ContainerSpec: { Image: `${ref}@${digests[0]}` }, Placement: { MaxReplicas: 2 } },
    Mode: { Replicated: { Replicas: REPLICAS } },
  });
  expect(await running(`${ref}@${digests[0]}`)).toEqual([...SWARM_NODES]);
}, 180_000);

afterAll(async () => {
  await swarm
    .getService(SERVICE)
    .remove()
    .catch(() => undefined);
  for (const node of SWARM_NODES.map(swarmDocker)) {
    await waitFor(
      'the service tasks to go',
      async () =>
        (await node.listContainers({ all: true, filters: { label: [`com.docker.swarm.service.name=${SERVICE}`] } })).length === 0 ? true : undefined,
      30_000,
      250,
    ).catch(() => undefined);
    await removeImages(node, REPO).catch(() => undefined);
  }
  await removeImages(build1, REPO).catch(() => undefined);
  await own?.destroy();
});

describe('the service step with an htpasswd registry and a policy', () => {
  it('without credentials freshen cannot read the tag: the step fails before sending anything, the service untouched', async () => {
    await publish(healthyVersion(2), '20200102-0000');
    const r = await run('{ monitor: 5s }', 'no-auth.json', false);
    expect(r.code).toBe(2);
    const step = await stepOf('no-auth.json');
    expect(step.status).toBe('failed');
    expect(step.reason).toMatch(/answered 401 Unauthorized to HEAD \/v2\/t-svcp\/app\/manifests\/t-svcp: it needs credentials/);
    expect((await spec()).image).toBe(`${ref}@${digests[0]}`);
  });

  it('with registry_auth: the update carries the credentials to every node, and the policy (parallelism 2) lands in the service', async () => {
    const v2 = digests[1]!;
    const r = await run('{ parallelism: 2, monitor: 2s }', 'auth.json');
    expect(r.code, r.stdout + r.stderr).toBe(0);
    expect((await stepOf('auth.json')).status).toBe('changed');
    expect(await spec()).toEqual({ image: `${ref}@${v2}`, order: 'stop-first', parallelism: 2 });
    // Each node pulled build 2 with the credentials of the update, none of its own.
    expect(await running(`${ref}@${v2}`)).toEqual([...SWARM_NODES]);
    expect(r.stdout + r.stderr).not.toContain(AUTH.password);
  }, 180_000);

  it('a build that exits at once is rolled back too', async () => {
    const v3 = await publish(['CMD ["/bin/sh", "-c", "echo t-svcp fatal >&2; exit 3"]'], '20200103-0000');
    const r = await run('{ monitor: 5s, timeout: 2m }', 'exits.json');
    expect(r.code).toBe(2);
    const step = await stepOf('exits.json');
    expect(step).toMatchObject({ status: 'failed', code: 'service-rolled-back' });
    expect(step.reason).toContain(`back from ${v3.slice(7, 19)}`);
    expect(step.reason).toMatch(/task \w{12} on swarm\d: .*\(exit 3\)\n {2}\| t-svcp fatal/);
    expect((await spec()).image).toBe(`${ref}@${digests[1]}`);
  }, 180_000);

  it('freshen rollback moves the rollout tag to build 1; the next service run pins that digest, start-first', async () => {
    const inv = await inventory(true);
    const back = await freshen(['rollback', REPO, '20200101-0000', '-i', inv], join(dir, 'locks'), { T_SVCP_PW: AUTH.password });
    expect(back.code, back.stdout + back.stderr).toBe(0);
    const r = await run('{ order: start-first, monitor: 2s }', 'rollback.json');
    expect(r.code, r.stdout + r.stderr).toBe(0);
    expect((await stepOf('rollback.json')).status).toBe('changed');
    expect(await spec()).toEqual({ image: `${ref}@${digests[0]}`, order: 'start-first', parallelism: 1 });
    expect(await running(`${ref}@${digests[0]}`)).toHaveLength(REPLICAS);
  }, 180_000);
});
