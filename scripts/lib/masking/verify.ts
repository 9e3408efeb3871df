// The proof after a masked copy (`validate --masked`): no masked column's value on the target
// equals its value on the source for the same key (every row up to a limit, a random sample
// above it — said which), every FK into or out of a masked table resolves, and every unique
// constraint over a masked column holds.

import type { Inventory } from '../catalog/model.ts';
import type { Query } from '../db/connect.ts';
import { ident, qname } from '../db/sql-text.ts';
import type { MaskedColumnCheck, MaskedProof } from '../results/validate.ts';
import type { MaskPlan } from './rules.ts';

/** Keys compared one by one at most per column; above, a random sample of this many. */
export const FULL_COMPARE_LIMIT = 100_000;
const SAMPLE = 10_000;

/** Strategies whose output cannot equal a real value but by a broken mask (keyed, 64-bit and more). */
const NEVER_EQUAL = new Set(['email', 'phone', 'hash', 'fake', 'null']);

export async function proveMasked(
  src: Query,
  tgt: Query,
  inv: Inventory,
  plan: MaskPlan,
): Promise<MaskedProof> {
  const columns: MaskedColumnCheck[] = [];
  for (const [table, masks] of plan.tables) {
    const t = inv.tables.find((x) => `${x.schema}.${x.name}` === table);
    if (!t) continue;
    const from = qname(t.schema, t.name);
    const key = t.primaryKey.length ? `row(${t.primaryKey.map(ident).join(', ')})::text` : null;
    const [{ n }] = (await src.unsafe(`select count(*)::int8 as n from only ${from}`)) as [{ n: string }];
    const rows = Number(n);
    const maskedKey = t.primaryKey.some((k) => masks.some((m) => m.column.name === k));
    for (const m of masks) {
      const base = { table, column: m.column.name, strategy: m.strategy.kind, rows };
      if (maskedKey) {
        columns.push({
          ...base,
          compared: 0,
          sampled: false,
          unchanged: 0,
          note: 'its primary key is masked: rows cannot be paired',
        });
        continue;
      }
      if (!key) {
        columns.push({
          ...base,
          compared: 0,
          sampled: false,
          unchanged: 0,
          note: 'no primary key: rows cannot be paired',
        });
        continue;
      }
      const col = ident(m.column.name);
      const sampled = rows > FULL_COMPARE_LIMIT;
      const pairs = (await src.unsafe(
        `select ${key} as k, ${col}::text as v from only ${from} where ${col} is not null${sampled ? ` order by random() limit ${SAMPLE}` : ''}`,
      )) as { k: string; v: string }[];
      const source = new Map(pairs.map((p) => [p.k, p.v]));
      const there = (await tgt.unsafe(
        `select ${key} as k, ${col}::text as v from only ${from} where ${key} = any($1::text[])`,
        [[...source.keys()]],
      )) as { k: string; v: string | null }[];
      const unchanged = there.filter((p) => p.v !== null && source.get(p.k) === p.v).length;
      columns.push({
        ...base,
        compared: source.size,
        sampled,
        unchanged,
        ...(unchanged && !NEVER_EQUAL.has(m.strategy.kind)
          ? { note: `${m.strategy.kind} can produce a real value by chance: review` }
          : {}),
      });
    }
  }
  const touched = new Set(plan.tables.keys());
  const foreignKeys: MaskedProof['foreignKeys'] = [];
  for (const fk of inv.foreignKeys.filter((f) => touched.has(f.table) || touched.has(f.references))) {
    const [cs, cn] = fk.table.split(/\.(.+)/) as [string, string];
    const [rs, rn] = fk.references.split(/\.(.+)/) as [string, string];
    const on = fk.columns.map((c, i) => `p.${ident(fk.refColumns[i]!)} = c.${ident(c)}`).join(' and ');
    const present = fk.columns.map((c) => `c.${ident(c)} is not null`).join(' and ');
    const [{ n }] = (await tgt.unsafe(
      `select count(*)::int8 as n from ${qname(cs, cn)} c where ${present} and not exists (select 1 from ${qname(rs, rn)} p where ${on})`,
    )) as [{ n: string }];
    foreignKeys.push({ name: fk.name, table: fk.table, references: fk.references, dangling: Number(n) });
  }
  const uniques: MaskedProof['uniques'] = [];
  for (const [table, masks] of plan.tables) {
    const t = inv.tables.find((x) => `${x.schema}.${x.name}` === table);
    const names = new Set(masks.map((m) => m.column.name));
    for (const c of t?.constraints ?? []) {
      if ((c.type !== 'unique' && c.type !== 'primary key') || !c.columns.some((x) => names.has(x))) continue;
      const cols = c.columns.map(ident).join(', ');
      const [{ n }] = (await tgt.unsafe(
        `select count(*)::int8 as n from (select 1 from only ${qname(t!.schema, t!.name)} where (${c.columns.map((x) => `${ident(x)} is not null`).join(' and ')}) group by ${cols} having count(*) > 1) d`,
      )) as [{ n: string }];
      uniques.push({ table, constraint: c.name, duplicates: Number(n) });
    }
  }
  const ok =
    columns.every((c) => c.unchanged === 0 || !NEVER_EQUAL.has(c.strategy)) &&
    foreignKeys.every((f) => f.dangling === 0) &&
    uniques.every((u) => u.duplicates === 0);
  return { ok, columns, foreignKeys, uniques };
}
