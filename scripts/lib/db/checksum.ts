// Per-table content checksums and sequence states, computed in SQL on the server.
// Shared by backup (manifest), rollback (proof) and validate (source vs target).
//
// A table's checksum is its row count plus two sums of 32-bit slices of each row's
// md5: 64 bits of hash per row, order-independent, parallel-safe, and duplicate rows
// add up instead of cancelling out (as XOR would).

import type postgres from 'postgres';
import { InputError } from '../base/errors.ts';
import type { SequenceState, TableChecksum } from '../results/manifest.ts';
import type { ChecksumDifference } from '../results/validate.ts';
import type { Query, Sql } from './connect.ts';

export interface TableRef {
  schema: string;
  name: string;
}

/**
 * Row text must not depend on the session: fix every setting that changes how values
 * print; and never a silently filtered read — with row_security off, a table whose policies
 * would hide rows from this role fails the read instead. Call inside the transaction that
 * computes checksums.
 */
export async function pinOutputSettings(tx: Query): Promise<void> {
  await tx`select set_config('timezone', 'UTC', true), set_config('datestyle', 'ISO, YMD', true),
                  set_config('intervalstyle', 'postgres', true), set_config('extra_float_digits', '1', true),
                  set_config('bytea_output', 'hex', true), set_config('lc_monetary', 'C', true),
                  set_config('row_security', 'off', true)`;
}

/**
 * What a read under `row_security = off` says when RLS applies to the connecting role: instead
 * of comparing fewer rows than there are, the read fails — and that is a role that cannot do the
 * job (exit 2), not a bug. null for any other error.
 */
export function rowSecurityRefusal(error: unknown): InputError | null {
  const e = error as { code?: string; message?: string };
  const m = /row-level security policy for table "([^"]+)"/.exec(e?.message ?? '');
  if (e?.code !== '42501' || !m) return null;
  return new InputError(
    `the connecting role cannot read every row of ${m[1]}: row-level security applies to it`,
    'envsync reads with row_security off so it never compares fewer rows than there are: connect as a role with BYPASSRLS (on Supabase: postgres; a read-only role: ALTER ROLE … BYPASSRLS)',
  );
}

/** The per-row hash every checksum sums: md5 of the row's text (alias `_envsync_row`). */
export const rowHash = (tx: Query) => tx`md5(row(_envsync_row.*)::text)`;

/**
 * How rows are hashed. `md5x64` (md5 of the row text) is the same on every server and
 * is what manifests store. `hte64` (PostgreSQL's hashtextextended of the same text) is
 * ~2.7× cheaper — 1.2 s instead of 3.6 s per million pgbench rows here — but PostgreSQL
 * does not promise it across architectures, so it is used only between two live servers
 * that give the same hash for a probe (see fastHashAgrees).
 */
export type RowHashKind = 'md5x64' | 'hte64';

/** Checksum of one table (or of the rows `where` selects), in the caller's transaction. */
export async function tableChecksum(
  tx: Query,
  table: TableRef,
  where?: postgres.PendingQuery<postgres.Row[]>,
  kind: RowHashKind = 'md5x64',
): Promise<TableChecksum> {
  const filter = where ? tx`where ${where}` : tx``;
  // ONLY: an inheritance parent's own rows, as COPY reads them (children are tables of their own).
  const from = tx`only ${tx(table.schema)}.${tx(table.name)} _envsync_row ${filter}`;
  const [r] =
    kind === 'hte64'
      ? await tx`
    select count(*)::int8 as rows,
           coalesce(sum((h >> 32)::int4), 0)::text as a,
           coalesce(sum((h & 2147483647)::int4), 0)::text as b
    from (select hashtextextended(row(_envsync_row.*)::text, 0) as h from ${from}) hashed`
      : await tx`
    select count(*)::int8 as rows,
           coalesce(sum(('x' || substr(h, 1, 8))::bit(32)::int4::int8), 0)::text as a,
           coalesce(sum(('x' || substr(h, 9, 8))::bit(32)::int4::int8), 0)::text as b
    from (select ${rowHash(tx)} as h from ${from}) hashed`;
  return {
    table: `${table.schema}.${table.name}`,
    rows: Number(r!.rows),
    checksum: `${kind}:${r!.a}:${r!.b}`,
  };
}

/** Whether two servers compute the fast row hash identically (same algorithm and byte order). */
export async function fastHashAgrees(a: Query, b: Query): Promise<boolean> {
  const probe = async (tx: Query) => {
    const [r] = await tx`select hashtextextended('envsync · row hash probe', 0)::text as h,
                                hashtextextended(repeat('é', 101), 42)::text as k`;
    return `${r!.h}/${r!.k}`;
  };
  const [x, y] = await Promise.all([probe(a), probe(b)]);
  return x === y;
}

/** Every sequence's `last_value` and `is_called`, in the caller's transaction. */
export async function sequenceStates(tx: Query, sequences: TableRef[]): Promise<SequenceState[]> {
  const out: SequenceState[] = [];
  for (const s of sequences) {
    const [r] = await tx`select last_value::text as v, is_called from ${tx(s.schema)}.${tx(s.name)}`;
    out.push({ sequence: `${s.schema}.${s.name}`, lastValue: String(r!.v), isCalled: Boolean(r!.is_called) });
  }
  return out;
}

export interface ChecksumPlan {
  /** Connections, each already inside a REPEATABLE READ transaction on the same snapshot. */
  workers: Query[];
  tables: TableRef[];
  onTable?: (done: TableChecksum, index: number, total: number) => void;
  /** Default md5x64. */
  kind?: RowHashKind;
}

/**
 * Checksums many tables over several connections that share one snapshot; the
 * largest tables are handed out first so the workers finish together.
 */
export async function checksumTables(plan: ChecksumPlan): Promise<TableChecksum[]> {
  const queue = plan.tables.map((t, i) => ({ t, i }));
  const results = new Array<TableChecksum>(plan.tables.length);
  let done = 0;
  await Promise.all(
    plan.workers.map(async (tx) => {
      await pinOutputSettings(tx);
      for (let next = queue.shift(); next; next = queue.shift()) {
        const c = await tableChecksum(tx, next.t, undefined, plan.kind);
        results[next.i] = c;
        plan.onTable?.(c, ++done, plan.tables.length);
      }
    }),
  );
  return results;
}

/** Tables whose count or checksum differ, or that exist on one side only. */
export function compareChecksums(expected: TableChecksum[], actual: TableChecksum[]): ChecksumDifference[] {
  const a = new Map(actual.map((c) => [c.table, c]));
  const e = new Map(expected.map((c) => [c.table, c]));
  const out: ChecksumDifference[] = [];
  for (const x of expected) {
    const y = a.get(x.table);
    if (!y || y.rows !== x.rows || y.checksum !== x.checksum) {
      out.push({
        table: x.table,
        expected: { rows: x.rows, checksum: x.checksum },
        ...(y ? { actual: { rows: y.rows, checksum: y.checksum } } : {}),
      });
    }
  }
  for (const y of actual)
    if (!e.has(y.table)) out.push({ table: y.table, actual: { rows: y.rows, checksum: y.checksum } });
  return out.sort((p, q) => p.table.localeCompare(q.table));
}

/**
 * Opens `count` extra connections that import `snapshot` (exported by a transaction the
 * caller keeps open), runs `fn` with them, and closes them.
 */
export async function withSnapshotWorkers<T>(
  open: () => Promise<Sql>,
  snapshot: string,
  count: number,
  fn: (workers: Query[]) => Promise<T>,
): Promise<T> {
  const workers: Sql[] = [];
  try {
    for (let i = 0; i < count; i++) workers.push(await open());
    for (const w of workers) {
      await w.unsafe('begin isolation level repeatable read read only');
      await w.unsafe(`set transaction snapshot '${snapshot.replace(/[^0-9A-Za-z-]/g, '')}'`);
    }
    return await fn(workers);
  } finally {
    for (const w of workers) {
      await w.unsafe('commit').catch(() => {});
      await w.end({ timeout: 5 }).catch(() => {});
    }
  }
}
