import type { RegistryClient } from '../adapters/types.js';
import { imageCreated } from '../images/provenance.js';
import { shownDigest } from '../images/imageSentences.js';
import { cooldownWait, type CooldownWait } from '../stages/cooldown.js';

/**
 * pull's and service's `cooldown`: whether the build a tag names now (`digest`) is younger than `cooldownMs`, by its image's
 * creation time (`org.opencontainers.image.created`, else the config's), so the host keeps what it runs until then.
 */
export async function buildWait(
  registry: RegistryClient,
  ref: string,
  repository: string,
  digest: string,
  cooldownMs: number | undefined,
  now: number,
  act: string,
): Promise<CooldownWait | undefined> {
  if (cooldownMs === undefined) return undefined;
  const config = await registry.imageConfig(repository, digest);
  return cooldownWait(`${ref}: the registry's build ${shownDigest(digest)} is new`, imageCreated(config?.config), cooldownMs, now, act);
}
