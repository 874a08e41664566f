// connectDocker against the lab engines: over the local socket, and over ssh:// through the lab sshd to web1's socket.
import type Docker from 'dockerode';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ConnectionPool } from '../../src/adapters/connections.js';
import { closeDocker, connectDocker } from '../../src/adapters/docker.js';
import { UnreachableError } from '../../src/adapters/errors.js';
import type { DockerEndpoint } from '../../src/model/inventory.js';
import { LAB_DIR, SSH, buildBusyboxImage, labDocker, labSocket, removeContainers } from '../support/lab.js';
import { labHost, labInventory } from '../support/stepContext.js';

const IMAGE = 't-adapters/probe:1';
const PREFIX = 't-adapters-';

const overSsh: DockerEndpoint = {
  host: `ssh://${SSH.user}@${SSH.host}:${SSH.port}`,
  socket: labSocket('web1'),
  identity_file: SSH.identityFile,
  known_hosts: SSH.knownHosts,
};

async function unreachable(endpoint: DockerEndpoint): Promise<UnreachableError> {
  const outcome = await connectDocker(endpoint, { pingTimeoutMs: 5_000 }).then(
    () => new Error('connected, but should have failed'),
    (error: unknown) => error,
  );
  if (!(outcome instanceof UnreachableError)) throw outcome;
  return outcome;
}

const web1 = labDocker('web1');

beforeAll(async () => {
  await removeContainers(web1, PREFIX);
  await buildBusyboxImage(web1, IMAGE, { lines: ['CMD ["sleep", "3600"]'] });
  await web1.createContainer({ name: `${PREFIX}probe-a`, Image: IMAGE, Labels: { 't-adapters': 'a' }, HostConfig: { NetworkMode: 'none' } });
  const running = await web1.createContainer({ name: `${PREFIX}probe-b`, Image: IMAGE, HostConfig: { NetworkMode: 'none' } });
  await running.start();
});

afterAll(async () => {
  await removeContainers(web1, PREFIX);
  await web1
    .getImage(IMAGE)
    .remove({ force: true })
    .catch(() => undefined);
});

describe('docker over ssh://', () => {
  let local: Docker;
  let remote: Docker;
  beforeAll(async () => {
    [local, remote] = await Promise.all([connectDocker({ host: `unix://${labSocket('web1')}` }), connectDocker(overSsh)]);
  });
  afterAll(async () => {
    await Promise.all([closeDocker(local), closeDocker(remote)]);
  });

  it('lists the same containers through the tunnel as over the local socket', async () => {
    const summary = (containers: Docker.ContainerInfo[]) =>
      containers.map((c) => ({ id: c.Id, names: c.Names, image: c.Image, state: c.State, labels: c.Labels })).sort((a, b) => a.id.localeCompare(b.id));
    const [viaSocket, viaSsh] = await Promise.all([local.listContainers({ all: true }), remote.listContainers({ all: true })]);
    expect(summary(viaSsh)).toEqual(summary(viaSocket));
    expect(viaSsh.map((c) => c.Names[0])).toEqual(expect.arrayContaining([`/${PREFIX}probe-a`, `/${PREFIX}probe-b`]));
  });

  it('carries many requests at once and larger bodies', async () => {
    const inspections = await Promise.all(Array.from({ length: 8 }, () => remote.getImage(IMAGE).inspect()));
    expect(new Set(inspections.map((image) => image.Id)).size).toBe(1);
    expect(inspections[0]!.Id).toBe((await local.getImage(IMAGE).inspect()).Id);
  });

  it('talks API 1.41 to the engine', async () => {
    expect((await remote.version()).ApiVersion).toBe('1.41');
  });

  it('streams logs through the tunnel', async () => {
    const container = await remote.createContainer({
      name: `${PREFIX}echo`,
      Image: IMAGE,
      Cmd: ['echo', 'hello through ssh'],
      HostConfig: { NetworkMode: 'none' },
    });
    await container.start();
    await container.wait();
    const logs = await container.logs({ stdout: true, stderr: false, follow: false });
    // Docker frames non-TTY output: an 8-byte header per chunk.
    expect(logs.subarray(8).toString('utf8')).toBe('hello through ssh\n');
  });
});

it('ignores DOCKER_HOST in the environment', async () => {
  const saved = process.env.DOCKER_HOST;
  process.env.DOCKER_HOST = 'ssh://nobody@127.0.0.1:1';
  try {
    const docker = await connectDocker({ host: `unix://${labSocket('web2')}` });
    expect((await docker.version()).ApiVersion).toBe('1.41');
    await closeDocker(docker);
  } finally {
    if (saved === undefined) delete process.env.DOCKER_HOST;
    else process.env.DOCKER_HOST = saved;
  }
});

describe('unreachable engines', () => {
  it('a missing socket', async () => {
    const socket = `${LAB_DIR}/docker/nowhere/docker.sock`;
    const error = await unreachable({ host: `unix://${socket}` });
    expect(error.message).toBe(`Docker Engine at unix://${socket} could not be reached: no such socket`);
  });

  it('a closed TCP port', async () => {
    const error = await unreachable({ host: 'tcp://127.0.0.1:1', tls: false });
    expect(error.code).toBe('connection-refused');
    expect(error.message).toBe('Docker Engine at tcp://127.0.0.1:1 could not be reached: connection refused');
  });

  it('a missing socket on the SSH host', async () => {
    const error = await unreachable({ ...overSsh, socket: '/nonexistent/docker.sock' });
    expect(error.code).toBe('socket-unreachable');
    expect(error.message).toMatch(
      new RegExp(
        `^Docker Engine at ssh://root@127\\.0\\.0\\.1:${SSH.port} \\(socket /nonexistent/docker\\.sock\\) could not be reached: could not open /nonexistent/docker\\.sock on root@127\\.0\\.0\\.1:${SSH.port}: `,
      ),
    );
  });

  it('an SSH host whose key is unknown', async () => {
    const error = await unreachable({ ...overSsh, known_hosts: `${LAB_DIR}/nonexistent_known_hosts` });
    expect(error.code).toBe('host-key-unknown');
  });
});

describe('ConnectionPool', () => {
  const inventory = labInventory([labHost('web1'), labHost('web2'), labHost('registry1')]);
  const pool = new ConnectionPool(inventory);
  const vars = (name: string) => inventory.hosts.get(name)?.vars ?? {};
  afterAll(() => pool.closeAll());

  it('opens each connection once and reuses it', async () => {
    const [first, second] = await Promise.all([pool.of('web1', vars('web1')).docker(), pool.of('web1', vars('web1')).docker()]);
    expect(second).toBe(first);
    expect(await pool.of('web1', vars('web1')).docker()).toBe(first);
    expect(pool.of('web2', vars('web2')).registry()).toBe(pool.of('web2', vars('web2')).registry());
    const ssh = await pool.of('registry1', vars('registry1')).ssh();
    expect(await pool.of('registry1', vars('registry1')).ssh()).toBe(ssh);
    expect((await ssh.exec('echo pooled')).stdout).toBe('pooled\n');
  });

  it('gives other variables other connections: a play naming another registry gets a client of that registry', () => {
    const own = pool.of('web2', vars('web2')).registry();
    const other = pool.of('web2', { ...vars('web2'), registry: '127.0.0.1:5999' }).registry();
    expect(own.name).toBe(vars('web2').registry);
    expect(other.name).toBe('127.0.0.1:5999');
    expect(pool.of('web2', { ...vars('web2') }).registry()).toBe(own);
  });

  it('opens a new SSH session when the old one was closed', async () => {
    const first = await pool.of('registry1', vars('registry1')).ssh();
    await first.close();
    const second = await pool.of('registry1', vars('registry1')).ssh();
    expect(second).not.toBe(first);
    expect((await second.exec('echo again')).stdout).toBe('again\n');
  });

  it('says which endpoint a host lacks', async () => {
    await expect(pool.of('web2', vars('web2')).ssh()).rejects.toThrow('host web2 has no `ssh` endpoint');
    await expect(pool.of('registry1', vars('registry1')).docker()).rejects.toThrow('host registry1 has no `docker` endpoint');
    expect(() => pool.of('web9', vars('web9'))).toThrow(`host web9 is not in the inventory ${inventory.file}`);
  });
});
