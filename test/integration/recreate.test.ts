// Faithful recreation on the lab's web2 engine: one container per setting a user can give (issue 3, point 4), all replaced in one
// pull → stop → start cycle, then each replacement's inspect compared with the original's. Also the losses Watchtower users
// report: a host-network container, containers sharing another's network namespace (`container:`) and restarted after their
// parent, and images whose tag was moved by hand. Only t-recreate-* containers, the t-recreate/* repositories and the rollout
// tag `t-recreate` are used, so nothing else on web2 is managed here.
import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type Docker from 'dockerode';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { reasonOf } from '../../src/model/results.js';
import { runStep } from '../../src/runner/runStep.js';
import { pullStep } from '../../src/steps/pull/pull.js';
import { startStep } from '../../src/steps/start/start.js';
import { stopStep } from '../../src/steps/stop/stop.js';
import { buildBusyboxImage, labDocker, REGISTRY, TEST_SUBNETS } from '../support/lab.js';
import { aliasesOf, at, inspectOf, mountsOf, netNamespace, type Inspect } from './recreate.helpers.js';
import { cleanUp, deleteManifests, execIn, imageId, publish, pullOn, removeImages, rolloutContext, type RolloutContext } from './steps-rollout.helpers.js';

const HOST = 'web2';
const TAG = 't-recreate';
const APP_REPO = 't-recreate/app';
const NET_REPO = 't-recreate/net';
const APP = `${REGISTRY}/${APP_REPO}:${TAG}`;
const NET = `${REGISTRY}/${NET_REPO}:${TAG}`;
const SIDE = 't-recreate/side:local'; // not in the registry: never managed
const P = 't-recreate-';
const NETWORK = 't-recreate-net';
const VOLUMES = [`${P}named`, `${P}named2`];
const START = { healthy_timeout: '20s', settle: '300ms' };

const LOOP = `trap 'exit 0' TERM; while true; do sleep 1; done`;
const version = (n: number, extra: string[] = []): string[] => [
  'VOLUME /image-vol',
  `ENV MODE=v${n}`,
  `LABEL org.t-recreate.version=${n}`,
  ...extra,
  `CMD ["/bin/sh", "-c", "${LOOP}"]`,
];
const UNHEALTHY = (n: number): string[] => version(n, ['HEALTHCHECK --interval=1s --timeout=2s --retries=1 CMD test -f /nonexistent']);

const web = labDocker(HOST);
const build = labDocker('build1');
const pushed: Record<string, string[]> = { [APP_REPO]: [], [NET_REPO]: [] };
const contexts: RolloutContext[] = [];
let bindDir: string;
let bindDir2: string;

function ctx(check = false): RolloutContext {
  const context = rolloutContext(HOST, { check, vars: { rollout_tag: TAG } });
  contexts.push(context);
  return context;
}

/** One setting: how the original is created, and the inspect paths its replacement must show unchanged. */
interface Row {
  setting: string;
  create: Record<string, unknown>;
  host?: Record<string, unknown>;
  same: string[];
}

const ROWS: Row[] = [
  // The image's own variables follow the new image (MODE=v2); the user's are kept.
  { setting: 'env', create: { Env: ['GREETING=hello world', 'EMPTY='] }, same: [] },
  { setting: 'entrypoint and command', create: { Entrypoint: ['/bin/sh', '-c'], Cmd: [`echo started; ${LOOP}`] }, same: ['Config.Entrypoint', 'Config.Cmd'] },
  { setting: 'user', create: { User: '1234:1234' }, same: ['Config.User'] },
  { setting: 'working dir', create: { WorkingDir: '/tmp' }, same: ['Config.WorkingDir'] },
  // Docker's CLI has no flag for it; the API and Compose's SDK users set it.
  { setting: 'shell (set through the API)', create: { Shell: ['/bin/sh', '-e', '-c'] }, same: ['Config.Shell'] },
  { setting: 'hostname and domain name', create: { Hostname: 'custom', Domainname: 'example.internal' }, same: ['Config.Hostname', 'Config.Domainname'] },
  { setting: 'labels', create: { Labels: { team: 'frontend', 'com.example.tier': 'web' } }, same: ['Config.Labels.team'] },
  { setting: 'tmpfs', create: {}, host: { Tmpfs: { '/scratch': 'size=1m,mode=1777' } }, same: ['HostConfig.Tmpfs'] },
  {
    setting: 'ports',
    create: { ExposedPorts: { '8080/tcp': {} } },
    host: { PortBindings: { '8080/tcp': [{ HostIp: '127.0.0.1', HostPort: '18080' }] } },
    same: ['Config.ExposedPorts', 'HostConfig.PortBindings'],
  },
  { setting: 'restart policy', create: {}, host: { RestartPolicy: { Name: 'unless-stopped', MaximumRetryCount: 0 } }, same: ['HostConfig.RestartPolicy'] },
  { setting: 'network mode host', create: {}, host: { NetworkMode: 'host' }, same: ['HostConfig.NetworkMode'] },
  { setting: 'network mode none', create: {}, host: { NetworkMode: 'none' }, same: ['HostConfig.NetworkMode'] },
  {
    setting: 'a user network with aliases',
    create: { NetworkingConfig: { EndpointsConfig: { [NETWORK]: { Aliases: ['api', 'api-v1'] } } } },
    host: { NetworkMode: NETWORK },
    same: ['HostConfig.NetworkMode'],
  },
  { setting: 'extra hosts', create: {}, host: { ExtraHosts: ['db:127.0.0.1', 'cache:127.0.0.2'] }, same: ['HostConfig.ExtraHosts'] },
  {
    setting: 'DNS',
    create: {},
    host: { Dns: ['127.0.0.53'], DnsSearch: ['example.internal'], DnsOptions: ['ndots:2'] },
    same: ['HostConfig.Dns', 'HostConfig.DnsSearch', 'HostConfig.DnsOptions'],
  },
  { setting: 'capabilities', create: {}, host: { CapAdd: ['NET_ADMIN'], CapDrop: ['MKNOD'] }, same: ['HostConfig.CapAdd', 'HostConfig.CapDrop'] },
  {
    setting: 'devices',
    create: {},
    host: { Devices: [{ PathOnHost: '/dev/null', PathInContainer: '/dev/nothing', CgroupPermissions: 'rwm' }] },
    same: ['HostConfig.Devices'],
  },
  { setting: 'ulimits', create: {}, host: { Ulimits: [{ Name: 'nofile', Soft: 1024, Hard: 2048 }] }, same: ['HostConfig.Ulimits'] },
  {
    setting: 'log config',
    create: {},
    host: { LogConfig: { Type: 'json-file', Config: { 'max-size': '1m', 'max-file': '2' } } },
    same: ['HostConfig.LogConfig'],
  },
  {
    setting: 'resource limits',
    create: {},
    host: { Memory: 64 * 1024 * 1024, CpuShares: 512, PidsLimit: 64 },
    same: ['HostConfig.Memory', 'HostConfig.CpuShares', 'HostConfig.PidsLimit'],
  },
  {
    setting: 'healthcheck',
    create: { Healthcheck: { Test: ['CMD-SHELL', 'test -d /tmp'], Interval: 1_000_000_000, Timeout: 2_000_000_000, Retries: 2, StartPeriod: 0 } },
    same: ['Config.Healthcheck'],
  },
  { setting: 'stop signal and stop timeout', create: { StopSignal: 'SIGUSR1', StopTimeout: 7 }, same: ['Config.StopSignal', 'Config.StopTimeout'] },
  {
    setting: 'init and security options',
    create: {},
    host: { Init: true, SecurityOpt: ['no-new-privileges'], ReadonlyRootfs: true },
    same: ['HostConfig.Init', 'HostConfig.SecurityOpt', 'HostConfig.ReadonlyRootfs'],
  },
];

const rowName = (row: Row): string => `${P}${row.setting.replaceAll(/[^a-z]+/g, '-')}`;
const MOUNTS = `${P}mounts`;
const PARENT = `${P}parent`;
const CHILD = `${P}child`;
const SIDECAR = `${P}sidecar`;
// Sharing other namespaces of PARENT, and another container's volumes; a link without an alias.
const PID_CHILD = `${P}pid-child`;
const IPC_SIDECAR = `${P}ipc-sidecar`;
const VOL_SOURCE = `${P}vol-source`;
const VOL_CONSUMER = `${P}vol-consumer`;
const LINK_TARGET = `${P}link-target`;
const LINKED = `${P}linked`;
const before = new Map<string, Inspect>();
const SHARING = [MOUNTS, PARENT, CHILD, SIDECAR, PID_CHILD, IPC_SIDECAR, VOL_SOURCE, VOL_CONSUMER, LINK_TARGET, LINKED];

async function createRunning(name: string, image: string, config: Record<string, unknown>, host: Record<string, unknown>): Promise<void> {
  const { NetworkingConfig, ...rest } = config;
  const container = await web.createContainer({
    name,
    Image: image,
    ...rest,
    HostConfig: { NetworkMode: 'none', ...host },
    ...(NetworkingConfig ? { NetworkingConfig } : {}),
  } as Docker.ContainerCreateOptions);
  await container.start();
}

let v2: { app: string; net: string };

beforeAll(async () => {
  await cleanUp(web, P, VOLUMES);
  await web
    .getNetwork(NETWORK)
    .remove()
    .catch(() => undefined);
  // --bridge=none forbids no user network: an internal bridge network (no route out, no NAT) works in the lab.
  await web.createNetwork({ Name: NETWORK, Driver: 'bridge', Internal: true, IPAM: { Config: [{ Subnet: TEST_SUBNETS.recreate }] } });
  bindDir = await mkdtemp(join(tmpdir(), 't-recreate-bind-'));
  bindDir2 = await mkdtemp(join(tmpdir(), 't-recreate-bind2-'));
  await writeFile(join(bindDir2, 'ro.txt'), 'read-only\n');
  await publish(APP, version(1), pushed[APP_REPO]!);
  await publish(NET, version(1), pushed[NET_REPO]!);
  await pullOn(web, APP);
  await pullOn(web, NET);
  await buildBusyboxImage(web, SIDE, { lines: [`CMD ["/bin/sh", "-c", "${LOOP}"]`] });

  for (const row of ROWS) await createRunning(rowName(row), APP, row.create, row.host ?? {});
  await createRunning(
    MOUNTS,
    APP,
    { Volumes: { '/anon': {} } },
    {
      Binds: [`${bindDir}:/bind`, `${VOLUMES[0]}:/named`],
      Mounts: [
        { Type: 'volume', Target: '/mount-anon' },
        { Type: 'volume', Source: VOLUMES[1], Target: '/mount-named' },
        { Type: 'bind', Source: bindDir2, Target: '/mount-bind', ReadOnly: true },
      ],
    },
  );
  const files = ['/bind', '/named', '/anon', '/image-vol', '/mount-anon', '/mount-named'].map((dir) => `echo ${dir} > ${dir}/data.txt`);
  await execIn(web, MOUNTS, ['/bin/sh', '-c', files.join(' && ')]);
  await createRunning(PARENT, NET, {}, { NetworkMode: 'none', IpcMode: 'shareable' });
  await createRunning(CHILD, NET, {}, { NetworkMode: `container:${PARENT}` });
  await createRunning(SIDECAR, SIDE, {}, { NetworkMode: `container:${PARENT}` });
  await createRunning(PID_CHILD, APP, {}, { PidMode: `container:${PARENT}` });
  await createRunning(IPC_SIDECAR, SIDE, {}, { IpcMode: `container:${PARENT}` });
  await createRunning(VOL_SOURCE, APP, {}, {});
  await execIn(web, VOL_SOURCE, ['/bin/sh', '-c', 'echo shared > /image-vol/data.txt']);
  await createRunning(VOL_CONSUMER, APP, {}, { VolumesFrom: [VOL_SOURCE] });
  await createRunning(LINK_TARGET, SIDE, {}, { NetworkMode: NETWORK });
  await createRunning(LINKED, APP, { NetworkingConfig: { EndpointsConfig: { [NETWORK]: { Links: [LINK_TARGET] } } } }, { NetworkMode: NETWORK });
  for (const name of [...ROWS.map(rowName), ...SHARING]) before.set(name, await inspectOf(web, name));

  v2 = { app: await publish(APP, version(2), pushed[APP_REPO]!), net: await publish(NET, version(2), pushed[NET_REPO]!) };
  // By hand, before freshen runs: APP is pulled already (its tag names v2, its containers still run v1); NET's tag is moved to
  // an image built on web2 that the registry never had.
  await pullOn(web, APP);
  await buildBusyboxImage(web, NET, { lines: version(9) });
}, 120_000);

afterAll(async () => {
  for (const context of contexts) await context.close();
  await cleanUp(web, P, VOLUMES);
  await web
    .getNetwork(NETWORK)
    .remove()
    .catch(() => undefined);
  await rm(bindDir, { recursive: true, force: true });
  await rm(bindDir2, { recursive: true, force: true });
  for (const repo of [APP_REPO, NET_REPO]) {
    await removeImages(web, `${REGISTRY}/${repo}`);
    await removeImages(build, `${REGISTRY}/${repo}`);
    await deleteManifests(repo, pushed[repo]!);
  }
  await web
    .getImage(SIDE)
    .remove({ force: true })
    .catch(() => undefined);
});

describe(`faithful recreation on ${HOST}`, () => {
  it('one pull → stop → start cycle replaces every container, dependents of a replaced parent included', async () => {
    const context = ctx();
    const pull = await runStep(pullStep, context, {});
    // APP was pulled by hand: nothing to pull, yet its containers are replaced below. NET's hand-moved tag is pulled back.
    expect(pull).toMatchObject({ status: 'changed', actions: [expect.stringMatching(new RegExp(`^Pulled ${NET}@sha256:`))] });
    expect(pull.notes).toContain(`${APP} is up to date (${pushed[APP_REPO]!.at(-1)!.slice(7, 19)}).`);
    expect(await imageId(web, NET)).toBe(v2.net);

    const started = Date.now();
    expect(await runStep(stopStep, context, { timeout: '1s' })).toMatchObject({ status: 'changed' });
    const start = await runStep(startStep, context, START);
    expect({ status: start.status, reason: reasonOf(start) }).toEqual({ status: 'changed', reason: undefined });
    const replacedNames = start.actions.filter((a) => a.startsWith('Replaced ')).map((a) => a.split(' ')[1]);
    expect(replacedNames.sort()).toEqual([...ROWS.map(rowName), MOUNTS, PARENT, CHILD, PID_CHILD, VOL_SOURCE, VOL_CONSUMER, LINKED].sort());
    // A parent is replaced before the children that share its namespaces or mount its volumes, and the unmanaged sidecars are
    // recreated right after it, each in what it shares.
    const order = start.actions.map((a) => a.split(' ')[1]);
    expect(order.indexOf(PARENT)).toBeLessThan(order.indexOf(CHILD));
    expect(order.indexOf(PARENT)).toBeLessThan(order.indexOf(PID_CHILD));
    expect(order.indexOf(VOL_SOURCE)).toBeLessThan(order.indexOf(VOL_CONSUMER));
    expect(start.actions).toContain(`Recreated ${SIDECAR} in the network namespace of the new ${PARENT}`);
    expect(start.actions).toContain(`Recreated ${IPC_SIDECAR} in the IPC namespace of the new ${PARENT}`);
    console.info(`stop + start of ${replacedNames.length + 1} containers: ${Date.now() - started}ms`);

    expect(await runStep(stopStep, ctx(), {})).toMatchObject({ status: 'ok' });
    expect(await runStep(startStep, ctx(), START)).toMatchObject({ status: 'ok' });
  }, 120_000);

  it.each(ROWS)('keeps $setting', async (row) => {
    const old = before.get(rowName(row))!;
    const now = await inspectOf(web, rowName(row));
    expect(now.Id).not.toBe(old.Id);
    expect(now.Image).toBe(v2.app);
    expect(at(now, 'State.Running')).toBe(true);
    for (const path of row.same) {
      expect(at(old, path), `${path} was set on the original`).not.toEqual(undefined);
      expect({ path, value: at(now, path) }).toEqual({ path, value: at(old, path) });
    }
    if (row.setting === 'env') expect(at(old, 'Config.Env')).toEqual(expect.arrayContaining(['GREETING=hello world', 'EMPTY=', 'MODE=v1']));
    if (row.setting === 'env') expect(at(now, 'Config.Env')).toEqual(expect.arrayContaining(['GREETING=hello world', 'EMPTY=', 'MODE=v2']));
    if (row.setting === 'labels') expect(at(now, 'Config.Labels')).toEqual({ team: 'frontend', 'com.example.tier': 'web', 'org.t-recreate.version': '2' });
    if (row.setting === 'a user network with aliases') expect(aliasesOf(now, NETWORK)).toEqual(['api', 'api-v1']);
  });

  it('keeps every mount: binds, named volumes and anonymous volumes are the same ones, with their data', async () => {
    const old = before.get(MOUNTS)!;
    const now = await inspectOf(web, MOUNTS);
    expect(mountsOf(now)).toEqual(mountsOf(old));
    expect(mountsOf(now).map((m) => m.Destination)).toEqual(['/anon', '/bind', '/image-vol', '/mount-anon', '/mount-bind', '/mount-named', '/named']);
    const read = await execIn(web, MOUNTS, [
      '/bin/sh',
      '-c',
      'cat /bind/data.txt /named/data.txt /anon/data.txt /image-vol/data.txt /mount-anon/data.txt /mount-named/data.txt /mount-bind/ro.txt',
    ]);
    expect(read).toBe('/bind\n/named\n/anon\n/image-vol\n/mount-anon\n/mount-named\nread-only\n');
    expect(await readFile(join(bindDir, 'data.txt'), 'utf8')).toBe('/bind\n');
  });

  it('containers sharing a replaced parent’s network namespace share the new parent’s', async () => {
    const parent = await inspectOf(web, PARENT);
    expect(parent.Image).toBe(v2.net);
    const namespace = await netNamespace(web, PARENT);
    for (const name of [CHILD, SIDECAR]) {
      const now = await inspectOf(web, name);
      expect(now.Id).not.toBe(before.get(name)!.Id);
      expect(at(now, 'HostConfig.NetworkMode')).toBe(`container:${String(parent.Id)}`);
      expect(await netNamespace(web, name)).toBe(namespace);
    }
    expect((await inspectOf(web, CHILD)).Image).toBe(v2.net);
    // The unmanaged sidecar keeps its own image and reference.
    expect(at(await inspectOf(web, SIDECAR), 'Config.Image')).toBe(SIDE);
  });

  it('containers sharing a replaced parent’s PID or IPC namespace share the new parent’s, and can start again', async () => {
    const parent = await inspectOf(web, PARENT);
    expect(at(parent, 'HostConfig.IpcMode')).toBe('shareable');
    const pidChild = await inspectOf(web, PID_CHILD);
    expect(pidChild.Image).toBe(v2.app);
    expect(at(pidChild, 'HostConfig.PidMode')).toBe(`container:${String(parent.Id)}`);
    expect(await netNamespace(web, PID_CHILD, 'pid')).toBe(await netNamespace(web, PARENT, 'pid'));
    const ipcSidecar = await inspectOf(web, IPC_SIDECAR);
    expect(ipcSidecar.Id).not.toBe(before.get(IPC_SIDECAR)!.Id);
    expect(at(ipcSidecar, 'HostConfig.IpcMode')).toBe(`container:${String(parent.Id)}`);
    expect(await netNamespace(web, IPC_SIDECAR, 'ipc')).toBe(await netNamespace(web, PARENT, 'ipc'));
    // What the issue saw: a PID child left naming the removed parent could never start again.
    for (const name of [PID_CHILD, IPC_SIDECAR]) {
      await web.getContainer(name).restart({ t: 1 });
      expect(at(await inspectOf(web, name), 'State.Running'), name).toBe(true);
    }
  });

  it('a --volumes-from consumer keeps the reference and its source’s volumes, mode and data; a link without an alias stays one', async () => {
    const consumerBefore = before.get(VOL_CONSUMER)!;
    const consumer = await inspectOf(web, VOL_CONSUMER);
    expect(consumer.Image).toBe(v2.app);
    expect(at(consumer, 'HostConfig.VolumesFrom')).toEqual([VOL_SOURCE]);
    expect(at(consumer, 'HostConfig.Binds')).toEqual(at(consumerBefore, 'HostConfig.Binds'));
    expect(mountsOf(consumer)).toEqual(mountsOf(consumerBefore));
    expect(mountsOf(consumer)).toEqual(mountsOf(await inspectOf(web, VOL_SOURCE)));
    const modes = (inspect: Inspect) => ((inspect.Mounts ?? []) as Array<{ Destination: string; Mode: string }>).map((m) => `${m.Destination} ${m.Mode}`);
    expect(modes(consumer)).toEqual(modes(consumerBefore));
    expect(await execIn(web, VOL_CONSUMER, ['cat', '/image-vol/data.txt'])).toBe('shared\n');
    const linked = await inspectOf(web, LINKED);
    expect(linked.Image).toBe(v2.app);
    expect(at(linked, `NetworkSettings.Networks.${NETWORK}.Links`)).toEqual([LINK_TARGET]);
  });

  it('a parent whose new image fails its gate is rolled back, and its dependents rejoin the restored parent', async () => {
    const parentBefore = await inspectOf(web, PARENT);
    await publish(NET, UNHEALTHY(3), pushed[NET_REPO]!);
    const context = ctx();
    expect(await runStep(pullStep, context, {})).toMatchObject({ status: 'changed' });
    expect(await runStep(stopStep, context, { timeout: '1s' })).toMatchObject({
      status: 'changed',
      actions: [expect.stringContaining(CHILD), expect.stringContaining(PARENT), expect.stringMatching(/^Placed the guard/)],
    });
    const start = await runStep(startStep, context, START);
    expect(start).toMatchObject({ status: 'failed', code: 'unhealthy', rolledBack: 2 });
    expect(start.actions).toContain(`Restarted ${IPC_SIDECAR}, ${PID_CHILD}, ${SIDECAR} in the network, PID and IPC namespaces of the restored ${PARENT}`);
    expect(reasonOf(start)).toContain(`${PARENT}: the new container (${NET}: ${v2.net.slice(7, 19)} →`);

    const parent = await inspectOf(web, PARENT);
    expect(parent.Id).toBe(parentBefore.Id);
    const namespace = await netNamespace(web, PARENT);
    expect(await netNamespace(web, CHILD)).toBe(namespace);
    expect(await netNamespace(web, SIDECAR)).toBe(namespace);
    expect(await netNamespace(web, PID_CHILD, 'pid')).toBe(await netNamespace(web, PARENT, 'pid'));
    expect(await netNamespace(web, IPC_SIDECAR, 'ipc')).toBe(await netNamespace(web, PARENT, 'ipc'));
  }, 60_000);
});
