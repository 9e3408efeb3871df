// One table's rows streamed from the source's snapshot straight into the target's
// transaction: COPY TO STDOUT piped into COPY FROM STDIN, no intermediate file. Binary
// when every column's wire format is portable between the two servers, text otherwise.

import type postgres from 'postgres';
import { JobError } from '../cli/errors.ts';
import { copyIn } from '../db/copy.ts';
import { CopyRowCounter } from './row-counter.ts';

type Tx = postgres.Sql<Record<string, never>> | postgres.TransactionSql<Record<string, never>>;

const ident = (s: string) => `"${s.replace(/"/g, '""')}"`;

export interface CopySpec {
  schema: string;
  name: string;
  /** Columns written (generated columns are left out: the target computes them). */
  columns: string[];
  binary: boolean;
}

export interface CopiedTable {
  table: string;
  rows: number;
  bytes: number;
  ms: number;
  format: 'binary' | 'text';
}

/**
 * Which tables can travel in binary: every column's type (and array element type) is
 * built in, or an enum, or a domain over a built-in type. The binary form of an array
 * or a composite of user-defined types embeds type OIDs, which differ between servers.
 */
export async function binaryPortableTables(
  tx: Tx,
  tables: { schema: string; name: string }[],
): Promise<Set<string>> {
  if (!tables.length) return new Set();
  const rows = await tx`
    select n.nspname || '.' || c.relname as t,
           bool_and(
             (ty.oid < 16384 and (ty.typelem = 0 or ty.typelem < 16384))
             or ty.typtype = 'e'
             or (ty.typtype = 'd' and ty.typbasetype < 16384 and (select typelem from pg_type b where b.oid = ty.typbasetype) in (0))
           ) as portable
    from pg_class c
    join pg_namespace n on n.oid = c.relnamespace
    join pg_attribute a on a.attrelid = c.oid and a.attnum > 0 and not a.attisdropped and a.attgenerated = ''
    join pg_type ty on ty.oid = a.atttypid
    where (n.nspname, c.relname) in (select * from unnest(${tables.map((t) => t.schema)}::text[], ${tables.map((t) => t.name)}::text[]))
    group by 1`;
  return new Set(rows.filter((r) => r.portable).map((r) => String(r.t)));
}

/**
 * Streams one table. A source that fails mid-stream (disconnect, error) fails the copy:
 * its readable errors, and the target's COPY is aborted with the transaction.
 */
export async function copyTable(
  source: Tx,
  target: Tx,
  spec: CopySpec,
  onBytes: (bytes: number) => void,
): Promise<CopiedTable> {
  const t0 = Date.now();
  const table = `${ident(spec.schema)}.${ident(spec.name)}`;
  const cols = spec.columns.map(ident).join(', ');
  const format = spec.binary ? ' (format binary)' : '';
  const readable = await source.unsafe(`copy ${table} (${cols}) to stdout${format}`).readable();
  const counter = new CopyRowCounter(spec.binary, onBytes);
  readable.on('error', (e) => counter.destroy(e));
  // postgres.js 3.4.9 pauses its socket when a COPY chunk fills the stream's buffer and
  // resumes it only from the stream's read(); when that chunk was the last one, the
  // ReadyForQuery behind it is never read and the next query waits forever. Resume it.
  readable.once('end', () => (readable as unknown as { _read(): void })._read());
  await copyIn(target.unsafe(`copy ${table} (${cols}) from stdin${format}`), readable.pipe(counter));
  const { rows, bytes } = counter;
  // A source cut off mid-stream must fail the copy, never commit part of a table: a binary
  // stream must end with its trailer, and the source must still answer afterwards.
  if (spec.binary && !counter.complete) {
    throw new JobError(
      `the copy of ${spec.schema}.${spec.name} ended early (no end-of-data marker after ${rows} rows)`,
      'the source connection was interrupted; the target transaction was rolled back — run the sync again',
    );
  }
  await source`select 1`;
  return {
    table: `${spec.schema}.${spec.name}`,
    rows,
    bytes,
    ms: Date.now() - t0,
    format: spec.binary ? 'binary' : 'text',
  };
}
