// The migration history exactly as the Supabase CLI keeps it (pkg/migration/history.go):
// supabase_migrations.schema_migrations (version text primary key, statements text[], name text),
// so a history written by either tool is the other's too. No checksum column is added: the
// stored statements are the checksum.

import { InputError } from '../base/errors.ts';
import type { Query } from '../db/connect.ts';

export interface AppliedMigration {
  version: string;
  name: string;
  /** null when written without them (`migration repair`, very old CLIs). */
  statements: string[] | null;
}

/** The CLI's own statements, in its order: a history made by envsync is made the same way. */
export const CREATE_HISTORY = [
  'CREATE SCHEMA IF NOT EXISTS supabase_migrations',
  'CREATE TABLE IF NOT EXISTS supabase_migrations.schema_migrations (version text NOT NULL PRIMARY KEY)',
  'ALTER TABLE supabase_migrations.schema_migrations ADD COLUMN IF NOT EXISTS statements text[]',
  'ALTER TABLE supabase_migrations.schema_migrations ADD COLUMN IF NOT EXISTS name text',
];

/** The history's columns as the CLI reads and writes them; other nullable columns are tolerated. */
const EXPECTED: Record<string, string> = { version: 'text', statements: 'text[]', name: 'text' };

/** Whether the history table exists; refuses one whose columns are not the CLI's (exit 2). */
export async function historyExists(sql: Query): Promise<boolean> {
  const columns = await permitted(
    'read',
    () => sql`
    select a.attname as name, format_type(a.atttypid, a.atttypmod) as type, a.attnotnull as not_null,
           a.atthasdef as has_default
    from pg_attribute a
    where a.attrelid = to_regclass('supabase_migrations.schema_migrations') and a.attnum > 0 and not a.attisdropped`,
  );
  if (columns.length === 0) return false;
  const found = new Map(columns.map((c) => [String(c.name), c]));
  const wrong = [
    ...Object.entries(EXPECTED)
      .filter(([name, type]) => found.has(name) && found.get(name)!.type !== type)
      .map(([name, type]) => `${name} is ${found.get(name)!.type}, not ${type}`),
    ...(found.has('version') ? [] : ['it has no version column']),
    ...columns
      .filter((c) => !(String(c.name) in EXPECTED) && c.not_null && !c.has_default)
      .map((c) => `${c.name} is NOT NULL without a default (an insert by the CLI or envsync would fail)`),
  ];
  if (wrong.length)
    throw new InputError(
      `supabase_migrations.schema_migrations has an unexpected shape: ${wrong.join('; ')}`,
      'it must be (version text primary key, statements text[], name text), as the Supabase CLI creates it',
    );
  return true;
}

export async function readHistory(sql: Query): Promise<AppliedMigration[]> {
  if (!(await historyExists(sql))) return [];
  const rows = await permitted(
    'read',
    () => sql`select version, coalesce(name, '') as name, statements
              from supabase_migrations.schema_migrations order by version`,
  );
  return rows.map((r) => ({
    version: String(r.version),
    name: String(r.name),
    statements: r.statements === null ? null : (r.statements as string[]).map(String),
  }));
}

export async function createHistory(sql: Query): Promise<void> {
  await permitted('create', async () => {
    for (const statement of CREATE_HISTORY) await sql.unsafe(statement);
  });
}

/** A role that may not read or create the history is bad input, named with the fix (exit 2). */
async function permitted<T>(what: 'read' | 'create', work: () => Promise<T>): Promise<T> {
  try {
    return await work();
  } catch (error) {
    if ((error as { code?: string }).code !== '42501') throw error;
    throw new InputError(
      `the connecting role may not ${what} the migration history supabase_migrations.schema_migrations (${(error as Error).message})`,
      'connect as the database owner (on Supabase: postgres), or grant it USAGE and CREATE on the schema; nothing was applied',
    );
  }
}

/** The CLI's INSERT_MIGRATION_VERSION. */
export async function recordMigration(
  sql: Query,
  m: { version: string; name: string; statements: string[] },
): Promise<void> {
  await sql`insert into supabase_migrations.schema_migrations (version, name, statements)
            values (${m.version}, ${m.name}, ${m.statements}::text[])`;
}

/** `migration repair --status applied`: the CLI's UPSERT_MIGRATION_VERSION. */
export async function markApplied(
  sql: Query,
  m: { version: string; name: string; statements: string[] },
): Promise<void> {
  await sql`insert into supabase_migrations.schema_migrations (version, name, statements)
            values (${m.version}, ${m.name}, ${m.statements}::text[])
            on conflict (version) do update set name = excluded.name, statements = excluded.statements`;
}

/** `migration repair --status reverted`: the CLI's DELETE_MIGRATION_VERSION. */
export async function markReverted(sql: Query, versions: string[]): Promise<number> {
  const deleted =
    await sql`delete from supabase_migrations.schema_migrations where version = any(${versions}::text[])`;
  return deleted.count;
}
