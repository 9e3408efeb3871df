// The app schemas' DDL from the source's exported snapshot, as two plain-SQL sections:
// pre-data (schemas, types, functions, tables, views, grants) runs before the data is
// copied, post-data (constraints, indexes, FKs, triggers, RLS, policies, default
// privileges) after it — indexes are built once over the loaded rows.

import type { PgProgram } from '../db/pg-binaries.ts';
import { startProgram } from '../db/run-program.ts';
import { ident } from '../db/sql-text.ts';

export interface SchemaSections {
  preData: string;
  postData: string;
}

/**
 * Makes pg_dump's script runnable inside our transaction: psql-only meta-commands go
 * (`\restrict`/`\unrestrict` from pg_dump ≥ 17.6), the job's own lock_timeout stays, and
 * schemas the target keeps (emptied, never dropped) are not created twice.
 */
export function forTransaction(script: string): string {
  return script
    .split('\n')
    .filter(
      (line) =>
        !/^\\(un)?restrict\b/.test(line) &&
        !/^SET (lock_timeout|statement_timeout|idle_in_transaction_session_timeout) =/.test(line),
    )
    .map((line) => line.replace(/^CREATE SCHEMA (?!IF NOT EXISTS)/, 'CREATE SCHEMA IF NOT EXISTS '))
    .join('\n');
}

async function dumpSection(
  pgDump: PgProgram,
  env: NodeJS.ProcessEnv,
  snapshot: string,
  schemas: string[],
  section: 'pre-data' | 'post-data',
): Promise<string> {
  const program = startProgram(
    pgDump.path,
    [
      '--schema-only',
      `--section=${section}`,
      `--snapshot=${snapshot}`,
      '--no-password',
      ...schemas.flatMap((s) => ['--schema', ident(s)]),
    ],
    env,
    `pg_dump --schema-only --section=${section}`,
  );
  program.child.stdin!.end();
  const chunks: Buffer[] = [];
  program.child.stdout!.on('data', (d: Buffer) => chunks.push(d));
  await program.done;
  return forTransaction(Buffer.concat(chunks).toString('utf8'));
}

/** Both sections, dumped in parallel from the same snapshot. */
export async function dumpSchemaSections(
  pgDump: PgProgram,
  env: NodeJS.ProcessEnv,
  snapshot: string,
  schemas: string[],
): Promise<SchemaSections> {
  const [preData, postData] = await Promise.all([
    dumpSection(pgDump, env, snapshot, schemas, 'pre-data'),
    dumpSection(pgDump, env, snapshot, schemas, 'post-data'),
  ]);
  return { preData, postData };
}
