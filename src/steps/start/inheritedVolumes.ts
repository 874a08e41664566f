import type { Engine } from '../../adapters/engine.js';
import { volumesParentsOf } from '../../containers/namespaceShare.js';
import type { ContainerInspect } from '../../containers/types.js';

/**
 * The volumes a container mounts through `--volumes-from` (its sources' volumes, by name). They are its sources', not its own:
 * the replacement keeps the `--volumes-from` reference and mounts them through it, so they must not be copied into its binds
 * too (that changed their mode, and named them twice). A source that is gone lends nothing.
 */
export async function inheritedVolumes(engine: Engine, container: ContainerInspect): Promise<Set<string>> {
  const names = new Set<string>();
  for (const ref of volumesParentsOf(container.HostConfig)) {
    const source = await engine.inspectContainer(ref);
    for (const mount of source?.Mounts ?? []) if (mount.Type === 'volume' && mount.Name) names.add(mount.Name);
  }
  return names;
}
