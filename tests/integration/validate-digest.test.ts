// sync keeps a digest of the source's snapshot (counts and checksums, taken while the target
// builds its indexes) and loads the rows frozen; `validate --digest` compares the target with
// that digest and reads only the target's rows. Real clusters: the demo app, dev → stale staging.

import { writeFileSync } from 'node:fs';
import path from 'node:path';
import { syncJob } from '../../scripts/lib/jobs/sync.ts';
import { validateJob } from '../../scripts/lib/jobs/validate.ts';
import type { SyncResult } from '../../scripts/lib/results/sync.ts';
import type { ValidateResult } from '../../scripts/lib/results/validate.ts';
import { dir, record } from '../helpers/backups.ts';
import { cleanEnv, runInProcess } from '../helpers/run-script.ts';
import { closeAll, supabaseDatabase, type TestDatabase } from '../helpers/supabase-db.ts';
import { devAndStaleStaging } from '../helpers/sync.ts';
import { until } from '../helpers/wait.ts';

let dev: TestDatabase;
let staging: TestDatabase;
let synced: string;
let sync: SyncResult;
beforeAll(async () => {
  [dev, staging] = await devAndStaleStaging();
  synced = dir('sync');
  const run = await runInProcess(
    syncJob,
    ['--source', 'dev', '--target', 'staging', '--digest', '--out', synced],
    env(),
  );
  expect(run.code).toBe(0);
  sync = record<SyncResult>(synced, 'sync').result!;
});
afterAll(closeAll);

const env = () => cleanEnv({ DEV_DATABASE_URL: dev.url, STAGING_DATABASE_URL: staging.url });
const validate = async (...extra: string[]) => {
  const d = dir('validate');
  const run = await runInProcess(
    validateJob,
    ['--source', 'dev', '--target', 'staging', '--out', d, ...extra],
    env(),
  );
  return { run, r: record<ValidateResult>(d, 'validate').result };
};

test('the sync keeps a digest of every table it copied, with the fastest hash both servers agree on', () => {
  const digest = sync.digest!;
  expect(digest.tables.map((t) => t.table).sort()).toEqual(sync.tables.map((t) => t.table).sort());
  for (const t of sync.tables) expect(digest.tables.find((d) => d.table === t.table)!.rows).toBe(t.rows);
  expect(new Set(digest.tables.map((t) => t.checksum.split(':')[0]))).toEqual(new Set(['hre64']));
  expect(digest.sequences.length).toBeGreaterThan(0);
});

test('the rows were loaded frozen: nothing left for the first reader to write back', async () => {
  const sql = staging.superuser();
  await sql`create extension if not exists pageinspect`;
  try {
    const [r] = await sql`
      select count(*) filter (where t_infomask & 768 = 768)::int as frozen, count(*)::int as tuples
      from heap_page_items(get_raw_page('public.chat_messages', 0)) where lp_flags = 1`;
    expect(r!.tuples).toBeGreaterThan(0);
    expect(r!.frozen).toBe(r!.tuples);
  } finally {
    await sql`drop extension pageinspect`;
  }
});

test("validate --digest: the fresh replica passes, and the source's rows are not read", async () => {
  // Sequential scans of the source's largest table: every checksum is one; the catalogs read none.
  const scans = async () => {
    const [r] = await dev.superuser()`
      select seq_scan::int as n from pg_stat_user_tables where relid = 'public.chat_messages'::regclass`;
    return r!.n as number;
  };
  const before = await scans();
  const { run, r } = await validate('--digest', synced);
  expect(run.stderr).toBe('');
  expect(run.code).toBe(0);
  expect(r).toMatchObject({ identical: true, digest: { dir: synced, tables: sync.tables.length } });
  expect(r!.tablesCompared).toBe(sync.tables.length);
  // A session's statistics arrive as it ends; give them the time the plain run below needs.
  await new Promise((res) => setTimeout(res, 1500));
  expect(await scans()).toBe(before);
  // Without --digest the same validate does scan it, and it shows within that time.
  expect((await validate()).run.code).toBe(0);
  expect(await until(async () => (await scans()) > before, 1500)).toBe(true);
});

test('a value changed on the target afterwards is found, in each table changed', async () => {
  const sql = staging.superuser();
  const first = (t: string) => sql.unsafe(`select id from ${t} order by id limit 1`).then((r) => r[0]!.id);
  const [message, reservation] = [
    await first('public.chat_messages'),
    await first('public.guest_reservations'),
  ];
  // Triggers off: the audit trigger would write a third table.
  await sql.begin(async (tx) => {
    await tx`set local session_replication_role = replica`;
    await tx`update public.chat_messages set content = content || '!' where id = ${message}`;
    await tx`update public.guest_reservations set status = status || '!' where id = ${reservation}`;
  });
  try {
    const { run, r } = await validate('--digest', synced);
    expect(run.code).toBe(1);
    expect(r!.data.map((d) => d.table).sort()).toEqual(['public.chat_messages', 'public.guest_reservations']);
  } finally {
    await sql.begin(async (tx) => {
      await tx`set local session_replication_role = replica`;
      await tx`update public.chat_messages set content = left(content, -1) where id = ${message}`;
      await tx`update public.guest_reservations set status = left(status, -1) where id = ${reservation}`;
    });
  }
  expect((await validate('--digest', synced)).run.code).toBe(0);
});

test('the source moving on since the sync: --digest still answers what was copied; without it, the source now', async () => {
  const sql = dev.superuser();
  await sql.begin(async (tx) => {
    await tx`set local session_replication_role = replica`;
    await tx`update public.chat_messages set content = 'edited on dev since' where id = (select max(id) from public.chat_messages)`;
  });
  const withDigest = await validate('--digest', synced);
  expect(withDigest.run.code).toBe(0);
  const live = await validate();
  expect(live.run.code).toBe(1);
  expect(live.r!.data.map((d) => d.table)).toEqual(['public.chat_messages']);
});

test('a sync without its digest (not asked for, or unreadable): validate reads the source instead, and says so', async () => {
  const d = dir('no-digest');
  const without = record<SyncResult>(synced, 'sync');
  without.result!.digest = null;
  writeFileSync(path.join(d, 'sync.json'), JSON.stringify(without));
  const { run, r } = await validate('--digest', d);
  expect(run.stdout + run.stderr).toContain(
    "that sync kept no digest of the source (run without --digest, or it could not be read); the source's rows are read instead",
  );
  // The source as it is now, edited since the sync (the test before): read, so found.
  expect(run.code).toBe(1);
  expect(r).toMatchObject({ digest: null, data: [{ table: 'public.chat_messages' }] });
});

test('sync keeps no digest unless asked: the source is read once, by the copy', async () => {
  const d = dir('plain-sync');
  const run = await runInProcess(syncJob, ['--source', 'dev', '--target', 'staging', '--out', d], env());
  expect(run.code).toBe(0);
  expect(record<SyncResult>(d, 'sync').result!.digest).toBeNull();
});

test('bad --digest: one line, exit 2, nothing read', async () => {
  const empty = dir('empty');
  const cases: [string, RegExp][] = [
    [empty, /^error: .*sync\.json does not exist$/m],
    [dir('dry'), /^error: --digest .*: that sync did not commit$/m],
    [dir('damaged'), /^error: --digest .*: the digest in sync.json is damaged$/m],
    [dir('other'), /^error: --digest .* was taken by a sync of other databases/m],
  ];
  const dry = await runInProcess(
    syncJob,
    ['--source', 'dev', '--target', 'staging', '--dry-run', '--out', cases[1]![0]],
    env(),
  );
  expect(dry.code).toBe(0);
  const good = record<SyncResult>(synced, 'sync');
  const damaged = structuredClone(good);
  damaged.result!.digest!.tables[0]!.checksum = 'sha1:whatever';
  writeFileSync(path.join(cases[2]![0], 'sync.json'), JSON.stringify(damaged));
  const other = await supabaseDatabase({ migrations: false });
  const otherEnv = { ...env(), STAGING_DATABASE_URL: other.url };
  writeFileSync(path.join(cases[3]![0], 'sync.json'), JSON.stringify(good));
  for (const [d, message] of cases) {
    const run = await runInProcess(
      validateJob,
      ['--source', 'dev', '--target', 'staging', '--digest', d, '--out', dir('bad')],
      d === cases[3]![0] ? otherEnv : env(),
    );
    expect(run.code).toBe(2);
    expect(run.stderr).toMatch(message);
    expect(run.stderr.trim().split('\n')).toHaveLength(2); // the error and its hint
  }
});
