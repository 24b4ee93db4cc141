import { cruise, type ICruiseResult } from 'dependency-cruiser';
import extractDepcruiseOptions from 'dependency-cruiser/config-utl/extract-depcruise-options';
import { describe, expect, it } from 'vitest';

/** The part of src/ a module belongs to: its top-level folder, or the file itself for src/*.ts (the composition root). */
function partOf(path: string): string {
  return /^src\/([^/]+)\//.exec(path)?.[1] ?? path;
}

/** Part -> the parts it imports (type imports included), each with one import that shows it. */
function partGraph(result: ICruiseResult): Map<string, Map<string, string>> {
  const graph = new Map<string, Map<string, string>>();
  for (const module of result.modules) {
    const from = partOf(module.source);
    const edges = graph.get(from) ?? new Map<string, string>();
    graph.set(from, edges);
    for (const dependency of module.dependencies) {
      const to = partOf(dependency.resolved);
      if (to !== from && dependency.resolved.startsWith('src/') && !edges.has(to)) edges.set(to, `${module.source} -> ${dependency.resolved}`);
    }
  }
  return graph;
}

/** Every cycle between parts, as the strongly connected components (Tarjan) of more than one part. */
function partCycles(graph: Map<string, Map<string, string>>): string[][] {
  const index = new Map<string, number>();
  const low = new Map<string, number>();
  const stack: string[] = [];
  const cycles: string[][] = [];
  const visit = (part: string) => {
    index.set(part, index.size);
    low.set(part, index.get(part)!);
    stack.push(part);
    for (const next of graph.get(part)?.keys() ?? []) {
      if (!index.has(next)) {
        visit(next);
        low.set(part, Math.min(low.get(part)!, low.get(next)!));
      } else if (stack.includes(next)) low.set(part, Math.min(low.get(part)!, index.get(next)!));
    }
    if (low.get(part) !== index.get(part)) return;
    const component: string[] = [];
    let member: string;
    do {
      member = stack.pop()!;
      component.push(member);
    } while (member !== part);
    if (component.length > 1) cycles.push(component.sort());
  };
  for (const part of graph.keys()) if (!index.has(part)) visit(part);
  return cycles;
}

describe('architecture', () => {
  it('has no import cycle between the parts of src/ (type imports included)', async () => {
    const options = await extractDepcruiseOptions('./.dependency-cruiser.mjs');
    const { output } = await cruise(['src'], options);
    const result = output as ICruiseResult;
    const graph = partGraph(result);
    expect(graph.size).toBeGreaterThan(10);
    const described = partCycles(graph).map((cycle) => {
      const imports = cycle.flatMap((from) => cycle.map((to) => graph.get(from)?.get(to)).filter((line) => line !== undefined));
      return `${cycle.join(' <-> ')}: ${imports.join('; ')}`;
    });
    expect(described).toEqual([]);
  });

  it('names the parts of a cycle', () => {
    const graph = new Map([
      ['a', new Map([['b', 'src/a/x.ts -> src/b/y.ts']])],
      ['b', new Map([['a', 'src/b/y.ts -> src/a/x.ts']])],
      ['c', new Map([['a', 'src/c/z.ts -> src/a/x.ts']])],
    ]);
    expect(partCycles(graph)).toEqual([['a', 'b']]);
  });
});
