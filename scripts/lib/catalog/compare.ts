// Table-by-table comparison of two inventories: which tables are missing, extra, or
// hold a different number of rows, and how object counts differ.

import type { ObjectCounts } from '../results/analyze.ts';
import type { InventoryComparison, TableComparison } from '../results/demo.ts';
import type { Inventory } from './model.ts';
import { countObjects } from './summary.ts';

export function compareInventories(source: Inventory, target: Inventory): InventoryComparison {
  const key = (t: { schema: string; name: string }) => `${t.schema}.${t.name}`;
  const targetTables = new Map(target.tables.map((t) => [key(t), t]));
  const sourceTables = new Map(source.tables.map((t) => [key(t), t]));
  const tables: TableComparison[] = [];
  for (const [name, s] of sourceTables) {
    const t = targetTables.get(name);
    tables.push({
      table: name,
      platform: s.platform,
      sourceRows: s.rowCount,
      targetRows: t?.rowCount ?? null,
      status: !t ? 'missing on target' : s.rowCount === t.rowCount ? 'same' : 'rows differ',
    });
  }
  for (const [name, t] of targetTables) {
    if (!sourceTables.has(name)) {
      tables.push({
        table: name,
        platform: t.platform,
        sourceRows: null,
        targetRows: t.rowCount,
        status: 'only on target',
      });
    }
  }
  tables.sort((a, b) => Number(a.platform) - Number(b.platform) || a.table.localeCompare(b.table));
  const s = countObjects(source).app;
  const t = countObjects(target).app;
  const counts = (Object.keys(s) as (keyof ObjectCounts)[])
    .filter((k) => k !== 'sizeBytes' && s[k] !== t[k])
    .map((k) => ({ kind: k, source: s[k], target: t[k] }));
  return { tables, counts, identical: counts.length === 0 && tables.every((x) => x.status === 'same') };
}
