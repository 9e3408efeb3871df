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

export function isPlatformSchema(schema: string): boolean {
  return PLATFORM_SCHEMAS.includes(schema) || schema.startsWith('pg_');
}
