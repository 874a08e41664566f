// The modules of src/ import each other without a circle (docs/architecture.md draws the layers). A circle is where a layer
// reaches back into one that depends on it: the runner's facts and the steps that produce them were the last one.
import { readdirSync, readFileSync } from 'node:fs';
import { dirname, join, relative, resolve } from 'node:path';
import { describe, expect, it } from 'vitest';

const SRC = resolve(import.meta.dirname, '../../src');

function sourceFiles(dir: string): string[] {
  return readdirSync(dir, { withFileTypes: true }).flatMap((entry) =>
    entry.isDirectory() ? sourceFiles(join(dir, entry.name)) : entry.name.endsWith('.ts') ? [join(dir, entry.name)] : [],
  );
}

/** Each module's relative imports, static, type-only and dynamic alike (a type import is a dependency of the reader too). */
function importGraph(): Map<string, string[]> {
  const files = sourceFiles(SRC);
  const known = new Set(files);
  return new Map(
    files.map((file) => {
      const text = readFileSync(file, 'utf8');
      const targets = [...text.matchAll(/(?:\bfrom\s+|\bimport\s*\(\s*)'(\.{1,2}\/[^']+)'/g)].map((match) =>
        resolve(dirname(file), match[1]!.replace(/\.js$/, '.ts')),
      );
      return [file, targets.filter((target) => known.has(target))];
    }),
  );
}

/** Every circle a depth-first walk meets, as the modules on it (relative to src/). */
function circles(graph: Map<string, string[]>): string[][] {
  const found: string[][] = [];
  const state = new Map<string, 'open' | 'done'>();
  const path: string[] = [];
  const visit = (module: string): void => {
    state.set(module, 'open');
    path.push(module);
    for (const target of graph.get(module) ?? []) {
      if (state.get(target) === 'open') found.push(path.slice(path.indexOf(target)).map((m) => relative(SRC, m)));
      else if (!state.has(target)) visit(target);
    }
    path.pop();
    state.set(module, 'done');
  };
  for (const module of graph.keys()) if (!state.has(module)) visit(module);
  return found;
}

describe('the import graph of src/', () => {
  const graph = importGraph();

  it('is read: every layer is there', () => {
    const layers = new Set([...graph.keys()].map((file) => relative(SRC, file).split('/')[0]));
    for (const layer of ['model', 'load', 'images', 'containers', 'steps', 'runner', 'adapters', 'cli']) expect(layers).toContain(layer);
    expect([...graph.values()].flat().length).toBeGreaterThan(500);
  });

  it('has no circle', () => {
    expect(circles(graph)).toEqual([]);
  });

  it('finds a circle where there is one', () => {
    const a = join(SRC, 'a.ts');
    const b = join(SRC, 'b.ts');
    expect(
      circles(
        new Map([
          [a, [b]],
          [b, [a]],
        ]),
      ),
    ).toEqual([['a.ts', 'b.ts']]);
  });
});
