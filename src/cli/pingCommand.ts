import { performance } from 'node:perf_hooks';
import { ConnectionPool } from '../adapters/connections.js';
import { engineSummary, redactAddress } from '../adapters/docker.js';
import { errorMessage } from '../adapters/errors.js';
import { loadInventory, parseExtraVars } from '../load/index.js';
import { selectHosts } from '../model/hostPattern.js';
import { dockerEndpoint, registrySettings, sshEndpoint } from '../model/inventory.js';
import { resolveVariables } from '../model/variables.js';
import { mapLimit } from '../shared/mapLimit.js';
import { pingLines, type PingCheck } from '../ui/pingTable.js';
import { EXIT } from './exitCodes.js';
import { limitProblem } from './limitProblem.js';
import { reportDiagnostics, type Output } from './output.js';

export interface PingFlags {
  /** The `-i` sources, in order. */
  inventory: readonly string[];
  limit?: string;
  extraVars: string[];
  forks: number;
}

/** Times one check; a failure is its message, never a throw. */
async function timed(host: string, check: PingCheck['check'], target: string, probe: () => Promise<string>): Promise<PingCheck> {
  const started = performance.now();
  try {
    const detail = await probe();
    return { host, check, target, ok: true, detail, ms: performance.now() - started };
  } catch (error) {
    return { host, check, target, ok: false, detail: errorMessage(error), ms: performance.now() - started };
  }
}

/**
 * `freshen ping -i INVENTORY`: can freshen reach every host by each way the inventory says it will? Every host's engine
 * (connect, ping, API negotiation, Swarm role), its SSH (login and one `true`), and each registry the inventory names
 * (`GET /v2/` with its credentials and TLS), all at once. Reads only. Exit 0, 4 when any check failed, 5 on invalid input.
 */
export async function pingCommand(output: Output, flags: PingFlags): Promise<number> {
  const extra = parseExtraVars(flags.extraVars);
  const loaded = await loadInventory(flags.inventory, { extraVars: extra.vars });
  if (reportDiagnostics(output, [...extra.diagnostics, ...loaded.diagnostics]) || !loaded.value) return EXIT.invalidInput;
  const inventory = loaded.value;
  const badLimit = limitProblem(flags.limit, inventory, inventory.file);
  if (badLimit) {
    output.err(badLimit);
    return EXIT.invalidInput;
  }
  const hosts = flags.limit ? selectHosts(flags.limit, inventory) : [...inventory.hosts.keys()];
  const pool = new ConnectionPool(inventory, { check: true });
  const probes: Array<() => Promise<PingCheck>> = [];
  const registries = new Set<string>();
  for (const name of hosts) {
    const vars = resolveVariables(inventory.hosts.get(name)!, {}, extra.vars);
    const connections = pool.of(name, vars);
    const docker = dockerEndpoint(vars);
    if (docker !== undefined) {
      probes.push(() =>
        timed(name, 'engine', redactAddress(docker.host), async () => {
          const summary = await engineSummary(await connections.docker());
          return [summary.api ? `API ${summary.api}` : undefined, summary.version ? `Docker ${summary.version}` : undefined, summary.swarm]
            .filter(Boolean)
            .join(', ');
        }),
      );
    }
    const ssh = sshEndpoint(vars);
    if (ssh !== undefined) {
      const target = `${ssh.user !== undefined ? `${ssh.user}@` : ''}${ssh.host}${ssh.port !== undefined ? `:${ssh.port}` : ''}`;
      probes.push(() =>
        timed(name, 'ssh', target, async () => {
          const result = await (await connections.ssh()).exec('true', { timeoutMs: 30_000 });
          if (result.code !== 0) throw new Error(`\`true\` exited ${result.code} on the host`);
          return 'logged in, ran `true`';
        }),
      );
    }
    const registry = registrySettings(vars);
    const key = registry ? `${registry.url}\0${registry.auth?.username ?? ''}` : undefined;
    if (registry !== undefined && key !== undefined && !registries.has(key)) {
      registries.add(key);
      probes.push(() =>
        timed('-', 'registry', redactAddress(registry.url), async () => {
          await connections.registry().ping();
          return registry.auth ? `answered, as ${registry.auth.username}` : 'answered, without credentials';
        }),
      );
    }
  }
  try {
    const checks = await mapLimit(probes, Math.max(flags.forks, 1), (probe) => probe());
    for (const line of pingLines(checks)) output.out(line);
    return checks.every((c) => c.ok) ? EXIT.ok : EXIT.hostUnreachable;
  } finally {
    await pool.closeAll();
  }
}
