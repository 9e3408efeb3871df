// The app schemas' DDL from the source's exported snapshot, as two plain-SQL sections:
// pre-data (schemas, types, functions, tables, views, grants) runs before the data is
// copied, post-data (constraints, indexes, FKs, triggers, RLS, policies, default
// privileges) after it — indexes are built once over the loaded rows.

import type { PgProgram } from '../db/pg-binaries.ts';
import { startProgram } from '../db/run-program.ts';
import { ident } from '../db/sql-text.ts';
import { type DumpScript, parseDumpScript, runnableLine } from './dump-entries.ts';

export interface SchemaSections {
  preData: DumpScript;
  postData: DumpScript;
}

/**
 * Makes a dump runnable inside our transaction: the job's own lock_timeout stays, and each
 * entry's lines as `runnableLine` makes them (schemas kept, grants under SET ROLE).
 */
export function forTransaction(script: DumpScript): DumpScript {
  return {
    preamble: script.preamble
      .split('\n')
      .filter(
        (line) => !/^SET (lock_timeout|statement_timeout|idle_in_transaction_session_timeout) =/.test(line),
      )
      .join('\n'),
    entries: script.entries.map((e) => ({
      ...e,
      sql: e.sql
        .split('\n')
        .map((line) => runnableLine(e.kind, line))
        .join('\n'),
    })),
  };
}

/** `pg_dump --schema-only` of `schemas` (one section, or all) in an exported snapshot, as entries. */
export async function dumpSchema(
  pgDump: PgProgram,
  env: NodeJS.ProcessEnv,
  snapshot: string,
  schemas: string[],
  section?: 'pre-data' | 'post-data',
): Promise<DumpScript> {
  const program = startProgram(
    pgDump.path,
    [
      '--schema-only',
      ...(section ? [`--section=${section}`] : []),
      `--snapshot=${snapshot}`,
      '--no-password',
      ...schemas.flatMap((s) => ['--schema', ident(s)]),
    ],
    env,
    `pg_dump --schema-only${section ? ` --section=${section}` : ''}`,
  );
  program.child.stdin!.end();
  const chunks: Buffer[] = [];
  program.child.stdout!.on('data', (d: Buffer) => chunks.push(d));
  await program.done;
  return parseDumpScript(Buffer.concat(chunks).toString('utf8'));
}

/** Both sections, dumped in parallel from the same snapshot. */
export async function dumpSchemaSections(
  pgDump: PgProgram,
  env: NodeJS.ProcessEnv,
  snapshot: string,
  schemas: string[],
): Promise<SchemaSections> {
  const [preData, postData] = await Promise.all([
    dumpSchema(pgDump, env, snapshot, schemas, 'pre-data'),
    dumpSchema(pgDump, env, snapshot, schemas, 'post-data'),
  ]);
  return { preData: forTransaction(preData), postData: forTransaction(postData) };
}
