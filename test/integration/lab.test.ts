// The lab itself (scripts/lab.sh): every service answers, SSH checks host keys and reaches web1's engine, the lab
// containers run as defined, and `up` repairs what a crash leaves behind.
import { mkdtemp, readFile, readlink, rm, writeFile } from 'node:fs/promises';
import { execFile } from 'node:child_process';
import { connect } from 'node:net';
import { promisify } from 'node:util';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import ssh2 from 'ssh2';
import { afterAll, describe, expect, it } from 'vitest';
import { parse } from 'yaml';
import {
  buildBusyboxImage,
  LAB_CONTAINER_HOSTS,
  LAB_DIR,
  LAB_HOSTS,
  LAB_INVENTORY,
  labContainers,
  labDocker,
  labSocket,
  pushImage,
  REGISTRY,
  REGISTRY_URL,
  REPO_ROOT,
  runLabScript,
  SSH,
  SWARM_NODES,
  swarmDocker,
  sshTrue,
  UPSTREAM_IMAGE,
} from '../support/lab.js';

const MANIFEST_ACCEPT = 'application/vnd.docker.distribution.manifest.v2+json, application/vnd.oci.image.manifest.v1+json';

const manifestDigest = async (repo: string, tag: string): Promise<string | null> => {
  const response = await fetch(`${REGISTRY_URL}/v2/${repo}/manifests/${tag}`, {
    method: 'HEAD',
    headers: { Accept: MANIFEST_ACCEPT },
  });
  return response.status === 200 ? response.headers.get('docker-content-digest') : null;
};

const registryAnswers = async (): Promise<boolean> => {
  try {
    return (await fetch(`${REGISTRY_URL}/v2/`, { signal: AbortSignal.timeout(2_000) })).status === 200;
  } catch {
    return false;
  }
};

const cmdlineOf = async (pid: number): Promise<string> => {
  try {
    return (await readFile(`/proc/${pid}/cmdline`, 'utf8')).replaceAll('\0', ' ');
  } catch {
    return '';
  }
};

const waitUntil = async (what: string, condition: () => Promise<boolean>, ms = 10_000): Promise<void> => {
  const deadline = Date.now() + ms;
  while (!(await condition())) {
    if (Date.now() > deadline) throw new Error(`timed out waiting until ${what}`);
    await new Promise((r) => setTimeout(r, 100));
  }
};

const pidFrom = async (file: string): Promise<number> => Number((await readFile(file, 'utf8')).trim());

describe('lab services', () => {
  it.each(LAB_HOSTS)('dockerd %s answers on its own socket with its own data root', async (host) => {
    const info = await labDocker(host).info();
    expect(info.DockerRootDir).toBe(join(LAB_DIR, 'docker', host, 'data'));
  });

  it('runs four distinct engines', async () => {
    const ids = await Promise.all(LAB_HOSTS.map(async (host) => (await labDocker(host).info()).ID as string));
    expect(new Set(ids).size).toBe(LAB_HOSTS.length);
  });

  it('serves the registry API and the upstream OS image', async () => {
    const response = await fetch(`${REGISTRY_URL}/v2/`);
    expect(response.status).toBe(200);
    expect(response.headers.get('docker-distribution-api-version')).toBe('registry/2.0');
    expect(await manifestDigest('upstream/os', 'stable')).toMatch(/^sha256:[0-9a-f]{64}$/);
  });

  it('lets clients delete manifests (storage.delete.enabled)', async () => {
    const docker = labDocker('build1');
    const ref = `${REGISTRY}/t-lab/deletable:1`;
    await buildBusyboxImage(docker, ref, { lines: ['LABEL t-lab=deletable'] });
    const digest = await pushImage(docker, ref);
    const response = await fetch(`${REGISTRY_URL}/v2/t-lab/deletable/manifests/${digest}`, { method: 'DELETE' });
    expect(response.status).toBe(202);
    expect(await manifestDigest('t-lab/deletable', '1')).toBeNull();
    await docker.getImage(ref).remove({ force: true });
  });

  it('accepts the lab key over SSH with strict host-key checking', async () => {
    expect(await sshTrue()).toBeUndefined();
  });

  it('refuses SSH when known_hosts pins another host key', async () => {
    const dir = await mkdtemp(join(tmpdir(), 't-lab-ssh-'));
    try {
      const otherKey = 'ssh-ed25519 AAAAC3NzaC1lZDI1NTE5AAAAIOMqqnkVzrm0SdG6UOoqKLsabgH5C9okWi0dh2l9GKJl';
      await writeFile(join(dir, 'known_hosts'), `[${SSH.host}]:${SSH.port} ${otherKey}\n`);
      expect(await sshTrue(join(dir, 'known_hosts'))).toMatch(/REMOTE HOST IDENTIFICATION HAS CHANGED/);
    } finally {
      await rm(dir, { recursive: true, force: true });
    }
  });

  it("reaches web1's engine by forwarding to its unix socket over SSH", async () => {
    const knownKey = (await readFile(SSH.knownHosts, 'utf8')).trim().split(/\s+/)[2] ?? '';
    const privateKey = await readFile(SSH.identityFile);
    const client = new ssh2.Client();
    const reply = await new Promise<string>((resolve, reject) => {
      client
        .on('ready', () => {
          client.openssh_forwardOutStreamLocal(labSocket('web1'), (error, channel) => {
            if (error) return reject(error);
            let data = '';
            channel.on('data', (chunk: Buffer) => (data += chunk.toString('utf8')));
            channel.on('close', () => resolve(data));
            channel.end('GET /_ping HTTP/1.0\r\nHost: docker\r\n\r\n');
          });
        })
        .on('error', reject)
        .connect({
          host: SSH.host,
          port: SSH.port,
          username: SSH.user,
          privateKey,
          hostVerifier: (key: Buffer) => key.toString('base64') === knownKey,
        });
    }).finally(() => client.end());
    expect(reply).toMatch(/^HTTP\/1\.[01] 200/);
    expect(reply.trimEnd().endsWith('OK')).toBe(true);
  });

  it('writes the inventory with absolute paths for this checkout', async () => {
    const text = await readFile(LAB_INVENTORY, 'utf8');
    expect(text.split('\n')[0]).toBe('# yaml-language-server: $schema=../schemas/inventory.schema.json');
    const inventory = parse(text);
    const groups = inventory.all.children;
    expect(inventory.all.vars).toEqual({ registry: REGISTRY });
    expect(Object.keys(groups)).toEqual(['registries', 'builders', 'canary', 'web']);
    expect(groups.registries.hosts.registry1.registry_gc).toEqual({
      before: `${REPO_ROOT}/scripts/lab.sh registry stop`,
      command: `docker-registry garbage-collect ${LAB_DIR}/registry/config.yml --delete-untagged`,
      after: `${REPO_ROOT}/scripts/lab.sh registry start`,
      data_dir: `${LAB_DIR}/registry/data`,
    });
    expect(groups.registries.hosts.registry1.ssh).toEqual({
      host: SSH.host,
      port: SSH.port,
      user: SSH.user,
      identity_file: SSH.identityFile,
      known_hosts: SSH.knownHosts,
    });
    expect(groups.builders.hosts.build1.docker).toEqual({ host: `unix://${labSocket('build1')}` });
    expect(groups.canary.hosts.web1.docker).toEqual({
      host: `ssh://${SSH.user}@${SSH.host}:${SSH.port}`,
      socket: labSocket('web1'),
      identity_file: SSH.identityFile,
      known_hosts: SSH.knownHosts,
    });
    expect(groups.web.hosts.web2.docker).toEqual({ host: `unix://${labSocket('web2')}` });
    expect(groups.web.hosts.web3.docker).toEqual({ host: `unix://${labSocket('web3')}` });
  });

  it('reports every service as up', async () => {
    const { code, stdout } = await runLabScript(['status']);
    expect(code).toBe(0);
    for (const name of [...LAB_HOSTS.map((host) => `dockerd ${host}`), 'registry', 'sshd', 'podman']) {
      expect(stdout).toMatch(new RegExp(`^${name} +up `, 'm'));
    }
  });
});

describe('the lab swarm', () => {
  const inNamespace = (node: string, script: string) =>
    promisify(execFile)('nsenter', [`--net=/run/netns/freshen-${node}`, 'bash', '-c', script]).then(
      (r) => r.stdout,
      (error: { stdout?: string; stderr?: string }) => `failed: ${error.stderr ?? ''}`,
    );
  /** The first line a plain HTTP GET of /v2/ on 127.0.0.1:PORT answers inside the node's namespace. */
  const getV2 = (node: string, port: number) =>
    inNamespace(node, `exec 3<>/dev/tcp/127.0.0.1/${port} && printf 'GET /v2/ HTTP/1.0\\r\\n\\r\\n' >&3 && head -n 1 <&3`);

  it('has three ready nodes, each dockerd in a network namespace of its own with no route out of it', async () => {
    const { stdout } = await runLabScript(['status']);
    for (const node of SWARM_NODES) expect(stdout).toMatch(new RegExp(`^dockerd ${node} +up .*\\(swarm (manager|worker), 10\\.203\\.0\\.1\\d\\)$`, 'm'));
    const nodes = (await swarmDocker('swarm1').listNodes()) as Array<{ Description: { Hostname: string }; Status: { State: string } }>;
    expect(nodes.map((n) => `${n.Description.Hostname} ${n.Status.State}`).sort()).toEqual(SWARM_NODES.map((n) => `${n} ready`));
    const ours = await readlink('/proc/self/ns/net');
    const namespaces = new Set<string>();
    for (const node of SWARM_NODES) {
      const pid = (await readFile(join(LAB_DIR, 'docker', node, 'docker.pid'), 'utf8')).trim();
      namespaces.add(await readlink(`/proc/${pid}/ns/net`));
      expect(await inNamespace(node, 'ip route')).not.toMatch(/default/);
    }
    expect(namespaces.size).toBe(3);
    expect(namespaces.has(ours)).toBe(false);
  });

  it("carries the registry's loopback port into each namespace, and no other port", async () => {
    for (const node of SWARM_NODES) expect(await getV2(node, 5055)).toMatch(/^HTTP\/1\.\d 200/);
    // The sshd listens on 127.0.0.1:2222 here, but not in the nodes' namespaces.
    expect(await getV2('swarm2', 2222)).toMatch(/^failed/);
    // Nor does the relay's own socket connect to a port it does not list.
    const refused = await new Promise<string>((resolve) => {
      const socket = connect(join(LAB_DIR, 'swarm/relay.sock'));
      let got = '';
      socket.on('connect', () => socket.write('2222\nSSH-2.0-probe\r\n'));
      socket.on('data', (chunk) => (got += chunk.toString()));
      socket.on('close', () => resolve(got));
      socket.on('error', () => resolve(got));
    });
    expect(refused).toBe('');
  });
});

describe('lab containers', () => {
  it.each(LAB_CONTAINER_HOSTS)('run on %s as lab/containers.json defines them', async (host) => {
    const docker = labDocker(host);
    for (const def of labContainers(host)) {
      const container = await docker.getContainer(def.name).inspect();
      expect(container.State.Running, `${def.name} on ${host} is running`).toBe(true);
      expect(container.Config.Image).toBe(def.image);
      expect(container.HostConfig.NetworkMode).toBe(def.network);
      const [policy, retries] = def.restart.split(':');
      expect(container.HostConfig.RestartPolicy).toEqual({ Name: policy, MaximumRetryCount: Number(retries ?? 0) });
      for (const [key, value] of Object.entries(def.env ?? {})) expect(container.Config.Env).toContain(`${key}=${value}`);
      for (const [key, value] of Object.entries(def.labels ?? {})) expect(container.Config.Labels[key]).toBe(value);
      for (const volume of def.volumes ?? []) {
        const [source, destination] = volume.split(':');
        const mount = container.Mounts.find((m) => m.Destination === destination);
        expect(mount, `${def.name} mounts ${destination}`).toBeDefined();
        expect(source?.startsWith('/') ? mount?.Source : mount?.Name).toBe(source);
      }
      if (def.command) expect([container.Path, ...container.Args]).toEqual(def.command);
    }
  });

  it('web reports healthy through its HEALTHCHECK', async () => {
    const docker = labDocker('web2');
    await waitUntil(
      'web on web2 is healthy',
      async () => {
        const state = (await docker.getContainer('web').inspect()).State as { Health?: { Status: string } };
        return state.Health?.Status === 'healthy';
      },
      30_000,
    );
  });
});

describe('lab.sh', () => {
  afterAll(async () => {
    // Whatever happened above, leave the lab up for the next test file.
    expect((await runLabScript(['up'])).code).toBe(0);
  });

  it('restarts the registry and sshd when their pidfiles name a live process that is not theirs', async () => {
    const registryPidfile = join(LAB_DIR, 'registry/registry.pid');
    const sshdPidfile = join(LAB_DIR, 'ssh/sshd.pid');
    const registryPid = await pidFrom(registryPidfile);
    const sshdPid = await pidFrom(sshdPidfile);
    process.kill(registryPid, 'SIGTERM');
    process.kill(sshdPid, 'SIGTERM');
    await waitUntil('the registry and sshd are gone', async () => (await cmdlineOf(registryPid)) + (await cmdlineOf(sshdPid)) === '');
    // A reused pid: this very test process. `up` must neither trust it nor kill it.
    await writeFile(registryPidfile, `${process.pid}\n`);
    await writeFile(sshdPidfile, `${process.pid}\n`);

    const { code, stderr } = await runLabScript(['up']);
    expect(code, stderr).toBe(0);
    expect(await registryAnswers()).toBe(true);
    expect(await sshTrue()).toBeUndefined();
    expect(await cmdlineOf(await pidFrom(registryPidfile))).toContain(`docker-registry serve ${LAB_DIR}/registry/config.yml`);
    expect(await cmdlineOf(await pidFrom(sshdPidfile))).toContain(`${LAB_DIR}/ssh/sshd_config`);
  });

  it('brings back a killed dockerd over its containerd leftovers and restarts its containers', async () => {
    const pidfile = join(LAB_DIR, 'docker/web3/docker.pid');
    const dockerdPid = await pidFrom(pidfile);
    process.kill(dockerdPid, 'SIGKILL');
    await waitUntil('dockerd web3 is gone', async () => (await cmdlineOf(dockerdPid)) === '');
    await writeFile(pidfile, `${process.pid}\n`);

    // This file has a temporary and a runtime directory of its own (test/support/fileIsolation.ts), removed when it ends.
    expect(process.env.TMPDIR).toBeDefined();
    const { code, stderr } = await runLabScript(['up']);
    expect(code, stderr).toBe(0);
    const docker = labDocker('web3');
    expect(await docker.ping()).toBeTruthy();
    // The dockerd outlives this file, so it must not keep either: runc writes every exec's files (each health-check probe)
    // into TMPDIR, and once the directory was gone every probe on web3 failed in later files.
    const environment = (await readFile(`/proc/${await pidFrom(pidfile)}/environ`, 'utf8')).split('\0');
    expect(environment.filter((entry) => /^(TMPDIR|XDG_RUNTIME_DIR)=/.test(entry))).toEqual([]);
    for (const def of labContainers('web3')) {
      expect((await docker.getContainer(def.name).inspect()).State.Running, `${def.name} runs again`).toBe(true);
    }
  });

  it('serializes concurrent ups, and both succeed', async () => {
    const results = await Promise.all([runLabScript(['up']), runLabScript(['up'])]);
    expect(results.map((result) => result.code)).toEqual([0, 0]);
    const waited = results.filter((result) => result.stderr.includes('waiting for another scripts/lab.sh'));
    expect(waited).toHaveLength(1);
  });

  it('stops and starts the registry for gc', async () => {
    expect((await runLabScript(['registry', 'stop'])).code).toBe(0);
    expect(await registryAnswers()).toBe(false);
    expect((await runLabScript(['registry', 'start'])).code).toBe(0);
    expect(await registryAnswers()).toBe(true);
  });

  it('publishes a new upstream patch level, then the given one', async () => {
    const docker = labDocker('build1');
    const level = async (): Promise<number> => {
      await new Promise<void>((resolve, reject) =>
        docker.pull(UPSTREAM_IMAGE, (error: Error | null, stream: NodeJS.ReadableStream) =>
          error ? reject(error) : docker.modem.followProgress(stream, (e: Error | null) => (e ? reject(e) : resolve())),
        ),
      );
      return Number((await docker.getImage(UPSTREAM_IMAGE).inspect()).Config.Labels['org.labos.patchlevel']);
    };
    const before = await level();
    const digestBefore = await manifestDigest('upstream/os', 'stable');

    const bumped = await runLabScript(['publish-upstream']);
    expect(bumped.code, bumped.stderr).toBe(0);
    expect(bumped.stdout).toContain(`patchlevel=${before + 1}`);
    expect(await level()).toBe(before + 1);
    expect(await manifestDigest('upstream/os', 'stable')).not.toBe(digestBefore);

    // Put the level back so later test files see the upstream the lab was seeded from.
    const restored = await runLabScript(['publish-upstream', String(before)]);
    expect(restored.code, restored.stderr).toBe(0);
    expect(await level()).toBe(before);
  });
});
