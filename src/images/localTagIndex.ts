import type { ImageSummary } from '../adapters/engine.js';

/**
 * The tags a build host's engine holds, per repository (`registry/repo`), from one image listing. rebuild reads it once
 * per step and keeps it current with the tags it adds: asking the engine per image costs in proportion to every image on
 * the engine (the reference filter is applied by scanning them all), once for each stale image.
 */
export class LocalTagIndex {
  private readonly byRepository = new Map<string, Map<string, string>>();

  constructor(images: readonly ImageSummary[]) {
    for (const image of images) for (const ref of image.RepoTags ?? []) this.add(ref, image.Id);
  }

  /** Tag → image ID for one repository. */
  tagsOf(repository: string): ReadonlyMap<string, string> {
    return this.byRepository.get(repository) ?? new Map();
  }

  /** Records a tag made after the listing (`registry/repo:tag`); a tag names one image, so it moves. */
  add(ref: string, imageId: string): void {
    const at = ref.lastIndexOf(':');
    // `<none>:<none>` and digest-only references name no tag.
    if (at <= 0 || ref.includes('@') || ref.slice(at + 1).includes('/')) return;
    const repository = ref.slice(0, at);
    const tags = this.byRepository.get(repository) ?? new Map<string, string>();
    tags.set(ref.slice(at + 1), imageId);
    this.byRepository.set(repository, tags);
  }
}
