import { createRegistryClient } from '../adapters/registry.js';
import { readNewestArtifact } from '../adapters/referrers.js';
import { withDockerCredentials } from '../adapters/dockerCredentials.js';
import { errorMessage } from '../adapters/errors.js';
import { SBOM_MEDIA_TYPE } from '../images/sbom.js';
import { loadInventory, parseExtraVars } from '../load/index.js';
import { parseImageRef } from '../model/imageRef.js';
import { registrySettings, type Inventory, type RegistrySettings } from '../model/inventory.js';
import { resolveVariables } from '../model/variables.js';
import { EXIT } from './exitCodes.js';
import { reportDiagnostics, type Output } from './output.js';

export interface SbomFlags {
  inventory?: readonly string[];
  extraVars: string[];
}

/** An SBOM bigger than this is refused: it comes from a registry, and it is printed whole. */
const MAX_SBOM_BYTES = 64 << 20;

/** The settings of IMAGE's registry: a host's (TLS files, credentials) when the inventory has one naming it, else its name alone. */
function settingsFor(registry: string, inventory: Inventory | undefined, extraVars: Record<string, unknown>): RegistrySettings {
  for (const host of inventory?.hosts.values() ?? []) {
    const settings = registrySettings(resolveVariables(host, {}, extraVars));
    if (settings?.name === registry) return settings;
  }
  return registrySettings({ registry })!;
}

/**
 * `freshen sbom IMAGE`: prints the SBOM attached to IMAGE (`registry/repository:tag` or `@digest`), found through the
 * registry's referrers API, else the referrers tag fallback; the newest when there are several.
 */
export async function sbomCommand(output: Output, image: string, flags: SbomFlags): Promise<number> {
  const extra = parseExtraVars(flags.extraVars);
  let inventory: Inventory | undefined;
  if (flags.inventory !== undefined) {
    const loaded = await loadInventory(flags.inventory, { extraVars: extra.vars });
    if (reportDiagnostics(output, [...extra.diagnostics, ...loaded.diagnostics]) || !loaded.value) return EXIT.invalidInput;
    inventory = loaded.value;
  }
  const ref = parseImageRef(image);
  if (!image.includes('/') || (ref.registry === 'docker.io' && !image.startsWith('docker.io/'))) {
    output.err(`freshen sbom: ${image}: name the registry too, e.g. 127.0.0.1:5055/vendor/nginx:prod`);
    return EXIT.invalidInput;
  }
  const settings = await withDockerCredentials(settingsFor(ref.registry, inventory, extra.vars));
  const client = createRegistryClient(settings!);
  try {
    const digest = ref.digest ?? (await client.manifestDigest(ref.repository, ref.tag ?? 'latest'));
    if (digest === undefined) {
      output.err(`freshen sbom: ${image} is not in the registry`);
      return EXIT.hostFailed;
    }
    const found = await readNewestArtifact(client, ref.repository, digest, SBOM_MEDIA_TYPE, MAX_SBOM_BYTES);
    if (found === undefined) {
      output.err(`freshen sbom: ${image} (${digest}) has no SBOM attached (neither the referrers API nor the tag ${digest.replace(':', '-')} lists one)`);
      return EXIT.hostFailed;
    }
    output.out(found.content.toString('utf8').trimEnd());
    return EXIT.ok;
  } catch (error) {
    output.err(`freshen sbom: ${image}: ${errorMessage(error)}`);
    return EXIT.hostUnreachable;
  } finally {
    client.close();
  }
}
