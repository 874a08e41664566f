import { parseImageRef } from '../model/imageRef.js';

/** A node of the build graph: a repository and the tree repositories it is built from. */
export interface GraphNode {
  repository: string;
  dependsOn: readonly string[];
}

export type BuildOrder = { ok: true; order: string[] } | { ok: false; cycle: string[] };

/**
 * Orders repositories so every image comes after the tree images it is built from; ties keep alphabetical order so
 * the result is stable. A cycle is returned as the path that closes it (`a → b → a`).
 */
export function buildOrder(nodes: readonly GraphNode[]): BuildOrder {
  const byName = new Map(nodes.map((n) => [n.repository, n]));
  const state = new Map<string, 'visiting' | 'done'>();
  const order: string[] = [];
  const stack: string[] = [];

  const visit = (name: string): string[] | undefined => {
    const seen = state.get(name);
    if (seen === 'done') return undefined;
    if (seen === 'visiting') return [...stack.slice(stack.indexOf(name)), name];
    state.set(name, 'visiting');
    stack.push(name);
    for (const dep of [...byName.get(name)!.dependsOn].sort()) {
      if (!byName.has(dep)) continue;
      const cycle = visit(dep);
      if (cycle) return cycle;
    }
    stack.pop();
    state.set(name, 'done');
    order.push(name);
    return undefined;
  };

  for (const name of [...byName.keys()].sort()) {
    const cycle = visit(name);
    if (cycle) return { ok: false, cycle };
  }
  return { ok: true, order };
}

/**
 * The tree repositories a set of base references points at: `REGISTRY/<repo>:<tag>` where `<repo>` is in the tree and
 * `<tag>` is the rollout tag (a base pinned to another tag or a digest does not change when the tree image is rebuilt).
 */
export function treeDependencies(bases: readonly string[], registry: string, tag: string, treeRepositories: ReadonlySet<string>): string[] {
  const deps = bases.flatMap((base) => {
    const ref = parseImageRef(base);
    const inTree = ref.registry === registry && ref.tag === tag && ref.digest === undefined && treeRepositories.has(ref.repository);
    return inTree ? [ref.repository] : [];
  });
  return [...new Set(deps)];
}
