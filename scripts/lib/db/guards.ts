// The production guard every job that writes keeps, decided on the server's side: a
// database is production when it is named so, when it carries envsync's production marker
// (however its URL is spelled, even where PRODUCTION_DATABASE_URL is not set), or when it is
// the same server and database as PRODUCTION_DATABASE_URL.

import { InputError } from '../base/errors.ts';
import type { ProductionMarker } from '../results/mark-production.ts';
import { connect, type Sql } from './connect.ts';
import { databaseIdentity, sameDatabase } from './identity.ts';
import { type DatabaseTarget, resolveDatabase } from './url.ts';

/** Where the marker lives: a schema of envsync's own, never replicated (see catalog/platform.ts). */
export const MARKER_SCHEMA = 'envsync';

/** The marker, when the database carries one (readable by every role: granted to PUBLIC). */
export async function readProductionMarker(sql: Sql): Promise<ProductionMarker | null> {
  // Found in the catalogs every role can read: a marker this role may not read still counts.
  const [r] = await sql`
    select exists (select 1 from pg_class c join pg_namespace n on n.oid = c.relnamespace
                   where n.nspname = 'envsync' and c.relname = 'environment') as present`;
  if (!r?.present) return null;
  const [p] = await sql`select has_schema_privilege('envsync', 'USAGE')
                               and has_table_privilege('envsync.environment', 'SELECT') as readable`;
  if (!p?.readable)
    return { markedAt: 'unknown (the marker is not readable by this role)', markedBy: 'unknown' };
  const [m] = await sql`
    select marked_at::text as marked_at, marked_by from envsync.environment where name = 'production'`;
  return m ? { markedAt: String(m.marked_at), markedBy: String(m.marked_by) } : null;
}

/** Writes the marker (idempotent); returns the marker as it now stands and whether it was already there. */
export async function writeProductionMarker(
  sql: Sql,
): Promise<{ marker: ProductionMarker; already: boolean }> {
  const before = await readProductionMarker(sql);
  if (before) return { marker: before, already: true };
  await sql.begin(async (tx) => {
    await tx.unsafe(`
      create schema if not exists envsync;
      comment on schema envsync is 'envsync: this database is production; every job that writes refuses it without --allow-production';
      create table if not exists envsync.environment (
        name text primary key check (name = 'production'),
        marked_at timestamptz not null default now(),
        marked_by text not null default current_user
      );
      revoke all on envsync.environment from public;
      grant usage on schema envsync to public;
      grant select on envsync.environment to public;
      insert into envsync.environment (name) values ('production') on conflict do nothing;`);
  });
  return { marker: (await readProductionMarker(sql))!, already: false };
}

/** What is known without connecting: the name, or the very URL of PRODUCTION_DATABASE_URL. */
function knownProduction(target: DatabaseTarget, env: NodeJS.ProcessEnv): string | null {
  if (target.name === 'production') return 'it is named production';
  if (env.PRODUCTION_DATABASE_URL) {
    const production = resolveDatabase('PRODUCTION_DATABASE_URL', 'production', env);
    if (production.display === target.display) return 'its URL is PRODUCTION_DATABASE_URL';
  }
  return null;
}

/**
 * Why `target` (reached through `sql`) is production, or null. The production URL, when set,
 * is compared by server identity; one unreachable from here leaves the name and marker to decide.
 */
export async function productionReason(
  sql: Sql,
  target: DatabaseTarget,
  env: NodeJS.ProcessEnv,
): Promise<string | null> {
  const known = knownProduction(target, env);
  if (known) return known;
  const marker = await readProductionMarker(sql);
  if (marker)
    return `it is marked as production (envsync.environment, ${marker.markedAt} by ${marker.markedBy})`;
  if (!env.PRODUCTION_DATABASE_URL) return null;
  const production = resolveDatabase('PRODUCTION_DATABASE_URL', 'production', env);
  let prod: Sql | undefined;
  try {
    prod = await connect(production, { applicationName: 'envsync production guard', connectTimeout: 5 });
    const [a, b] = await Promise.all([databaseIdentity(sql), databaseIdentity(prod)]);
    return sameDatabase(a, b) ? 'it is the same server and database as PRODUCTION_DATABASE_URL' : null;
  } catch {
    return null;
  } finally {
    await prod?.end({ timeout: 1 }).catch(() => {});
  }
}

const refusal = (target: DatabaseTarget, reason: string, job: string) =>
  new InputError(
    `${target.flag} ${target.display} is production (${reason}): ${job} writes to it`,
    `pass --allow-production to ${job} production on purpose`,
  );

/** Before connecting: production by name or by URL needs --allow-production (the server is asked later). */
export function refuseKnownProduction(
  target: DatabaseTarget,
  env: NodeJS.ProcessEnv,
  allowed: boolean,
  job: string,
): void {
  const reason = knownProduction(target, env);
  if (reason && !allowed) throw refusal(target, reason, job);
}

/** Refuses (exit 2) a production target unless `allowed`; returns why it is production, or null. */
export async function guardProduction(
  sql: Sql,
  target: DatabaseTarget,
  env: NodeJS.ProcessEnv,
  allowed: boolean,
  job: string,
): Promise<string | null> {
  const reason = await productionReason(sql, target, env);
  if (reason && !allowed) throw refusal(target, reason, job);
  return reason;
}
