import { describe, expect, it } from 'vitest';
import {
  anonymousVolumeBinds,
  createLink,
  extraNetworkConnections,
  ownEnv,
  ownHealthcheck,
  ownLabels,
  replacementSpec,
} from '../../src/containers/replacement.js';
import type { ContainerConfig, ContainerInspect, HostConfigInfo } from '../../src/containers/types.js';

const ID = 'b86e78fdb93b340fc5e45383028946681e818c8e20842f30753ed628e8918e9f';
const REF = '127.0.0.1:5055/lab/web:prod';
const PATH = 'PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin';
const LOOP = ['/bin/sh', '-c', 'while true; do sleep 1; done'];
const CHECK = { Test: ['CMD-SHELL', 'test -f /tmp/alive'], Interval: 1_000_000_000, Timeout: 3_000_000_000, StartPeriod: 10_000_000_000, Retries: 3 };

/** The old image's defaults, as `docker image inspect` shows them. */
const oldImage: ContainerConfig = {
  Env: [PATH, 'MODE=production'],
  Cmd: LOOP,
  Entrypoint: null,
  WorkingDir: '/srv',
  User: 'app',
  Labels: { 'org.labos.patchlevel': '1', team: 'platform' },
  Healthcheck: CHECK,
  ExposedPorts: { '8080/tcp': {} },
  Volumes: { '/cache': {} },
  StopSignal: 'SIGQUIT',
};

/** A HostConfig as inspect shows it (abridged: every key is carried over as is anyway). */
const hostConfig = (extra: Partial<HostConfigInfo> = {}): HostConfigInfo => ({
  Binds: ['web-data:/data', '/srv/config:/etc/app:ro'],
  LogConfig: { Type: 'json-file', Config: { 'max-size': '10m' } },
  NetworkMode: 'none',
  PortBindings: {},
  RestartPolicy: { Name: 'unless-stopped', MaximumRetryCount: 0 },
  AutoRemove: false,
  VolumesFrom: null,
  CapAdd: ['NET_ADMIN'],
  CapDrop: ['MKNOD'],
  Dns: ['127.0.0.53'],
  ExtraHosts: ['db:127.0.0.1'],
  Links: null,
  Privileged: false,
  SecurityOpt: ['no-new-privileges'],
  Tmpfs: { '/run': 'size=1m' },
  Memory: 67_108_864,
  NanoCpus: 500_000_000,
  Ulimits: [{ Name: 'nofile', Soft: 1024, Hard: 2048 }],
  Devices: [],
  Init: true,
  Mounts: null,
  ...extra,
});

/** A container run from `oldImage` with a few settings of its own; inspect shows them merged with the image's. */
function oldContainer(
  config: Partial<ContainerInspect['Config']> = {},
  host: Partial<HostConfigInfo> = {},
  extra: Partial<ContainerInspect> = {},
): ContainerInspect {
  return {
    Id: ID,
    Name: '/web',
    Image: 'sha256:ec399b1313f1aa07fd2a3556fa813a5a8bc311c4c53ff0ad447ac6d6ecfc2f29',
    RestartCount: 0,
    State: { Status: 'exited', Running: false, ExitCode: 0 },
    Config: {
      Hostname: ID.slice(0, 12),
      Domainname: '',
      User: 'app',
      AttachStdin: false,
      AttachStdout: false,
      AttachStderr: false,
      Tty: false,
      OpenStdin: false,
      StdinOnce: false,
      Env: ['GREETING=hello', PATH, 'MODE=production'],
      Cmd: LOOP,
      Healthcheck: CHECK,
      Image: REF,
      Volumes: { '/cache': {} },
      WorkingDir: '/srv',
      Entrypoint: null,
      OnBuild: null,
      Labels: { 'org.labos.patchlevel': '1', team: 'frontend' },
      ExposedPorts: { '8080/tcp': {} },
      StopSignal: 'SIGQUIT',
      ...config,
    },
    HostConfig: hostConfig(host),
    Mounts: [
      {
        Type: 'volume',
        Name: 'web-data',
        Source: '/var/lib/docker/volumes/web-data/_data',
        Destination: '/data',
        Driver: 'local',
        Mode: 'z',
        RW: true,
        Propagation: '',
      },
      { Type: 'bind', Source: '/srv/config', Destination: '/etc/app', Mode: 'ro', RW: false, Propagation: 'rprivate' },
      {
        Type: 'volume',
        Name: 'f00dcafe',
        Source: '/var/lib/docker/volumes/f00dcafe/_data',
        Destination: '/cache',
        Driver: 'local',
        Mode: '',
        RW: true,
        Propagation: '',
      },
    ],
    NetworkSettings: { Networks: { none: { IPAMConfig: null, Links: null, Aliases: null } } },
    ...extra,
  };
}

describe('replacementSpec', () => {
  it("comes back from Podman's inspect as Podman creates it: ulimit names as create takes them, no HOSTNAME of the old container", () => {
    // Podman 4.3's compat API reports ulimits as RLIMIT_* and the HOSTNAME it sets in Config.Env; create refuses the first
    // (podman#22151), and the second would name the replacement after the container it replaces.
    const podman = oldContainer(
      { Env: ['GREETING=hello', PATH, 'MODE=production', `HOSTNAME=${ID.slice(0, 12)}`] },
      {
        Ulimits: [
          { Name: 'RLIMIT_NOFILE', Soft: 1024, Hard: 2048 },
          { Name: 'RLIMIT_NPROC', Soft: 64, Hard: 64 },
        ],
      },
    );
    const spec = replacementSpec(podman, oldImage, REF);
    expect(spec.HostConfig?.Ulimits).toEqual([
      { Name: 'nofile', Soft: 1024, Hard: 2048 },
      { Name: 'nproc', Soft: 64, Hard: 64 },
    ]);
    expect(spec.Env).toEqual(['GREETING=hello']);
    // A HOSTNAME the user gave that is not the container's own hostname is theirs, and kept.
    const own = replacementSpec(oldContainer({ Env: ['HOSTNAME=proxy', PATH] }), oldImage, REF);
    expect(own.Env).toEqual(['HOSTNAME=proxy']);
  });

  it('keeps a Shell set through the API, and lets the image give its own when the container had the image’s', () => {
    expect(replacementSpec(oldContainer({ Shell: ['/bin/ash', '-eo', 'pipefail', '-c'] }), oldImage, REF).Shell).toEqual(['/bin/ash', '-eo', 'pipefail', '-c']);
    expect(replacementSpec(oldContainer({ Shell: ['/bin/sh', '-c'] }), { ...oldImage, Shell: ['/bin/sh', '-c'] }, REF).Shell).toBeUndefined();
    expect(replacementSpec(oldContainer(), oldImage, REF).Shell).toBeUndefined();
  });

  it('keeps what the user set, drops the old image defaults, and reattaches the anonymous volume by name', () => {
    expect(replacementSpec(oldContainer(), oldImage, REF)).toEqual({
      name: 'web',
      Image: REF,
      AttachStdin: false,
      AttachStdout: false,
      AttachStderr: false,
      Tty: false,
      OpenStdin: false,
      StdinOnce: false,
      Env: ['GREETING=hello'],
      Labels: { team: 'frontend' },
      HostConfig: {
        ...hostConfig(),
        Binds: ['web-data:/data', '/srv/config:/etc/app:ro', 'f00dcafe:/cache'],
      },
    });
  });

  it('keeps every setting that differs from the old image', () => {
    const spec = replacementSpec(
      oldContainer({
        Hostname: 'web.internal',
        Domainname: 'example.org',
        User: 'root',
        Env: ['MODE=debug', PATH],
        Entrypoint: ['/bin/tini', '--'],
        Cmd: ['/bin/serve', '--port', '9090'],
        WorkingDir: '/app',
        Labels: { 'org.labos.patchlevel': '2', team: 'platform' },
        Healthcheck: { ...CHECK, Test: ['CMD', '/bin/check'], Retries: 5 },
        ExposedPorts: { '8080/tcp': {}, '9090/tcp': {} },
        Volumes: { '/cache': {}, '/spool': {} },
        StopSignal: 'SIGTERM',
        StopTimeout: 30,
        Tty: true,
        OpenStdin: true,
        MacAddress: '02:42:ac:11:00:02',
      }),
      oldImage,
      REF,
    );
    expect(spec).toEqual({
      name: 'web',
      Image: REF,
      Hostname: 'web.internal',
      Domainname: 'example.org',
      User: 'root',
      AttachStdin: false,
      AttachStdout: false,
      AttachStderr: false,
      Tty: true,
      OpenStdin: true,
      StdinOnce: false,
      Env: ['MODE=debug'],
      Entrypoint: ['/bin/tini', '--'],
      Cmd: ['/bin/serve', '--port', '9090'],
      Labels: { 'org.labos.patchlevel': '2' },
      Volumes: { '/spool': {} },
      WorkingDir: '/app',
      ExposedPorts: { '9090/tcp': {} },
      StopSignal: 'SIGTERM',
      StopTimeout: 30,
      Healthcheck: { Test: ['CMD', '/bin/check'], Retries: 5 },
      MacAddress: '02:42:ac:11:00:02',
      HostConfig: { ...hostConfig(), Binds: ['web-data:/data', '/srv/config:/etc/app:ro', 'f00dcafe:/cache'] },
    });
  });

  it('with an image that had no defaults, keeps the merged values as they are', () => {
    const spec = replacementSpec(oldContainer({ Volumes: null }), undefined, REF);
    expect(spec.Env).toEqual(['GREETING=hello', PATH, 'MODE=production']);
    expect(spec.Cmd).toEqual(LOOP);
    expect(spec.Healthcheck).toEqual(CHECK);
    expect(spec.User).toBe('app');
    expect(spec.StopSignal).toBe('SIGQUIT');
  });

  it.each([
    {
      name: 'image entrypoint and cmd: both follow the new image',
      image: { Entrypoint: ['/entry'], Cmd: ['serve'] },
      container: { Entrypoint: ['/entry'], Cmd: ['serve'] },
      expected: { Entrypoint: undefined, Cmd: undefined },
    },
    {
      name: 'own cmd with the image entrypoint: the cmd is kept',
      image: { Entrypoint: ['/entry'], Cmd: ['serve'] },
      container: { Entrypoint: ['/entry'], Cmd: ['migrate'] },
      expected: { Entrypoint: undefined, Cmd: ['migrate'] },
    },
    {
      name: 'own entrypoint: Docker dropped the image cmd, so a cmd equal to it is the user’s',
      image: { Entrypoint: ['/entry'], Cmd: ['serve'] },
      container: { Entrypoint: ['/other'], Cmd: ['serve'] },
      expected: { Entrypoint: ['/other'], Cmd: ['serve'] },
    },
    {
      name: 'own entrypoint without cmd',
      image: { Entrypoint: null, Cmd: ['serve'] },
      container: { Entrypoint: ['/bin/sh'], Cmd: null },
      expected: { Entrypoint: ['/bin/sh'], Cmd: undefined },
    },
  ])('$name', ({ image, container, expected }) => {
    const spec = replacementSpec(oldContainer(container), { ...oldImage, ...image }, REF);
    expect({ Entrypoint: spec.Entrypoint, Cmd: spec.Cmd }).toEqual(expected);
  });

  it.each([
    { mode: 'host', hostname: 'build-box', expected: 'build-box' },
    { mode: 'none', hostname: ID.slice(0, 12), expected: undefined },
    { mode: 'container:0123abcd', hostname: '0123abcd0123', expected: undefined },
    { mode: 'none', hostname: '', expected: undefined },
  ])('hostname $hostname in network mode $mode → $expected', ({ mode, hostname, expected }) => {
    expect(replacementSpec(oldContainer({ Hostname: hostname }, { NetworkMode: mode }), oldImage, REF).Hostname).toBe(expected);
  });

  it('keeps network mode container:<name> and the ports it publishes', () => {
    const spec = replacementSpec(
      oldContainer(
        { ExposedPorts: { '8080/tcp': {} } },
        { NetworkMode: 'container:db', PortBindings: { '8080/tcp': [{ HostIp: '127.0.0.1', HostPort: '18080' }] } },
      ),
      oldImage,
      REF,
    );
    expect(spec.HostConfig.NetworkMode).toBe('container:db');
    expect(spec.ExposedPorts).toEqual({ '8080/tcp': {} });
    expect(spec.HostConfig.PortBindings).toEqual({ '8080/tcp': [{ HostIp: '127.0.0.1', HostPort: '18080' }] });
    expect(spec.NetworkingConfig).toBeUndefined();
  });

  it('creates on a user network with its aliases and static address, minus the alias Docker derives from the ID', () => {
    const old = oldContainer(
      {},
      { NetworkMode: 'backend' },
      {
        NetworkSettings: {
          Networks: {
            backend: { IPAMConfig: { IPv4Address: '172.30.0.10' }, Links: null, Aliases: ['api', ID.slice(0, 12)], NetworkID: 'n1' },
            metrics: { IPAMConfig: null, Links: ['/prom:/web/prom'], Aliases: [ID.slice(0, 12)], NetworkID: 'n2' },
          },
        },
      },
    );
    expect(replacementSpec(old, oldImage, REF).NetworkingConfig).toEqual({
      EndpointsConfig: { backend: { IPAMConfig: { IPv4Address: '172.30.0.10' }, Aliases: ['api'] } },
    });
    expect(extraNetworkConnections(old)).toEqual([{ network: 'metrics', EndpointConfig: { Links: ['prom:prom'] } }]);
  });

  it('connects no extra network in host, none or container: mode', () => {
    for (const mode of ['host', 'none', 'container:db']) {
      expect(extraNetworkConnections(oldContainer({}, { NetworkMode: mode }))).toEqual([]);
    }
  });

  it('names anonymous --mount volumes and rewrites legacy links', () => {
    const old = oldContainer(
      { Volumes: null },
      {
        Binds: null,
        Links: ['/db:/web/database'],
        Mounts: [
          { Type: 'volume', Target: '/spool', VolumeOptions: {} },
          { Type: 'volume', Source: 'named', Target: '/named' },
          { Type: 'tmpfs', Target: '/scratch' },
        ],
      },
      {
        Mounts: [
          { Type: 'volume', Name: 'beef01', Destination: '/spool', RW: true },
          { Type: 'volume', Name: 'named', Destination: '/named', RW: true },
        ],
      },
    );
    const spec = replacementSpec(old, oldImage, REF);
    expect(spec.HostConfig.Mounts).toEqual([
      { Type: 'volume', Source: 'beef01', Target: '/spool', VolumeOptions: {} },
      { Type: 'volume', Source: 'named', Target: '/named' },
      { Type: 'tmpfs', Target: '/scratch' },
    ]);
    expect(spec.HostConfig.Binds).toBeNull();
    expect(spec.HostConfig.Links).toEqual(['db:database']);
  });

  it('names the replacement after the original, not the parked name', () => {
    expect(replacementSpec(oldContainer({}, {}, { Name: '/web.freshen-old' }), oldImage, REF).name).toBe('web');
  });

  it('does not change the inspect it was given', () => {
    const old = oldContainer();
    const copy = structuredClone(old);
    replacementSpec(old, oldImage, REF);
    expect(old).toEqual(copy);
  });
});

describe('image-default helpers', () => {
  it.each([
    { env: ['A=1', 'B=2'], image: ['A=1'], own: ['B=2'] },
    { env: ['A=2'], image: ['A=1'], own: ['A=2'] },
    { env: ['A=1'], image: ['A=1'], own: undefined },
    { env: null, image: ['A=1'], own: undefined },
  ])('ownEnv $env over $image → $own', ({ env, image, own }) => {
    expect(ownEnv(env, image)).toEqual(own);
  });

  it.each([
    { labels: { a: '1', b: '2' }, image: { a: '1' }, own: { b: '2' } },
    { labels: { a: '2' }, image: { a: '1' }, own: { a: '2' } },
    { labels: { a: '1' }, image: { a: '1' }, own: undefined },
  ])('ownLabels $labels over $image → $own', ({ labels, image, own }) => {
    expect(ownLabels(labels as Record<string, string>, image)).toEqual(own);
  });

  it.each([
    { name: 'inherited whole', health: CHECK, image: CHECK, own: undefined },
    { name: 'own interval only', health: { ...CHECK, Interval: 5_000_000_000 }, image: CHECK, own: { Interval: 5_000_000_000 } },
    { name: 'disabled', health: { Test: ['NONE'] }, image: CHECK, own: { Test: ['NONE'] } },
    { name: 'own when the image has none', health: CHECK, image: null, own: CHECK },
    { name: 'none at all', health: null, image: null, own: undefined },
  ])('ownHealthcheck: $name', ({ health, image, own }) => {
    expect(ownHealthcheck(health, image)).toEqual(own);
  });

  it('anonymousVolumeBinds skips volumes already named by Binds or Mounts, and keeps read-only', () => {
    const mounts = [
      { Type: 'volume', Name: 'named', Destination: '/data', RW: true },
      { Type: 'volume', Name: 'a1', Destination: '/cache', RW: true },
      { Type: 'volume', Name: 'a2', Destination: '/seed', RW: false },
      { Type: 'volume', Name: 'm1', Destination: '/mounted', RW: true },
      { Type: 'bind', Source: '/etc/x', Destination: '/x', RW: true },
    ];
    expect(anonymousVolumeBinds(mounts, { Binds: ['named:/data:rw'], Mounts: [{ Type: 'volume', Target: '/mounted' }] })).toEqual(['a1:/cache', 'a2:/seed:ro']);
  });

  it('leaves the volumes a container mounts through --volumes-from to that reference', () => {
    const mounts = [
      { Type: 'volume', Name: 'own', Destination: '/cache', RW: true },
      { Type: 'volume', Name: 'lent', Destination: '/shared', RW: true },
    ];
    expect(anonymousVolumeBinds(mounts, {}, new Set(['lent']))).toEqual(['own:/cache']);
    expect(anonymousVolumeBinds(mounts, {})).toEqual(['own:/cache', 'lent:/shared']);
  });

  it.each([
    { link: '/db:/web/db', create: 'db:db' },
    { link: '/db:/web/database', create: 'db:database' },
    { link: 'db:database', create: 'db:database' },
    { link: 'db', create: 'db' },
  ])('createLink $link → $create', ({ link, create }) => {
    expect(createLink(link)).toBe(create);
  });
});
