// Makes a database Supabase-shaped (platform roles, schemas and tables owned by
// their platform roles, `postgres` as a non-superuser app owner) and applies the
// app's migrations as `postgres`, recording them as the Supabase CLI does.

import { readdirSync, readFileSync } from 'node:fs';
import path from 'node:path';
import type postgres from 'postgres';
import { repoRoot } from '../cli/env-file.ts';
import { recordMigration } from '../migrations/history.ts';
import { splitStatements } from '../migrations/split.ts';

export const platformDir = path.join(repoRoot, 'supabase', 'platform');
export const migrationsDir = path.join(repoRoot, 'supabase', 'migrations');

function quoteLiteral(value: string): string {
  return `'${value.replace(/'/g, "''")}'`;
}

/**
 * Installs the platform layer. `cluster` is a superuser connection to the
 * maintenance database, `database` a superuser connection to the app database.
 */
export async function installPlatform(
  cluster: postgres.Sql,
  database: postgres.Sql,
  appPassword: string,
): Promise<void> {
  await cluster.unsafe(readFileSync(path.join(platformDir, 'roles.sql'), 'utf8'));
  await cluster.unsafe(`alter role postgres password ${quoteLiteral(appPassword)}`);
  await database.unsafe(readFileSync(path.join(platformDir, 'schemas.sql'), 'utf8'));
}

export interface MigrationFile {
  version: string;
  name: string;
  file: string;
}

/** `supabase/migrations/<version>_<name>.sql`, in version order. */
export function listMigrations(dir = migrationsDir): MigrationFile[] {
  return readdirSync(dir)
    .filter((f) => /^\d+_.+\.sql$/.test(f))
    .sort()
    .map((f) => {
      const m = /^(\d+)_(.+)\.sql$/.exec(f)!;
      return { version: m[1]!, name: m[2]!, file: path.join(dir, f) };
    });
}

/**
 * Applies migration files in one transaction each, as the connected role, and records
 * them in supabase_migrations.schema_migrations. (The migrations issue replaces this
 * with the full apply/status/lint command; this is what the demo and tests need.)
 */
export async function applyMigrations(app: postgres.Sql, files: MigrationFile[]): Promise<void> {
  for (const m of files) {
    const text = readFileSync(m.file, 'utf8');
    await app.begin(async (tx) => {
      await tx.unsafe(text);
      // Recorded as the Supabase CLI records it, so migrate and the CLI see these applied, unedited.
      await recordMigration(tx, { version: m.version, name: m.name, statements: splitStatements(text) });
    });
  }
}
