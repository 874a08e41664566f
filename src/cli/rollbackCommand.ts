import { UnreachableError, errorMessage } from '../adapters/errors.js';
import { createRegistryClient } from '../adapters/registry.js';
import type { RegistryClient } from '../adapters/types.js';
import { loadInventory, parseExtraVars } from '../load/index.js';
import { registrySettings, rolloutTag, type Inventory, type RegistrySettings } from '../model/inventory.js';
import { datestampFormatOf, type DatestampFormat } from '../images/datestamp.js';
import { resolveVariables } from '../model/variables.js';
import { planRollback, tagsOf } from '../images/rollbackPlan.js';
import { EXIT } from './exitCodes.js';
import { reportDiagnostics, type Output } from './output.js';

export interface RollbackFlags {
  inventory: string;
  check: boolean;
  extraVars: string[];
}

/** Which registry and rollout tag a rollback of IMAGE uses; IMAGE may carry the registry (`127.0.0.1:5055/lab/web`). */
export type RollbackTarget =
  | { ok: true; settings: RegistrySettings; rolloutTag: string; repository: string; datestamps: DatestampFormat }
  | { ok: false; message: string };

/**
 * Picks the registry from the hosts' `registry` variables (extra variables over them): the one IMAGE names, or the only one the
 * inventory uses. Several registries and a bare IMAGE is ambiguous, so refused.
 */
export function rollbackTarget(inventory: Inventory, image: string, extraVars: Record<string, unknown>): RollbackTarget {
  const byName = new Map<string, Record<string, unknown>>();
  for (const host of inventory.hosts.values()) {
    const vars = resolveVariables(host, {}, extraVars);
    const settings = registrySettings(vars);
    if (settings && !byName.has(settings.name)) byName.set(settings.name, vars);
  }
  if (byName.size === 0 && registrySettings(extraVars)) byName.set(registrySettings(extraVars)!.name, extraVars);
  const named = [...byName.keys()].find((name) => image.startsWith(`${name}/`));
  const chosen = named ?? (byName.size === 1 ? [...byName.keys()][0] : undefined);
  if (chosen === undefined) {
    if (byName.size === 0) return { ok: false, message: `${inventory.file} sets no \`registry\` variable: which registry holds ${image}?` };
    return { ok: false, message: `${inventory.file} uses several registries (${[...byName.keys()].join(', ')}): name one in IMAGE, e.g. ${[...byName.keys()][0]}/${image}` };
  }
  const vars = byName.get(chosen)!;
  const repository = named ? image.slice(named.length + 1) : image;
  if (!/^[a-z0-9]+(?:[._-][a-z0-9]+)*(?:\/[a-z0-9]+(?:[._-][a-z0-9]+)*)*$/.test(repository)) {
    return { ok: false, message: `${image}: not a repository name (expected something like lab/web)` };
  }
  return { ok: true, settings: registrySettings(vars)!, rolloutTag: rolloutTag(vars), repository, datestamps: datestampFormatOf(vars) };
}

/** `freshen rollback -i INVENTORY IMAGE TAG`: points the rollout tag back at TAG's manifest, byte for byte; returns the exit code. */
export async function rollbackCommand(output: Output, image: string, tag: string, flags: RollbackFlags): Promise<number> {
  const extra = parseExtraVars(flags.extraVars);
  const loaded = await loadInventory(flags.inventory, { extraVars: extra.vars });
  if (reportDiagnostics(output, [...extra.diagnostics, ...loaded.diagnostics]) || !loaded.value) return EXIT.invalidInput;
  const target = rollbackTarget(loaded.value, image, extra.vars);
  if (!target.ok) {
    output.err(`freshen rollback: ${target.message}`);
    return EXIT.invalidInput;
  }
  const registry = createRegistryClient(target.settings);
  try {
    return await rollback(output, registry, target, tag, flags.check);
  } catch (error) {
    output.err(`freshen rollback: ${errorMessage(error)}`);
    return error instanceof UnreachableError ? EXIT.hostUnreachable : EXIT.hostFailed;
  } finally {
    registry.close();
  }
}

async function rollback(
  output: Output,
  registry: RegistryClient,
  target: Extract<RollbackTarget, { ok: true }>,
  tag: string,
  check: boolean,
): Promise<number> {
  const { repository, rolloutTag: rollout, datestamps } = target;
  const tags = await registry.tags(repository);
  const [targetDigest, currentDigest] = tags.length === 0 ? [] : await Promise.all([tags.includes(tag) ? registry.manifestDigest(repository, tag) : undefined, registry.manifestDigest(repository, rollout)]);
  // Only the tags naming the current manifest are looked up, for the sentence (`was … = 20261105-0300`).
  const digests = new Map<string, string>();
  if (currentDigest !== undefined) {
    for (const other of tags.filter((t) => t !== rollout)) {
      const digest = await registry.manifestDigest(repository, other);
      if (digest !== undefined) digests.set(other, digest);
    }
  }
  const plan = planRollback(
    { registry: registry.name, repository, tag, rolloutTag: rollout, tags, datestamps, ...(targetDigest ? { targetDigest } : {}), ...(currentDigest ? { currentDigest } : {}) },
    tagsOf(digests, currentDigest, rollout),
  );
  switch (plan.action) {
    case 'refuse':
      output.err(`freshen rollback: ${plan.message}`);
      return EXIT.invalidInput;
    case 'none':
      output.out(`ok: ${plan.sentence}`);
      return EXIT.ok;
    case 'move': {
      if (check) {
        output.out(`CHECK MODE: nothing was changed.\nwould change: ${plan.sentence}`);
        output.out(rolloutHint(registry.name, repository, rollout));
        return EXIT.ok;
      }
      // The exact bytes and media type, so the rollout tag gets the very same digest (no rebuild, no pull).
      const manifest = await registry.manifest(repository, plan.digest);
      if (!manifest) throw new Error(`${registry.name}/${repository}@${plan.digest} vanished while rolling back`);
      const written = await registry.putManifest(repository, rollout, manifest);
      if (written !== plan.digest) throw new Error(`the registry stored ${rollout} as ${written}, not ${plan.digest}`);
      output.out(`changed: ${plan.done}`);
      output.out(rolloutHint(registry.name, repository, rollout));
      return EXIT.ok;
    }
    default: {
      const never: never = plan;
      return never;
    }
  }
}

const rolloutHint = (registry: string, repository: string, rollout: string): string =>
  `Containers running ${registry}/${repository}:${rollout} get it with the rollout steps (pull, stop, start); discover will not rebuild it until a newer build is pushed or it is forced.`;
