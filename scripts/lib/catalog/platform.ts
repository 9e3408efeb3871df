// Which schemas belong to the Supabase platform (not recreated by a sync) and which
// platform tables hold data the app needs.

export const PLATFORM_SCHEMAS: readonly string[] = [
  'auth',
  'storage',
  'extensions',
  'realtime',
  '_realtime',
  'vault',
  'graphql',
  'graphql_public',
  'supabase_functions',
  'supabase_migrations',
  'cron',
  'net',
  'pgsodium',
  'pgsodium_masks',
  'pgbouncer',
  'pgtle',
  '_analytics',
  '_supavisor',
  'pg_net',
  'repack',
  // envsync's own: the production marker (db/guards.ts), never replicated.
  'envsync',
];

/** Platform tables whose rows the app depends on (copied by a sync; default set). */
export const PLATFORM_DATA_TABLES: readonly string[] = [
  'auth.users',
  'auth.identities',
  'supabase_migrations.schema_migrations',
];

/**
 * The tables that deleting every row of `deleted` changes through FKs (ON DELETE CASCADE, SET
 * NULL, SET DEFAULT), transitively — on Supabase, deleting auth.users takes sessions, refresh
 * tokens, MFA factors and one-time tokens with it. Tables in `except` (replaced anyway) are left out.
 */
export function cascadeReach(
  foreignKeys: readonly { table: string; references: string; onDelete: string }[],
  deleted: readonly string[],
  except: (table: string) => boolean = () => false,
): string[] {
  const reached = new Set<string>();
  const queue = [...deleted];
  for (let t = queue.shift(); t !== undefined; t = queue.shift()) {
    for (const fk of foreignKeys) {
      if (fk.references !== t || !['cascade', 'set null', 'set default'].includes(fk.onDelete)) continue;
      if (deleted.includes(fk.table) || reached.has(fk.table) || except(fk.table)) continue;
      reached.add(fk.table);
      if (fk.onDelete === 'cascade') queue.push(fk.table);
    }
  }
  return [...reached].sort();
}

export function isPlatformSchema(schema: string): boolean {
  return PLATFORM_SCHEMAS.includes(schema) || schema.startsWith('pg_');
}
