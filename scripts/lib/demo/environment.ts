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

/** Staging as the seed notes found it: the newest migration never applied, chats partly copied, and a leftover table. */
export async function makeStaleStaging(app: postgres.Sql, scale: number): Promise<void> {
  await migrate(app, listMigrations().length - 1);
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
