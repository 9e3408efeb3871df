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
import { ident, qname } from './sql-text.ts';

export interface TableRef {
  schema: string;
  name: string;
  /** Columns left out of the checksum (masked on the target: they are meant to differ). */
  exclude?: string[];
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
 * that give the same hash for a probe (see fastHashAgrees). `hre64` skips most of the row
 * text: each column is hashed by its type's own hash function (hash_record_extended) where the
 * type is *exact* (see EXACT_TYPES), by its text elsewhere — 2–3× cheaper again on integers,
 * text and timestamps; PostgreSQL 14 or later, between servers that agree on a probe.
 */
export type RowHashKind = 'md5x64' | 'hte64' | 'hre64';

/**
 * Column types whose equality is identity: two values the type's hash treats as equal print
 * the same text, so hashing them by type misses nothing the text would catch. Every other
 * column is hashed as its text: numeric (1.0 = 1.00), float (0 = -0), interval ('1 day' =
 * '24 hours'), json(b) (numbers compare by value), arrays (lower bounds are not hashed), enums
 * (hashed by OID, which differs between servers), domains and every user-defined type; text
 * under a nondeterministic collation; char without a length (stored padded only with one).
 */
const EXACT_TYPES = [
  'bool',
  'int2',
  'int4',
  'int8',
  'oid',
  'text',
  'varchar',
  'bpchar',
  'name',
  'char',
  'uuid',
  'bytea',
  'date',
  'time',
  'timestamp',
  'timestamptz',
];

/**
 * The row expression `hre64` hashes for `table`: its columns in order, each as itself where its
 * type is exact, as text otherwise (identifiers quoted here; the caller's settings pin the text).
 */
async function typedRow(tx: Query, table: TableRef): Promise<string> {
  const columns = await tx`
    select a.attname as name,
           a.atttypid in (select oid from pg_type where typnamespace = 'pg_catalog'::regnamespace and typname = any(${EXACT_TYPES}))
           and (a.atttypid <> 'bpchar'::regtype or a.atttypmod > 0)
           and coalesce(co.collisdeterministic, true) as exact,
           'bpchar'::regtype in (a.atttypid, t.typbasetype) as bpchar
    from pg_attribute a
    join pg_type t on t.oid = a.atttypid
    left join pg_collation co on co.oid = a.attcollation
    where a.attrelid = ${qname(table.schema, table.name)}::regclass and a.attnum > 0 and not a.attisdropped
    order by a.attnum`;
  // As text: the cast, compared byte for byte (collate "C": a nondeterministic collation would
  // hash 'A' and 'a' alike) — but a bpchar's cast drops its trailing blanks, its output does not.
  const list = columns
    .filter((c) => !table.exclude?.includes(String(c.name)))
    .map((c) => {
      const column = `_envsync_row.${ident(String(c.name))}`;
      if (c.exact) return column;
      return `${c.bpchar ? `bpcharout(${column})::text` : `${column}::text`} collate "C"`;
    });
  // A table without columns still has rows: row() of nothing hashes alike for each.
  return `row(${list.join(', ')})`;
}

/** The row the text hashes read: every column, or all but the excluded ones (in order). */
async function textRow(tx: Query, table: TableRef): Promise<string> {
  if (!table.exclude?.length) return 'row(_envsync_row.*)';
  const columns = await tx`
    select a.attname as name from pg_attribute a
    where a.attrelid = ${qname(table.schema, table.name)}::regclass and a.attnum > 0 and not a.attisdropped
    order by a.attnum`;
  return `row(${columns
    .map((c) => String(c.name))
    .filter((c) => !table.exclude!.includes(c))
    .map((c) => `_envsync_row.${ident(c)}`)
    .join(', ')})`;
}

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
  // hash_record_extended combines the column hashes linearly (31·h + next): re-hashed as an
  // int8 so that values swapped between rows do not cancel out in the sums.
  const hash =
    kind === 'hte64'
      ? tx`hashtextextended(${tx.unsafe(await textRow(tx, table))}::text, 0)`
      : tx`hashint8extended(hash_record_extended(${tx.unsafe(await typedRow(tx, table))}, 0), 0)`;
  const [r] =
    kind !== 'md5x64'
      ? await tx`
    select count(*)::int8 as rows,
           coalesce(sum((h >> 32)::int4), 0)::text as a,
           coalesce(sum((h & 2147483647)::int4), 0)::text as b
    from (select ${hash} as h from ${from}) hashed`
      : await tx`
    select count(*)::int8 as rows,
           coalesce(sum(('x' || substr(h, 1, 8))::bit(32)::int4::int8), 0)::text as a,
           coalesce(sum(('x' || substr(h, 9, 8))::bit(32)::int4::int8), 0)::text as b
    from (select ${table.exclude?.length ? tx`md5(${tx.unsafe(await textRow(tx, table))}::text)` : rowHash(tx)} as h from ${from}) hashed`;
  return {
    table: `${table.schema}.${table.name}`,
    rows: Number(r!.rows),
    checksum: `${kind}:${r!.a}:${r!.b}`,
  };
}

/**
 * The fastest row hashes two servers compute identically (same algorithm and byte order), for
 * a probe of every exact type: `hre64` where a table allows it, else `hte64`, else `md5x64`.
 */
export async function fastHashAgrees(a: Query, b: Query): Promise<HashAgreement> {
  const probe = async (tx: Query) => {
    const [r] = await tx`select hashtextextended('envsync · row hash probe', 0)::text as h,
                                hashtextextended(repeat('é', 101), 42)::text as k,
                                (select hashint8extended(hash_record_extended(p, 0), 0)::text from (select
                                   true, 1::int2, 2::int4, 3::int8, 4::oid, 'x'::text, 'é'::varchar, 'y'::char(3),
                                   'n'::name, 'c'::"char", '7f9c24e8-3b12-4fef-91e0-4e5d2a4b5c6d'::uuid, '\\x00ff'::bytea,
                                   '2024-02-29'::date, '12:34:56.789'::time, '2024-02-29 12:34:56.789'::timestamp,
                                   '2024-02-29 12:34:56.789+00'::timestamptz, null::int4) p) as t
                         where current_setting('server_version_num')::int >= 140000`.catch(() => []);
    return r ? { text: `${r.h}/${r.k}`, typed: String(r.t) } : null;
  };
  const [x, y] = await Promise.all([probe(a), probe(b)]);
  return {
    text: !!x && !!y && x.text === y.text,
    typed: !!x && !!y && x.typed === y.typed,
  };
}

/** The fast hashes two servers agree on (fastHashAgrees). */
export type HashAgreement = { text: boolean; typed: boolean };

/** The fastest row hash two servers agree on (md5 when they agree on none). */
export const hashChoice = (agree: HashAgreement): RowHashKind =>
  agree.typed ? 'hre64' : agree.text ? 'hte64' : 'md5x64';

/** The fastest row hash of one server, for checksums only ever compared on that server. */
export async function ownHash(tx: Query): Promise<RowHashKind> {
  const [r] = await tx`select current_setting('server_version_num')::int >= 140000 as typed`;
  return r!.typed ? 'hre64' : 'hte64';
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
  /** Default md5x64; a function chooses per table. */
  kind?: RowHashKind | ((table: TableRef) => RowHashKind);
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
        const kind = typeof plan.kind === 'function' ? plan.kind(next.t) : plan.kind;
        const c = await tableChecksum(tx, next.t, undefined, kind);
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
