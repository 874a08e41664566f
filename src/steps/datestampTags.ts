import type { Engine } from '../adapters/engine.js';
import type { RegistryClient } from '../adapters/types.js';
import type { LocalTagIndex } from '../images/localTagIndex.js';
import { formatDatestamp, freeDatestampTag } from '../images/datestamp.js';

/**
 * Picks the datestamp tag for an image of `repository` built at `when`: looks at the tags the registry and the local engine
 * already hold (with the image each names, for candidates only) so no existing tag is ever moved.
 * Without `localTags` (the build host's tags of this repository) or `imageId` it predicts, treating every taken tag as
 * naming another image.
 */
export async function chooseDatestampTag(options: {
  registry: RegistryClient;
  localTags?: ReadonlyMap<string, string>;
  repository: string;
  when: Date;
  format: string;
  imageId?: string;
}): Promise<string> {
  const { registry, localTags, repository, imageId } = options;
  const base = formatDatestamp(options.when, options.format);
  const isCandidate = (tag: string) => tag === base || (tag.startsWith(`${base}-`) && /^\d+$/.test(tag.slice(base.length + 1)));
  // Every image each candidate tag names, in the registry and locally; a tag is re-usable only if all of them are this image.
  const holders = new Map<string, Array<string | undefined>>();
  const hold = (tag: string, id: string | undefined) => holders.set(tag, [...(holders.get(tag) ?? []), id]);
  for (const tag of (await registry.tags(repository)).filter(isCandidate)) {
    hold(tag, imageId === undefined ? undefined : (await registry.imageConfig(repository, tag))?.configDigest);
  }
  for (const [tag, id] of localTags ?? []) if (isCandidate(tag)) hold(tag, id);
  const existing = new Map([...holders].map(([tag, ids]) => [tag, ids.every((id) => id === ids[0]) ? ids[0] : undefined]));
  return freeDatestampTag(base, existing, imageId);
}

/**
 * Tags a new local image `REGISTRY/REPO:<datestamp>` with a tag no other image holds, locally or in the registry, and records it
 * in the build host's tag index; returns the reference.
 */
export async function tagWithDatestamp(
  env: { engine: Pick<Engine, 'tagImage'>; registry: RegistryClient; localTags: LocalTagIndex },
  image: { repository: string; imageId: string; when: Date; format: string },
): Promise<string> {
  const tag = await chooseDatestampTag({
    registry: env.registry,
    localTags: env.localTags.tagsOf(`${env.registry.name}/${image.repository}`),
    repository: image.repository,
    when: image.when,
    format: image.format,
    imageId: image.imageId,
  });
  const dateRef = `${env.registry.name}/${image.repository}:${tag}`;
  await env.engine.tagImage(image.imageId, dateRef);
  env.localTags.add(dateRef, image.imageId);
  return dateRef;
}
