// The demo's two local Supabase-shaped clusters: `dev` with the whole app and its
// data, `staging` the way the seed notes found theirs (missing tables, partial data).

import { randomBytes } from 'node:crypto';
import type postgres from 'postgres';
import { type Cluster, startCluster } from '../db/cluster.ts';
import { seedDemoData } from './seed-data.ts';
import { applyMigrations, installPlatform, listMigrations } from './supabase-fixture.ts';

export interface SupabaseCluster {
  cluster: Cluster;
  /** `postgres` (the app role, not a superuser) over TCP with its password. */
  url: string;
  appPassword: string;
}

/**
 * A throwaway cluster with the Supabase platform layer in database `postgres`; or, `from` a
 * stopped cluster's data directory that has it already (its app password with it).
 */
export async function startSupabaseCluster(
  name: string,
  detached = false,
  from?: { dataDir: string; appPassword: string },
): Promise<SupabaseCluster> {
  if (from) {
    const cluster = await startCluster({ name, detached, dataFrom: from.dataDir });
    return { cluster, url: cluster.url('postgres', from.appPassword), appPassword: from.appPassword };
  }
  const cluster = await startCluster({ name, detached });
  const appPassword = randomBytes(12).toString('base64url');
  const admin = cluster.admin();
  try {
    await installPlatform(admin, admin, appPassword);
  } catch (error) {
    // Nobody else holds the cluster yet: it must not outlive the failure.
    await admin.end();
    await cluster.destroy().catch(() => {});
    throw error;
  }
  await admin.end();
  return { cluster, url: cluster.url('postgres', appPassword), appPassword };
}

/** The app's migrations (all, or the first `count`) applied as `postgres`. */
export async function migrate(app: postgres.Sql, count?: number): Promise<void> {
  const files = listMigrations();
  await applyMigrations(app, count === undefined ? files : files.slice(0, count));
}

/** Staging as the seed notes found it: the two newest migrations never applied, chats partly copied, and a leftover table. */
export async function makeStaleStaging(app: postgres.Sql, scale: number): Promise<void> {
  await migrate(app, listMigrations().length - 2);
  const lostConversations = 2 * scale;
  await seedDemoData(app, {
    scale,
    keep: (table, i) => {
      if (table === 'public.chat_conversations') return i >= lostConversations;
      if (table === 'public.chat_messages') return Math.floor(i / 20) >= lostConversations && i % 5 >= 2;
      if (table === 'public.audit_log') return i % 3 !== 0;
      return true;
    },
  });
  await app.unsafe(`
    create table public.legacy_sync_log (id serial primary key, note text, synced_at timestamptz default now());
    insert into public.legacy_sync_log (note) values ('sync-prod-to-staging-ultimate.ts: 31 of 50 tables');
  `);
}

/**
 * Production as the content promotion finds it: the whole app and its guests' data, but the
 * catalogue it last received — the newest 5% of tourist spots not there yet, 5% of titles older,
 * view counters of its own — and an amenity dev retired that guests still have booked.
 */
export async function makeOlderProduction(app: postgres.Sql, scale: number): Promise<void> {
  await migrate(app);
  await seedDemoData(app, { scale });
  const kept = 950 * scale;
  await app.unsafe(`
    delete from public.saved_spots where spot_id > ${kept};
    delete from public.tourist_spots where id > ${kept};
    alter table public.tourist_spots disable trigger tourist_spots_updated_at;
    update public.tourist_spots set title = title || ' (2024)' where id % 20 = 0;
    update public.tourist_spots set view_count = view_count + 1000 where id % 7 = 0;
    alter table public.tourist_spots enable trigger tourist_spots_updated_at;
    ${RETIRED_AMENITY};
    insert into public.reservation_extras (reservation_id, amenity_id)
      select id, 100000 from public.guest_reservations order by id limit 3;`);
}

/** The amenity dev retired (production still has it, and guests booked it). */
export const RETIRED_AMENITY = `insert into public.amenities (id, slug, name, description, updated_at)
  values (100000, 'minibar-legacy', 'Minibar (legacy)', 'Retired on dev', '2025-01-01 00:00:00+00')`;

/** A category the content team adds on staging, featuring a new spot: the two point at each other. */
export const NEW_CATEGORY = `
  insert into public.spot_categories (slug, name) values ('wellness', 'Wellness');
  insert into public.tourist_spots (slug, category_id, title, body, latitude, longitude)
    select 'termales', id, 'Termales', 'hot springs in the mountains', 4.81, -75.39
    from public.spot_categories where slug = 'wellness';
  update public.spot_categories set featured_spot_id = (select id from public.tourist_spots where slug = 'termales')
    where slug = 'wellness';`;
