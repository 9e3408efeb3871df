// One table's rows streamed from the source's snapshot straight into the target's
// transaction: COPY TO STDOUT piped into COPY FROM STDIN, no intermediate file. Binary
// when every column's wire format is portable between the two servers, text otherwise.

import type { Transform } from 'node:stream';
import { JobError } from '../base/errors.ts';
import type { CopiedTable } from '../results/sync.ts';
import type { Query } from './connect.ts';
import { copyIn } from './copy.ts';
import type { PgProgram } from './pg-binaries.ts';
import { CopyRowCounter } from './row-counter.ts';
import { type RunningProgram, startProgram } from './run-program.ts';
import { ident } from './sql-text.ts';

export interface CopySpec {
  schema: string;
  name: string;
  /** Columns written (generated columns are left out: the target computes them). */
  columns: string[];
  binary: boolean;
  /**
   * COPY … FREEZE: the rows are written already frozen — no hint bits for the first reader
   * (validate, the app) to set and write back, no freeze for a later vacuum to do. Only into a
   * table the target transaction created itself (PostgreSQL refuses it otherwise).
   */
  freeze?: boolean;
  /** Where the rows go on the target, already quoted (default: the same table). */
  into?: string;
  /** Columns read as an SQL expression of the row instead (masking's `sql:` rules). */
  expressions?: Map<string, string>;
  /** Rewrites the rows on their way (masking): text format only. */
  transform?: () => Transform;
}

/**
 * Which tables travel in binary: those where it is portable — every column's type (and
 * array element type) is built in, or an enum, or a domain over a built-in type (the
 * binary form of an array or composite of user-defined types embeds type OIDs, which
 * differ between servers) — and faster: at least one column whose text form is costly to
 * print and parse.
 */
export async function binaryPortableTables(
  tx: Query,
  tables: { schema: string; name: string }[],
): Promise<Set<string>> {
  if (!tables.length) return new Set();
  const rows = await tx`
    select n.nspname || '.' || c.relname as t,
           bool_and(
             (ty.oid < 16384 and (ty.typelem = 0 or ty.typelem < 16384))
             or ty.typtype = 'e'
             or (ty.typtype = 'd' and ty.typbasetype < 16384 and (select typelem from pg_type b where b.oid = ty.typbasetype) in (0))
           ) as portable,
           -- Binary pays off only where text I/O is costly (measured here: uuid/timestamp
           -- tables ~30 % faster in binary; integer/char tables 25 % faster in text from
           -- psql to psql, a tie through this process).
           bool_or(coalesce(nullif(ty.typbasetype, 0), ty.oid) in (
             'uuid'::regtype, 'timestamp'::regtype, 'timestamptz'::regtype, 'date'::regtype, 'time'::regtype,
             'interval'::regtype, 'numeric'::regtype, 'float4'::regtype, 'float8'::regtype, 'bytea'::regtype,
             'inet'::regtype, 'cidr'::regtype, 'macaddr'::regtype)
             or coalesce(nullif(ty.typbasetype, 0), ty.oid) in (
             select typarray from pg_type where oid in ('uuid'::regtype, 'timestamptz'::regtype, 'float8'::regtype, 'numeric'::regtype))) as gains
    from pg_class c
    join pg_namespace n on n.oid = c.relnamespace
    join pg_attribute a on a.attrelid = c.oid and a.attnum > 0 and not a.attisdropped and a.attgenerated = ''
    join pg_type ty on ty.oid = a.atttypid
    where (n.nspname, c.relname) in (select * from unnest(${tables.map((t) => t.schema)}::text[], ${tables.map((t) => t.name)}::text[]))
    group by 1`;
  return new Set(rows.filter((r) => r.portable && r.gains).map((r) => String(r.t)));
}

/** Where rows are read: psql sessions that import the source's exported snapshot. */
export interface CopySource {
  psql: PgProgram;
  /** libpq environment of the source (password in PGPASSWORD, never argv). */
  env: NodeJS.ProcessEnv;
  snapshot: string;
}

/**
 * A psql process in `source`'s exported snapshot streaming the table's `columns` with
 * COPY … TO STDOUT (stdout is the data; `done` settles with its exit). Shared by the copy
 * below and by readers of a snapshot that write the rows elsewhere (content-sync's snapshot).
 */
export function copyOutOf(
  source: CopySource,
  spec: {
    schema: string;
    name: string;
    columns: string[];
    binary: boolean;
    expressions?: Map<string, string>;
  },
): RunningProgram {
  const table = `${ident(spec.schema)}.${ident(spec.name)}`;
  const format = spec.binary ? ' (format binary)' : '';
  const exprs = spec.expressions;
  // ONLY: an inheritance parent's own rows, as COPY of a table reads them.
  const what = exprs?.size
    ? `(SELECT ${spec.columns.map((c) => (exprs.has(c) ? `(${exprs.get(c)}) AS ${ident(c)}` : ident(c))).join(', ')} FROM ONLY ${table})`
    : `${table} (${spec.columns.map(ident).join(', ')})`;
  const reader = startProgram(
    source.psql.path,
    [
      '--no-psqlrc',
      '--quiet',
      '--no-password',
      '--set=ON_ERROR_STOP=1',
      '--command=BEGIN ISOLATION LEVEL REPEATABLE READ READ ONLY',
      `--command=SET TRANSACTION SNAPSHOT '${source.snapshot.replace(/[^0-9A-Za-z-]/g, '')}'`,
      // Never a silently filtered copy: a table RLS would hide rows from fails instead.
      '--command=SET row_security = off',
      // Text-format values print the same way the target parses them.
      "--command=SET timezone = 'UTC'",
      "--command=SET datestyle = 'ISO, YMD'",
      '--command=SET intervalstyle = postgres',
      '--command=SET extra_float_digits = 3',
      '--command=SET bytea_output = hex',
      "--command=SET lc_monetary = 'C'",
      `--command=COPY ${what} TO STDOUT${format}`,
    ],
    source.env,
    `reading ${spec.schema}.${spec.name} (psql)`,
  );
  reader.child.stdin!.end();
  return reader;
}

/**
 * Streams one table. The source side is a psql process in the exported snapshot: it
 * hands over COPY data in pipe-sized chunks where the driver surfaces one message per
 * row (measured here: about as fast — the two servers dominate — but less work in this
 * process), and a source that fails mid-stream (disconnect, error) shows as psql's exit
 * status, which fails the copy and so the target transaction.
 */
export async function copyTable(
  source: CopySource,
  target: Query,
  spec: CopySpec,
  onBytes: (bytes: number) => void,
): Promise<CopiedTable> {
  const t0 = Date.now();
  const table = `${ident(spec.schema)}.${ident(spec.name)}`;
  const cols = spec.columns.map(ident).join(', ');
  const options = [...(spec.binary ? ['format binary'] : []), ...(spec.freeze ? ['freeze'] : [])];
  const reader = copyOutOf(source, spec);
  reader.done.catch(() => {}); // awaited below
  const counter = new CopyRowCounter(spec.binary, onBytes);
  const data = reader.child.stdout!;
  try {
    const masked = spec.transform ? data.pipe(spec.transform()) : data;
    // A transform's failure fails the copy (pipe() alone would leave the target waiting).
    if (masked !== data) masked.on('error', (e) => counter.destroy(e));
    await copyIn(
      target.unsafe(
        `copy ${spec.into ?? table} (${cols}) from stdin${options.length ? ` (${options.join(', ')})` : ''}`,
      ),
      masked.pipe(counter),
    );
    await reader.done;
  } catch (error) {
    reader.child.kill('SIGKILL');
    throw error;
  }
  const { rows, bytes } = counter;
  if (spec.binary && !counter.complete) {
    throw new JobError(
      `the copy of ${spec.schema}.${spec.name} ended early (no end-of-data marker after ${rows} rows)`,
      'the source connection was interrupted; the target transaction was rolled back — run the sync again',
    );
  }
  return {
    table: `${spec.schema}.${spec.name}`,
    rows,
    bytes,
    ms: Date.now() - t0,
    format: spec.binary ? 'binary' : 'text',
  };
}
