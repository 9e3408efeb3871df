// The demo's content promotion: the hotels' catalogue from staging to a "production" whose
// guests keep booking while it runs — compared, refused where a guest's booking points at an
// amenity staging dropped, planned, synced with the proof, validated against the manifest of
// the guests' tables, and rolled back.

import path from 'node:path';
import postgres from 'postgres';
import { NEW_CATEGORY, RETIRED_AMENITY, type SupabaseCluster } from '../demo/environment.ts';
import type { ContentSyncResult } from '../results/content-sync.ts';
import type { DemoResult } from '../results/demo.ts';
import { contentSyncJob } from './content-sync.ts';
import type { JobContext } from './runner.ts';
import { type StepRunner, sealed } from './steps.ts';

const job = sealed(contentSyncJob);
const route = ['--source', 'staging', '--target', 'production'];

export async function promoteContent(
  ctx: JobContext,
  runner: StepRunner,
  staging: SupabaseCluster,
  production: SupabaseCluster,
): Promise<NonNullable<DemoResult['content']>> {
  /** A content-sync step that must end with `expected`; its result. */
  const step = async (dir: string, args: string[], expected = 0) => {
    const { code, record, out } = await runner.run(job, dir, args);
    if (code !== expected || !record) throw new Error(`${dir} exited ${code}, not ${expected}; see ${out}`);
    return { record, out };
  };
  const total = (r: ContentSyncResult, k: 'new' | 'changed' | 'onlyOnTarget') =>
    r.tables.reduce((n, t) => n + t[k], 0);

  ctx.log.info('content promotion, staging → production: the hotels’ catalogue only (envsync.yaml)');
  ctx.log.info(
    'the content team adds a category on staging, featuring a new spot (the two point at each other)',
  );
  await withSql(staging.url, (sql) => sql.unsafe(NEW_CATEGORY));
  const compared = (await step('content-compare', [...route, '--mode', 'compare'])).record.result!;
  ctx.log.info('a guest booked an amenity staging no longer has: the sync must refuse to delete it');
  const refused = await step('content-sync-refused', [...route, '--mode', 'sync', '--allow-production'], 1);

  ctx.log.info('the team keeps the amenity (back on staging), plans, and syncs while guests keep booking');
  await withSql(staging.url, (sql) => sql.unsafe(RETIRED_AMENITY));
  const plan = await step('content-plan', [...route, '--mode', 'dry-run']);
  const guests = await guestsBooking(production.url);
  const synced = await step('content-sync', [
    ...route,
    '--mode',
    'sync',
    '--plan',
    plan.out,
    '--allow-production',
  ]).finally(guests.stop);
  const booked = await guests.stop();
  const sync = synced.record.result!;
  const validated = (
    await step('content-validate', [
      ...route,
      '--mode',
      'validate',
      '--manifest',
      path.join(synced.out, 'content-snapshot'),
    ])
  ).record.result!;

  ctx.log.info('and the content rolled back to what production had before');
  const rollback = await step('content-rollback', [
    '--target',
    'production',
    '--mode',
    'rollback',
    '--from',
    path.join(synced.out, 'content-snapshot'),
    '--allow-production',
  ]);
  const written = (k: 'inserted' | 'updated' | 'deleted') =>
    sync.tables.reduce((n, t) => n + t.written[k], 0);
  return {
    compared: {
      new: total(compared, 'new'),
      changed: total(compared, 'changed'),
      onlyOnTarget: total(compared, 'onlyOnTarget'),
    },
    refused: refused.record.error?.message ?? '',
    written: { inserted: written('inserted'), updated: written('updated'), deleted: written('deleted') },
    protectedTablesChecked: sync.proof?.protectedTablesChecked ?? 0,
    guestWrites: booked.written,
    guestWritesKept: booked.kept,
    writtenSince: (validated.protected?.tables ?? [])
      .filter((t) => t.unchanged === false)
      .map((t) => t.table),
    rolledBack: rollback.record.result?.restoreChecks?.every((c) => c.equal) ?? false,
  };
}

async function withSql<T>(url: string, fn: (sql: postgres.Sql) => Promise<T>): Promise<T> {
  const sql = postgres(url, { max: 1, onnotice: () => {} });
  try {
    return await fn(sql);
  } finally {
    await sql.end();
  }
}

/**
 * Guests at work on production: extras booked one by one until stopped. `stop` answers how many
 * were written and whether every one of them is still there.
 */
async function guestsBooking(
  url: string,
): Promise<{ stop: () => Promise<{ written: number; kept: boolean }> }> {
  const sql = postgres(url, { max: 1, onnotice: () => {} });
  const [first] = await sql`select max(id) as id from public.reservation_extras`;
  const after = String(first!.id ?? 0);
  let booking = true;
  let written = 0;
  const loop = (async () => {
    while (booking) {
      await sql`insert into public.reservation_extras (reservation_id, amenity_id)
                select id, 1 from public.guest_reservations order by id limit 1`;
      written++;
    }
  })();
  let result: Promise<{ written: number; kept: boolean }> | undefined;
  return {
    stop: () => {
      result ??= (async () => {
        booking = false;
        try {
          await loop;
          const [n] =
            await sql`select count(*)::int8 as n from public.reservation_extras where id > ${after}`;
          return { written, kept: Number(n!.n) === written };
        } finally {
          await sql.end();
        }
      })();
      return result;
    },
  };
}
