import { existsSync } from 'node:fs';
import { mkdir, mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { ConnectionPool } from '../adapters/connections.js';
import { dockerodeEngine } from '../adapters/engine.js';
import { errorMessage } from '../adapters/errors.js';
import { containerName } from '../containers/types.js';
import { adoptionRows, repositoriesToAsk, type RegistryView, type SeenWorkload } from '../init/adoption.js';
import { inventoryText, playbookText, type InitHost } from '../init/initFiles.js';
import { loadInventory, loadPlaybook } from '../load/index.js';
import { dockerEndpoint, registrySettings, rolloutTag, type Inventory } from '../model/inventory.js';
import { resolveVariables } from '../model/variables.js';
import { shellQuote } from '../shared/shellQuote.js';
import { mapLimit } from '../shared/mapLimit.js';
import { adoptionLines, type UnreachableHost } from '../ui/adoptionTable.js';
import { EXIT } from './exitCodes.js';
import { reportDiagnostics, type Output } from './output.js';

export interface InitFlags {
  inventory?: readonly string[];
  registry?: string;
  host: string[];
  rolloutTag?: string;
  images?: string;
  builder?: string;
  out: string;
  force: boolean;
  forks: number;
}

const HOST_NAME = /^[^\s:,&!*?[\]~=]+$/;

/**
 * `freshen init`: reads the live fleet (containers, Swarm services, the registry's tags), changing nothing, and writes an
 * inventory (when given hosts rather than one) and a playbook for it, then says what freshen would manage and why not.
 * Exit 0; 4 when a host or the registry could not be read (the files are written all the same); 5 on bad input, with
 * nothing written.
 */
export async function initCommand(output: Output, flags: InitFlags): Promise<number> {
  const command = commandLine(flags);
  const inventoryFile = path.join(flags.out, 'inventories', 'production.yml');
  const playbookFile = path.join(flags.out, 'playbooks', 'freshen.yml');
  const given = flags.inventory !== undefined && flags.inventory.length > 0;
  const problem = initProblem(flags, given);
  if (problem) {
    output.err(`freshen init: ${problem}`);
    return EXIT.invalidInput;
  }
  const targets = given ? [playbookFile] : [inventoryFile, playbookFile];
  const existing = targets.filter((file) => existsSync(file));
  if (existing.length > 0 && !flags.force) {
    output.err(`freshen init: ${existing.join(' and ')} already exist${existing.length === 1 ? 's' : ''}; nothing was written (--force replaces them)`);
    return EXIT.invalidInput;
  }

  const hosts = flags.host.map((pair): InitHost => ({ name: pair.slice(0, pair.indexOf('=')), docker: pair.slice(pair.indexOf('=') + 1) }));
  const registryFromFlag = flags.registry;
  const writtenInventory = given ? undefined : inventoryText({ registry: registryFromFlag!, rolloutTag: flags.rolloutTag ?? 'prod', hosts, command });
  // A generated inventory is loaded from a scratch copy: nothing lands in --out until the survey is done and the files validate.
  const scratch = writtenInventory !== undefined ? await mkdtemp(path.join(tmpdir(), 'freshen-init-')) : undefined;
  try {
    if (scratch !== undefined) await writeFile(path.join(scratch, 'production.yml'), writtenInventory!);
    const loaded = await loadInventory(scratch !== undefined ? [path.join(scratch, 'production.yml')] : flags.inventory!);
    if (reportDiagnostics(output, loaded.diagnostics) || !loaded.value) return EXIT.invalidInput;
    const inventory = loaded.value;
    const registry = registryFromFlag ?? firstRegistry(inventory);
    if (registry === undefined) {
      output.err('freshen init: the inventory sets no `registry` variable; give --registry HOST[:PORT]');
      return EXIT.invalidInput;
    }
    const tag = flags.rolloutTag ?? firstRolloutTag(inventory);
    const dockerHosts = [...inventory.hosts.values()].filter((host) => dockerEndpoint(host.vars) !== undefined).map((host) => host.name);
    if (dockerHosts.length === 0) {
      output.err('freshen init: no host of the inventory has a Docker engine to read (docker.host, or Ansible connection variables)');
      return EXIT.invalidInput;
    }
    if (flags.builder !== undefined && !dockerHosts.includes(flags.builder)) {
      output.err(`freshen init: --builder ${flags.builder} is not a host with a Docker engine (${dockerHosts.join(', ')})`);
      return EXIT.invalidInput;
    }

    const survey = await surveyFleet(inventory, dockerHosts, registry, flags.forks);
    const rows = adoptionRows(survey.workloads, registry, tag, survey.registry);
    const managedHosts = new Set(rows.filter((r) => r.managed && r.kind === 'container').map((r) => r.host));
    const canary = dockerHosts.find((host) => managedHosts.has(host)) ?? dockerHosts[0]!;
    const others = dockerHosts.filter((host) => host !== canary);
    const playbookDir = path.dirname(path.resolve(playbookFile));
    const playbook = playbookText({
      command,
      ...(flags.images !== undefined
        ? { build: { host: flags.builder ?? dockerHosts[0]!, root: path.relative(playbookDir, path.resolve(flags.images)) || '.' } }
        : {}),
      canary,
      ...(others.length > 0 ? { rest: given ? others.join(':') : `docker_hosts:!${canary}` } : {}),
      managers: [...new Set(rows.filter((r) => r.managed && r.kind === 'service').map((r) => r.host))],
    });

    await mkdir(path.dirname(playbookFile), { recursive: true });
    await writeFile(playbookFile, playbook);
    if (writtenInventory !== undefined) {
      await mkdir(path.dirname(inventoryFile), { recursive: true });
      await writeFile(inventoryFile, writtenInventory);
    }
    const inventoryArgs = given ? flags.inventory!.map((file) => `-i ${shellQuote(file)}`).join(' ') : `-i ${shellQuote(inventoryFile)}`;
    const check = await loadPlaybook(playbookFile, (await loadInventory(given ? flags.inventory! : [inventoryFile])).value);
    if (reportDiagnostics(output, check.diagnostics)) return EXIT.invalidInput; // a bug: what init writes must validate

    for (const line of adoptionLines(rows, survey.unreachable)) output.out(line);
    output.out('');
    output.out(`Wrote ${writtenInventory !== undefined ? `${inventoryFile} and ` : ''}${playbookFile}. Next, changing nothing:`);
    output.out(`  freshen ping ${inventoryArgs}`);
    output.out(`  freshen run ${shellQuote(playbookFile)} ${inventoryArgs} --check --diff`);
    return survey.unreachable.length > 0 || 'unreachable' in survey.registry ? EXIT.hostUnreachable : EXIT.ok;
  } finally {
    if (scratch !== undefined) await rm(scratch, { recursive: true, force: true });
  }
}

/** The command as it could be typed again, for the files' first comment. */
function commandLine(flags: InitFlags): string {
  const words = ['freshen', 'init'];
  for (const file of flags.inventory ?? []) words.push('-i', file);
  if (flags.registry !== undefined) words.push('--registry', flags.registry);
  for (const host of flags.host) words.push('--host', host);
  if (flags.rolloutTag !== undefined) words.push('--rollout-tag', flags.rolloutTag);
  if (flags.images !== undefined) words.push('--images', flags.images);
  if (flags.builder !== undefined) words.push('--builder', flags.builder);
  return words.map(shellQuote).join(' ');
}

function initProblem(flags: InitFlags, given: boolean): string | undefined {
  if (!given && flags.host.length === 0)
    return 'name the hosts: -i INVENTORY, or --host NAME=ADDRESS (repeatable), e.g. --host web1=ssh://deploy@web1.example.org';
  if (given && flags.host.length > 0) return '--host adds hosts to a new inventory; with -i, the inventory names the hosts';
  if (!given && flags.registry === undefined) return 'give --registry HOST[:PORT], the registry whose images freshen manages';
  // The messages name the host, never the address: an address may carry a password, which must not be echoed.
  for (const [i, pair] of flags.host.entries()) {
    const at = pair.indexOf('=');
    const name = pair.slice(0, Math.max(at, 0));
    const address = pair.slice(at + 1);
    if (at <= 0 || !HOST_NAME.test(name)) return `--host #${i + 1} is not NAME=ADDRESS, e.g. web1=ssh://deploy@web1.example.org`;
    if (!/^(unix|tcp|ssh):\/\/./.test(address)) return `--host ${name}: the address is unix:///path/docker.sock, tcp://host:port or ssh://user@host`;
    if (/^[a-z]+:\/\/[^@/]*:[^@/]*@/.test(address)) {
      return `--host ${name}: the address carries a password; SSH logs in with your key (~/.ssh), and a tcp:// engine with TLS files`;
    }
  }
  const names = flags.host.map((pair) => pair.slice(0, pair.indexOf('=')));
  const twice = names.find((name, i) => names.indexOf(name) !== i);
  if (twice !== undefined) return `--host ${twice} is given twice`;
  return undefined;
}

const firstRegistry = (inventory: Inventory): string | undefined =>
  [...inventory.hosts.values()].map((host) => registrySettings(host.vars)?.name).find((name) => name !== undefined);

const firstRolloutTag = (inventory: Inventory): string => rolloutTag([...inventory.hosts.values()][0]?.vars ?? {});

interface Survey {
  workloads: SeenWorkload[];
  unreachable: UnreachableHost[];
  registry: RegistryView;
}

/** Every docker host's running containers and (on a manager) services, then the registry's tags for the repositories they run. Reads only. */
async function surveyFleet(inventory: Inventory, dockerHosts: readonly string[], registry: string, forks: number): Promise<Survey> {
  const pool = new ConnectionPool(inventory, { check: true });
  try {
    const workloads: SeenWorkload[] = [];
    const unreachable: UnreachableHost[] = [];
    await mapLimit([...dockerHosts], Math.max(forks, 1), async (name) => {
      try {
        const engine = dockerodeEngine(await pool.of(name, resolveVariables(inventory.hosts.get(name)!)).docker());
        for (const c of await engine.inspectAllContainers()) {
          if (!c.State.Running) continue;
          workloads.push({
            host: name,
            kind: 'container',
            name: containerName(c),
            image: c.Config.Image,
            labels: c.Config.Labels ?? {},
            autoRemove: c.HostConfig.AutoRemove === true,
          });
        }
        for (const s of (await engine.listServices()) ?? []) {
          const image = s.Spec.TaskTemplate.ContainerSpec?.Image;
          if (image !== undefined) workloads.push({ host: name, kind: 'service', name: s.Spec.Name, image, labels: s.Spec.Labels ?? {} });
        }
      } catch (error) {
        unreachable.push({ host: name, reason: errorMessage(error) });
      }
    });
    unreachable.sort((a, b) => a.host.localeCompare(b.host));
    const via = [...inventory.hosts.values()].find((host) => registrySettings(host.vars)?.name === registry);
    let view: RegistryView;
    try {
      const client = pool.of(via?.name ?? dockerHosts[0]!, { ...(via?.vars ?? {}), registry }).registry();
      await client.ping();
      const tags = new Map<string, readonly string[]>();
      await mapLimit(repositoriesToAsk(workloads, registry), 4, async (repository) => {
        // A repository the registry does not have answers 404: no tags, so not managed, which the table says.
        tags.set(repository, await client.tags(repository).catch(() => []));
      });
      view = { tags };
    } catch (error) {
      view = { unreachable: errorMessage(error).split('\n')[0]! };
    }
    return { workloads, unreachable, registry: view };
  } finally {
    await pool.closeAll();
  }
}
