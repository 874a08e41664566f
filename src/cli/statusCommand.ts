import { writeFile } from 'node:fs/promises';
import { LOCAL_PORTS } from './localPorts.js';
import { ConnectionPool } from '../adapters/connections.js';
import type { RegistryClient } from '../adapters/types.js';
import { datestampFormatOf } from '../images/datestamp.js';
import { LABEL_PACKAGE_LIST, decodePackageList, packageChangeLines, packageChanges } from '../images/packages.js';
import { parseImageRef } from '../model/imageRef.js';
import { registrySettings } from '../model/inventory.js';
import { findReferrers } from '../adapters/referrers.js';
import { SBOM_MEDIA_TYPE } from '../images/sbom.js';
import { resolveVariables } from '../model/variables.js';
import { runPlaybook } from '../runner/runner.js';
import { runSecrets } from '../shared/secretText.js';
import { mapLimit } from '../shared/mapLimit.js';
import { fleetStatus, referencesOf, type RepositoryBuilds } from '../status/fleetStatus.js';
import { statusPlaybook } from '../status/statusPlaybook.js';
import { loadStepHandlers } from '../steps/kinds.js';
import { statusHtml } from '../ui/statusHtml.js';
import { statusLines } from '../ui/statusTable.js';
import { EXIT } from './exitCodes.js';
import { loadInputs } from './loadInputs.js';
import type { Output } from './output.js';
import { reportPathProblem } from './runCommand.js';

export interface StatusFlags {
  /** The `-i` sources, in order. */
  inventory: readonly string[];
  extraVars: string[];
  forks: number;
  json?: string;
  html?: string;
}

/**
 * `freshen status`: what is stale and why, and which build every managed container and service runs. It runs the
 * playbook's discover, pull and service steps in check mode (so it changes nothing, takes no locks, and says exactly what a
 * run would find), then maps digests to the registry's datestamp tags. Exit 0, or 4 when a host could not be reached or
 * asked (its step failed: a registry that refuses connections fails the builder's discover).
 */
export async function statusCommand(output: Output, playbookFile: string, flags: StatusFlags): Promise<number> {
  const inputs = await loadInputs(output, playbookFile, flags.inventory, flags.extraVars);
  if (!inputs) return EXIT.invalidInput;
  for (const [flag, file] of [
    ['--json', flags.json],
    ['--html', flags.html],
  ] as const) {
    const problem = file !== undefined ? reportPathProblem(file) : undefined;
    if (problem) {
      output.err(`freshen: ${flag} ${file}: ${problem}; nothing was run.`);
      return EXIT.invalidInput;
    }
  }
  const { inventory, playbook, extraVars } = inputs;
  const derived = statusPlaybook(playbook);
  const signal = new AbortController().signal;
  const pool = new ConnectionPool(inventory, { signal, check: true });
  try {
    const report = await runPlaybook(
      derived,
      inventory,
      { check: true, diff: true, ignoreWindow: true, extraVars, forks: flags.forks, signal },
      {
        handlers: await loadStepHandlers(derived.plays.flatMap((play) => play.steps.map((step) => step.kind))),
        connectionsOf: (name, vars) => pool.of(name, vars),
        ...LOCAL_PORTS,
        emit: () => undefined,
        ...(output.now === undefined ? {} : { now: output.now }),
      },
    );
    // One registry client per registry the inventory names, through a host that names it.
    const registries = new Map<string, { client: RegistryClient; vars: Record<string, unknown> }>();
    for (const host of inventory.hosts.values()) {
      const vars = resolveVariables(host, {}, extraVars);
      const name = registrySettings(vars)?.name;
      if (name !== undefined && !registries.has(name)) registries.set(name, { client: pool.of(host.name, vars).registry(), vars });
    }
    const builds = new Map<string, RepositoryBuilds>();
    await mapLimit(referencesOf(report), 4, async (ref) => {
      const parsed = parseImageRef(ref);
      const registry = registries.get(parsed.registry);
      if (registry === undefined || parsed.tag === undefined) return;
      builds.set(ref, await repositoryBuilds(registry.client, parsed.repository, parsed.tag, registry.vars).catch(() => ({ builds: [] })));
    });
    const status = runSecrets.redactDeep(fleetStatus(report, builds, (output.now ?? Date.now)()));
    for (const line of statusLines(status)) output.out(line);
    if (flags.json) await writeFile(flags.json, `${JSON.stringify(status, null, 2)}\n`);
    if (flags.html) await writeFile(flags.html, statusHtml(status));
    // Monitoring alerts on this: any host that could not be asked (a dead registry fails the builder's discover) is exit 4.
    return status.hosts.some((h) => h.state !== 'ok') ? EXIT.hostUnreachable : EXIT.ok;
  } finally {
    await pool.closeAll();
  }
}

/** The digest the rollout tag names, and every datestamp tag's, newest first (HEAD requests only). */
async function repositoryBuilds(registry: RegistryClient, repository: string, tag: string, vars: Record<string, unknown>): Promise<RepositoryBuilds> {
  const format = datestampFormatOf(vars);
  const tags = (await registry.tags(repository)).filter((t) => format.isDatestamp(t)).sort((a, b) => format.compare(b, a));
  const [prodDigest, digests] = await Promise.all([
    registry.manifestDigest(repository, tag),
    Promise.all(tags.map((t) => registry.manifestDigest(repository, t))),
  ]);
  const builds = tags.flatMap((t, i) => (digests[i] !== undefined ? [{ tag: t, digest: digests[i]!, time: format.parse(t)!.time }] : []));
  const prodAt = builds.findIndex((b) => b.digest === prodDigest);
  const before = prodAt >= 0 ? builds.slice(prodAt + 1).find((b) => b.digest !== prodDigest) : undefined;
  const prodChanges = prodDigest !== undefined && before !== undefined ? await changesBetween(registry, repository, before, prodDigest) : undefined;
  const sbom = prodDigest !== undefined ? (await findReferrers(registry, repository, prodDigest, SBOM_MEDIA_TYPE)).referrers.at(-1) : undefined;
  return { ...(prodDigest !== undefined ? { prodDigest } : {}), builds, ...(prodChanges ? { prodChanges } : {}), ...(sbom ? { prodSbom: sbom.digest } : {}) };
}

/** The package changes from the build `before` to prod, from the package lists both builds recorded in their labels. */
async function changesBetween(
  registry: RegistryClient,
  repository: string,
  before: { tag: string; digest: string },
  prodDigest: string,
): Promise<{ against: string; lines: string[] } | undefined> {
  const listOf = async (reference: string): Promise<string[] | undefined> => {
    const label = (await registry.imageConfig(repository, reference))?.config.config?.Labels?.[LABEL_PACKAGE_LIST];
    return label !== undefined ? decodePackageList(label) : undefined;
  };
  const [old, now] = await Promise.all([listOf(before.digest), listOf(prodDigest)]);
  return old !== undefined && now !== undefined ? { against: before.tag, lines: packageChangeLines(packageChanges(old, now)) } : undefined;
}
