// A masked dump: ONE plain SQL script that a person restores with `psql -1 -f masked.sql` into an
// empty Supabase-shaped database — the app schemas' pre-data, every table's rows as `COPY … FROM
// stdin` blocks, post-data, then what follows the data (sequences, the app's objects on platform
// tables). The rows arrive already masked from the caller's readers; the script streams straight
// to disk (encrypted when there is a key) while it is hashed. Never a backup: rollback refuses it.

import { createHash } from 'node:crypto';
import { Readable } from 'node:stream';
import { JobError } from '../base/errors.ts';
import { ident, qname } from '../db/sql-text.ts';
import type { DumpScript } from '../replica/dump-entries.ts';
import type { TableChecksum } from '../results/manifest.ts';
import { readArchive, type WrittenArchive, writeArchive } from './archive.ts';

/** The last line of every complete masked dump: a cut-off file lacks it. */
export const MASKED_DUMP_END = '-- envsync masked dump: end';

export interface TableRows {
  /** COPY text rows, each ending in a newline. */
  data: Readable;
  /** Rejects when the reader failed: the rows are incomplete. */
  done: Promise<void>;
  stop(): void;
}

export interface DumpedTable {
  schema: string;
  name: string;
  /** The columns written (generated ones are left out: the restore computes them). */
  columns: string[];
  /** Starts reading the table's rows (masked by the reader). */
  rows(): TableRows;
}

export interface MaskedDumpScript {
  /** Comment lines opening the file: what it is and how to restore it. */
  about: string[];
  /** The app schemas' DDL before the data (entries the restoring role may run). */
  preData: DumpScript;
  /** Statements before the pre-data (the extensions the app schemas hold). */
  before: string[];
  tables: DumpedTable[];
  postData: DumpScript;
  /** Statements after the post-data: materialized views, sequences, objects on platform tables. */
  after: string[];
}

export interface WrittenDump extends WrittenArchive {
  /** Per table: rows written and `sha256:<hex>` of its COPY data. */
  tables: TableChecksum[];
}

const statement = (s: string) => `${s.trimEnd().replace(/;$/, '')};\n`;

/** An entry's SQL without pg_dump's closing banner (the last entry of a section carries it). */
const entrySql = (sql: string) =>
  `${sql.replace(/\s*--\n-- PostgreSQL database dump complete\n--\s*$/, '')}\n\n`;

/** The script, chunk by chunk; each table's rows are read only when the file is ready for them. */
async function* scriptChunks(
  s: MaskedDumpScript,
  tables: TableChecksum[],
  onTable: (t: TableChecksum) => void,
): AsyncGenerator<string | Buffer> {
  yield `${s.about.map((line) => `-- ${line}`.trimEnd()).join('\n')}\n\n`;
  // One error stops the restore: with psql -1 nothing is left behind.
  yield '\\set ON_ERROR_STOP on\n\n';
  yield `${s.preData.preamble}\n\n`;
  for (const b of s.before) yield statement(b);
  yield '\n-- pre-data: the app schemas\n\n';
  for (const e of s.preData.entries) yield entrySql(e.sql);
  yield '-- data, masked on the way: no trigger fires while it loads\n\nSET session_replication_role = replica;\n\n';
  for (const t of s.tables) {
    const rows = t.rows();
    const hash = createHash('sha256');
    let count = 0;
    let last = 10;
    try {
      yield `COPY ${qname(t.schema, t.name)} (${t.columns.map(ident).join(', ')}) FROM stdin;\n`;
      for await (const chunk of rows.data as AsyncIterable<Buffer>) {
        if (!chunk.length) continue;
        hash.update(chunk);
        for (let i = chunk.indexOf(10); i !== -1; i = chunk.indexOf(10, i + 1)) count++;
        last = chunk[chunk.length - 1]!;
        yield chunk;
      }
      await rows.done;
    } finally {
      rows.stop();
    }
    if (last !== 10) {
      throw new JobError(
        `the rows of ${t.schema}.${t.name} ended in the middle of a row`,
        'the source connection was interrupted; take the masked dump again',
      );
    }
    yield '\\.\n\n';
    const done = { table: `${t.schema}.${t.name}`, rows: count, checksum: `sha256:${hash.digest('hex')}` };
    tables.push(done);
    onTable(done);
  }
  yield 'SET session_replication_role = origin;\n\n-- post-data: constraints, indexes, triggers, policies\n\n';
  for (const e of s.postData.entries) yield entrySql(e.sql);
  yield '-- after the data: materialized views, sequences, the app’s objects on platform tables\n\n';
  for (const a of s.after) yield statement(a);
  yield `\n${MASKED_DUMP_END}\n`;
}

/** Writes the script to `file` (encrypted with `secret`), hashing exactly the bytes on disk. */
export async function writeMaskedDump(
  file: string,
  script: MaskedDumpScript,
  options: { secret?: string; onTable?: (t: TableChecksum) => void; onBytes?: (bytes: number) => void } = {},
): Promise<WrittenDump> {
  const tables: TableChecksum[] = [];
  const source = Readable.from(scriptChunks(script, tables, options.onTable ?? (() => {})), {
    objectMode: false,
  });
  const written = await writeArchive(source, file, {
    ...(options.secret ? { secret: options.secret } : {}),
    ...(options.onBytes ? { onBytes: options.onBytes } : {}),
  });
  return { ...written, tables };
}

/**
 * Reads the written file back in full (decrypted first, which checks the GCM tag) and checks that
 * it ends as a complete dump does.
 */
export async function readMaskedDumpBack(file: string, encrypted: boolean, secret?: string): Promise<void> {
  const end = Buffer.from(`${MASKED_DUMP_END}\n`);
  let tail = Buffer.alloc(0);
  try {
    for await (const chunk of readArchive(file, encrypted, secret)) {
      tail = Buffer.concat([tail, chunk as Buffer]).subarray(-end.length);
    }
  } catch (error) {
    throw new JobError(
      `${file} did not read back: ${(error as Error).message}`,
      'the masked dump is not usable; take it again',
    );
  }
  if (!tail.equals(end)) {
    throw new JobError(`${file} is incomplete: it lacks its last line`, 'take the masked dump again');
  }
}
