// Real StepContexts for step integration tests: the lab's hosts as the inventory describes them, and a ConnectionPool.
import { join } from 'node:path';
import { ConnectionPool } from '../../src/adapters/connections.js';
import type { Group, Host, Inventory } from '../../src/model/inventory.js';
import { resolveVariables } from '../../src/model/variables.js';
import { newRunState, type HostFacts, type RunState } from '../../src/steps/facts.js';
import type { StepContext } from '../../src/steps/types.js';
import { localFiles } from '../../src/adapters/localFiles.js';
import { hostGuard } from '../../src/adapters/hostGuard.js';
import { LAB_DIR, REGISTRY, REPO_ROOT, SSH, labSocket, web1SshSocket } from './lab.js';

/** The hosts of inventories/lab.yml. */
export type LabHostName = 'build1' | 'web1' | 'web2' | 'web3' | 'registry1';

const LAB_GROUP_OF: Record<LabHostName, string> = {
  registry1: 'registries',
  build1: 'builders',
  web1: 'canary',
  web2: 'web',
  web3: 'web',
};

const sshEndpoint = () => ({ host: SSH.host, port: SSH.port, user: SSH.user, identity_file: SSH.identityFile, known_hosts: SSH.knownHosts });

/** Connection variables of each lab host, as scripts/lab.sh writes them into inventories/lab.yml. */
function labConnectionVars(name: LabHostName): Record<string, unknown> {
  switch (name) {
    case 'registry1': {
      const registryDir = join(LAB_DIR, 'registry');
      const labScript = join(REPO_ROOT, 'scripts/lab.sh');
      return {
        ssh: sshEndpoint(),
        registry_gc: {
          before: `${labScript} registry stop`,
          command: `docker-registry garbage-collect ${join(registryDir, 'config.yml')} --delete-untagged`,
          after: `${labScript} registry start`,
          data_dir: join(registryDir, 'data'),
        },
      };
    }
    case 'web1':
      // Reached like a remote engine: through the lab sshd, to web1's socket.
      return {
        docker: { host: `ssh://${SSH.user}@${SSH.host}:${SSH.port}`, socket: web1SshSocket(), identity_file: SSH.identityFile, known_hosts: SSH.knownHosts },
      };
    default:
      return { docker: { host: `unix://${labSocket(name)}` } };
  }
}

/** A lab host with its endpoints and `registry`; `extraVars` go over them (e.g. `{ rollout_tag: 't-mine' }`). */
export function labHost(name: LabHostName, extraVars: Record<string, unknown> = {}): Host {
  return {
    name,
    groups: ['all', LAB_GROUP_OF[name]],
    vars: { registry: REGISTRY, ...labConnectionVars(name), ...extraVars },
  };
}

/** An inventory of the given hosts (default: every lab host), grouped as in inventories/lab.yml. */
export function labInventory(hosts: Host[] = (['registry1', 'build1', 'web1', 'web2', 'web3'] as const).map((name) => labHost(name))): Inventory {
  const groups = new Map<string, Group>();
  const group = (name: string): Group => {
    let found = groups.get(name);
    if (found === undefined) {
      found = { name, hosts: [], children: [], vars: {} };
      groups.set(name, found);
      if (name !== 'all') groups.get('all')!.children.push(name);
    }
    return found;
  };
  group('all');
  for (const host of hosts) {
    for (const name of host.groups.filter((g) => g !== 'all')) group(name).hosts.push(host.name);
  }
  return { file: join(REPO_ROOT, 'inventories/lab.yml'), groups, hosts: new Map(hosts.map((host) => [host.name, host])) };
}

export interface StepContextOptions {
  host: Host;
  /** Variables over the host's own (play vars, `-e`). */
  vars?: Record<string, unknown>;
  check?: boolean;
  playbookDir?: string;
  /** Other hosts reachable through `connectionsOf`; default: an inventory of `host` alone. */
  inventory?: Inventory;
  facts?: HostFacts;
  run?: RunState;
  signal?: AbortSignal;
  /** The wall clock steps judge time by; Date.now unless given. */
  now?: () => number;
}

/** A real StepContext over a ConnectionPool; `progress` collects what the step reported; `close` closes every connection. */
export function makeStepContext(opts: StepContextOptions): { ctx: StepContext; progress: string[]; close(): Promise<void> } {
  const given = opts.inventory ?? labInventory([opts.host]);
  const inventory = given.hosts.has(opts.host.name) ? given : { ...given, hosts: new Map(given.hosts).set(opts.host.name, opts.host) };
  const vars = resolveVariables(opts.host, opts.vars);
  const pool = new ConnectionPool(inventory, { check: opts.check ?? false });
  const progress: string[] = [];
  const ctx: StepContext = {
    host: opts.host,
    vars,
    check: opts.check ?? false,
    playbookDir: opts.playbookDir ?? join(REPO_ROOT, 'playbooks'),
    inventory,
    connections: pool.of(opts.host.name, vars),
    connectionsOf: (name) => pool.of(name, resolveVariables(inventory.hosts.get(name))),
    facts: opts.facts ?? {},
    run: opts.run ?? newRunState(),
    guard: hostGuard,
    files: localFiles,
    signal: opts.signal ?? new AbortController().signal,
    progress: (message) => progress.push(message),
    now: opts.now ?? Date.now,
  };
  return { ctx, progress, close: () => pool.closeAll() };
}
