// Narrows a table whose checksum differs between two databases to the primary keys
// that differ, by bisecting key ranges: only ranges whose count or checksum differ
// are split again; small ones are compared row by row.

import type postgres from 'postgres';
import { pinOutputSettings, rowHash, type TableRef, tableChecksum } from './checksum.ts';
import type { Query, Sql } from './connect.ts';

type Key = unknown[];
interface Range {
  from: Key | null;
  to: Key | null;
}

const ROW_BY_ROW = 256;

/** `($1, $2, …)`: one parameter per key value (sql(array) would make identifiers here). */
function tuple(sql: Query, values: Key): postgres.PendingQuery<postgres.Row[]> {
  const parts = values.map((v) => sql`${v as postgres.ParameterOrFragment<never>}`);
  const joined = parts.slice(1).reduce((acc, p) => sql`${acc}, ${p}`, parts[0]!);
  return sql`(${joined})`;
}

function rangeFilter(sql: Query, pk: string[], r: Range): postgres.PendingQuery<postgres.Row[]> {
  const cols = sql`(${sql(pk)})`;
  if (r.from && r.to) return sql`${cols} >= ${tuple(sql, r.from)} and ${cols} < ${tuple(sql, r.to)}`;
  if (r.from) return sql`${cols} >= ${tuple(sql, r.from)}`;
  if (r.to) return sql`${cols} < ${tuple(sql, r.to)}`;
  return sql`true`;
}

async function summary(sql: Sql, table: TableRef, pk: string[], r: Range) {
  return sql.begin(async (tx) => {
    await pinOutputSettings(tx);
    return tableChecksum(tx, table, rangeFilter(tx, pk, r));
  });
}

async function rows(sql: Sql, table: TableRef, pk: string[], r: Range): Promise<Map<string, string>> {
  return sql.begin(async (tx) => {
    await pinOutputSettings(tx);
    const found = await tx`select ${tx(pk)}, ${rowHash(tx)} as _envsync_hash
                           from only ${tx(table.schema)}.${tx(table.name)} _envsync_row
                           where ${rangeFilter(tx, pk, r)}`;
    return new Map(found.map((row) => [JSON.stringify(pk.map((c) => row[c])), String(row._envsync_hash)]));
  }) as Promise<Map<string, string>>;
}

/** The median key of a range, from the side with more rows in it. */
async function medianKey(
  sql: Sql,
  table: TableRef,
  pk: string[],
  r: Range,
  count: number,
): Promise<Key | null> {
  const [row] = await sql`select ${sql(pk)} from only ${sql(table.schema)}.${sql(table.name)}
                          where ${rangeFilter(sql, pk, r)} order by ${sql(pk)} offset ${Math.floor(count / 2)} limit 1`;
  return row ? pk.map((c) => row[c]) : null;
}

export interface LocatedKeys {
  /** Differing keys as JSON arrays of the primary-key values, at most `limit`. */
  keys: string[];
  /** Whether the search stopped at the limit. */
  truncated: boolean;
}

export async function locateDifferences(
  source: Sql,
  target: Sql,
  table: TableRef,
  primaryKey: string[],
  limit = 20,
): Promise<LocatedKeys> {
  const keys: string[] = [];
  const queue: Range[] = [{ from: null, to: null }];
  while (queue.length > 0 && keys.length < limit) {
    const r = queue.shift()!;
    const [a, b] = await Promise.all([
      summary(source, table, primaryKey, r),
      summary(target, table, primaryKey, r),
    ]);
    if (a.rows === b.rows && a.checksum === b.checksum) continue;
    const larger = a.rows >= b.rows ? source : target;
    const count = Math.max(a.rows, b.rows);
    const mid = count > ROW_BY_ROW ? await medianKey(larger, table, primaryKey, r, count) : null;
    if (mid && JSON.stringify(mid) !== JSON.stringify(r.from)) {
      queue.push({ from: r.from, to: mid }, { from: mid, to: r.to });
      continue;
    }
    const [x, y] = await Promise.all([
      rows(source, table, primaryKey, r),
      rows(target, table, primaryKey, r),
    ]);
    for (const [k, h] of x) if (y.get(k) !== h && keys.length < limit) keys.push(k);
    for (const k of y.keys()) if (!x.has(k) && keys.length < limit) keys.push(k);
  }
  return { keys, truncated: keys.length >= limit };
}
