import { computeLoadOrder, type FkEdge } from '../../scripts/lib/catalog/load-order.ts';

const fk = (from: string, to: string, breakable = false, name = `${from}_${to}_fkey`): FkEdge => ({
  id: `${from}.${name}`,
  from,
  to,
  breakable,
});

describe('computeLoadOrder', () => {
  test('a chain loads parents first, one level per hop', () => {
    const order = computeLoadOrder(['c', 'b', 'a'], [fk('c', 'b'), fk('b', 'a')]);
    expect(order.levels).toEqual([['a'], ['b'], ['c']]);
    expect(order.cycles).toEqual([]);
  });

  test('a table waits for its deepest parent', () => {
    const order = computeLoadOrder(
      ['a', 'b', 'c', 'd'],
      [fk('d', 'a'), fk('d', 'c'), fk('c', 'b'), fk('b', 'a')],
    );
    expect(order.levels).toEqual([['a'], ['b'], ['c'], ['d']]);
  });

  test('independent tables share level 0, sorted', () => {
    expect(computeLoadOrder(['z', 'm', 'a'], []).levels).toEqual([['a', 'm', 'z']]);
  });

  test('a two-table cycle is named with its FKs and where it can be broken', () => {
    const order = computeLoadOrder(
      ['public.tenant_registry', 'public.staff_users', 'public.chat'],
      [
        fk('public.staff_users', 'public.tenant_registry', false, 'staff_users_tenant_id_fkey'),
        fk('public.tenant_registry', 'public.staff_users', true, 'tenant_registry_owner_user_id_fkey'),
        fk('public.chat', 'public.staff_users'),
      ],
    );
    expect(order.cycles).toEqual([
      {
        tables: ['public.staff_users', 'public.tenant_registry'],
        foreignKeys: [
          'public.staff_users.staff_users_tenant_id_fkey',
          'public.tenant_registry.tenant_registry_owner_user_id_fkey',
        ],
        breakableAt: ['public.tenant_registry.tenant_registry_owner_user_id_fkey'],
      },
    ]);
    // The cycle's tables share a level; what depends on them comes after.
    expect(order.levels).toEqual([['public.staff_users', 'public.tenant_registry'], ['public.chat']]);
  });

  test('a three-table cycle and a separate two-table cycle are both found', () => {
    const order = computeLoadOrder(
      ['a', 'b', 'c', 'x', 'y', 'root'],
      [fk('a', 'b'), fk('b', 'c'), fk('c', 'a'), fk('x', 'y'), fk('y', 'x'), fk('a', 'root')],
    );
    expect(order.cycles.map((c) => c.tables)).toEqual([
      ['a', 'b', 'c'],
      ['x', 'y'],
    ]);
    expect(order.levels[0]).toEqual(['root', 'x', 'y']);
    expect(order.levels[1]).toEqual(['a', 'b', 'c']);
  });

  test('a self-reference is not a cycle but is reported', () => {
    const order = computeLoadOrder(['units', 'tenants'], [fk('units', 'units'), fk('units', 'tenants')]);
    expect(order.cycles).toEqual([]);
    expect(order.selfReferencing).toEqual(['units']);
    expect(order.levels).toEqual([['tenants'], ['units']]);
  });

  test('FKs to tables outside the set are ignored', () => {
    expect(computeLoadOrder(['a'], [fk('a', 'elsewhere')]).levels).toEqual([['a']]);
  });

  test('every FK points to an earlier level or into its own cycle, on a random graph', () => {
    const names = Array.from({ length: 60 }, (_, i) => `t${i}`);
    let seed = 7;
    const rand = () => {
      seed = (seed * 1103515245 + 12345) % 2 ** 31;
      return seed / 2 ** 31;
    };
    const edges: FkEdge[] = [];
    for (let i = 0; i < 120; i++)
      edges.push(fk(names[Math.floor(rand() * 60)]!, names[Math.floor(rand() * 60)]!, false, `k${i}`));
    const order = computeLoadOrder(names, edges);
    const level = new Map(order.levels.flatMap((l, i) => l.map((t) => [t, i] as const)));
    const cycleOf = new Map(order.cycles.flatMap((c, i) => c.tables.map((t) => [t, i] as const)));
    expect([...level.keys()].sort()).toEqual([...names].sort());
    for (const e of edges) {
      if (e.from === e.to) continue;
      const sameCycle = cycleOf.has(e.from) && cycleOf.get(e.from) === cycleOf.get(e.to);
      if (sameCycle) expect(level.get(e.from)).toBe(level.get(e.to));
      else expect(level.get(e.to)!).toBeLessThan(level.get(e.from)!);
    }
  });

  test('a 20,000-table chain does not overflow the stack', () => {
    const names = Array.from({ length: 20_000 }, (_, i) => `t${i}`);
    const edges = names.slice(1).map((n, i) => fk(n, names[i]!));
    const order = computeLoadOrder(names, edges);
    expect(order.levels).toHaveLength(20_000);
    expect(order.levels[19_999]).toEqual(['t19999']);
  });
});
