// FK dependency levels and cycles: Tarjan's strongly connected components over the
// FK graph, then levels over the graph of components. Pure: no database here.

import type { FkCycle } from './model.ts';

export interface FkEdge {
  /** `schema.table.constraint` */
  id: string;
  /** referencing table */
  from: string;
  /** referenced table */
  to: string;
  breakable: boolean;
}

export interface LoadOrder {
  levels: string[][];
  cycles: FkCycle[];
  selfReferencing: string[];
}

export function computeLoadOrder(tables: string[], edges: FkEdge[]): LoadOrder {
  const known = new Set(tables);
  const deps = new Map<string, Set<string>>(tables.map((t) => [t, new Set()]));
  const selfReferencing = new Set<string>();
  for (const e of edges) {
    if (!known.has(e.from) || !known.has(e.to)) continue;
    if (e.from === e.to) selfReferencing.add(e.from);
    else deps.get(e.from)!.add(e.to);
  }

  const components = stronglyConnected([...known].sort(), deps);
  const componentOf = new Map<string, number>();
  components.forEach((members, i) => {
    for (const m of members) componentOf.set(m, i);
  });

  // Tarjan emits components in reverse topological order: dependencies first.
  const level = new Array<number>(components.length).fill(0);
  components.forEach((members, i) => {
    let l = 0;
    for (const m of members) {
      for (const d of deps.get(m)!) {
        const c = componentOf.get(d)!;
        if (c !== i) l = Math.max(l, level[c]! + 1);
      }
    }
    level[i] = l;
  });

  const levels: string[][] = [];
  components.forEach((members, i) => {
    const l = level[i]!;
    if (!levels[l]) levels[l] = [];
    levels[l].push(...members);
  });
  for (const l of levels) l.sort();

  const cycles: FkCycle[] = components
    .filter((members) => members.length > 1)
    .map((members) => {
      const inside = new Set(members);
      const fks = edges.filter((e) => inside.has(e.from) && inside.has(e.to) && e.from !== e.to);
      return {
        tables: [...members].sort(),
        foreignKeys: fks.map((e) => e.id).sort(),
        breakableAt: fks
          .filter((e) => e.breakable)
          .map((e) => e.id)
          .sort(),
      };
    })
    .sort((a, b) => a.tables[0]!.localeCompare(b.tables[0]!));

  return { levels, cycles, selfReferencing: [...selfReferencing].sort() };
}

/** Tarjan's algorithm, iterative (deep FK chains must not overflow the stack). */
function stronglyConnected(nodes: string[], deps: Map<string, Set<string>>): string[][] {
  let counter = 0;
  const index = new Map<string, number>();
  const low = new Map<string, number>();
  const onStack = new Set<string>();
  const stack: string[] = [];
  const out: string[][] = [];

  for (const root of nodes) {
    if (index.has(root)) continue;
    const work: { node: string; children: string[]; next: number }[] = [];
    const visit = (node: string) => {
      index.set(node, counter);
      low.set(node, counter);
      counter++;
      stack.push(node);
      onStack.add(node);
      work.push({ node, children: [...deps.get(node)!].sort(), next: 0 });
    };
    visit(root);
    while (work.length > 0) {
      const frame = work[work.length - 1]!;
      if (frame.next < frame.children.length) {
        const child = frame.children[frame.next++]!;
        if (!index.has(child)) visit(child);
        else if (onStack.has(child)) low.set(frame.node, Math.min(low.get(frame.node)!, index.get(child)!));
        continue;
      }
      work.pop();
      const parent = work[work.length - 1];
      if (parent) low.set(parent.node, Math.min(low.get(parent.node)!, low.get(frame.node)!));
      if (low.get(frame.node) === index.get(frame.node)) {
        const members: string[] = [];
        let m: string;
        do {
          m = stack.pop()!;
          onStack.delete(m);
          members.push(m);
        } while (m !== frame.node);
        out.push(members.sort());
      }
    }
  }
  return out;
}
