// The whole path, end to end: a production-like source with a Database Webhook and a pg_cron job
// that both call production's endpoint (a local HTTP server records every call), synced into
// staging by `sync`. Masking is forced (the source is production), so the copy is neutralized in
// the sync's own transaction: the webhook does not fire on staging, the copied job never runs
// there — while the same webhook and job on the source do (the controls). Real pg_cron (one
// minute tick), webhooks that really send HTTP (tests/fixtures/side-effects). cron.job is copied
// only through a superuser connection: on Supabase `postgres` may only read it.

import { writeFileSync } from 'node:fs';
import path from 'node:path';
import { syncJob } from '../../scripts/lib/jobs/sync.ts';
import type { SyncResult } from '../../scripts/lib/results/sync.ts';
import { dir, record } from '../helpers/backups.ts';
import { cleanEnv, runInProcess } from '../helpers/run-script.ts';
import {
  type CallOutDatabase,
  callOutDatabase,
  type RecordingServer,
  recordingServer,
} from '../helpers/side-effects.ts';
import { until } from '../helpers/wait.ts';

let production: CallOutDatabase;
let staging: CallOutDatabase;
let server: RecordingServer;
let sync: SyncResult;

beforeAll(async () => {
  [production, staging, server] = await Promise.all([
    callOutDatabase(),
    callOutDatabase(),
    recordingServer(),
  ]);
  const su = production.superuser();
  try {
    await su.unsafe(`
      create table public.orders (id int primary key, note text);
      grant all on public.orders to postgres;
      create trigger orders_webhook after insert on public.orders for each row
        execute function supabase_functions.http_request('${server.base}/prod/orders', 'POST', '{"Content-Type":"application/json"}', '{}', '1000');`);
    await su`select cron.schedule('prod-ping', '* * * * *', ${`select net.http_post('${server.base}/prod/cron')`})`;
  } finally {
    await su.end();
  }
  const config = path.join(dir('side-effects-config'), 'envsync.yaml');
  writeFileSync(config, 'masking:\n  personal: []\n  rules: {}\n');
  const out = dir('side-effects-sync');
  const run = await runInProcess(
    syncJob,
    [
      '--source',
      'production',
      '--target',
      'staging',
      '--platform-tables',
      'auth.users,auth.identities,supabase_migrations.schema_migrations,cron.job',
      '--config',
      config,
      '--out',
      out,
    ],
    cleanEnv({
      PRODUCTION_DATABASE_URL: production.cluster.superuserUrl(),
      STAGING_DATABASE_URL: staging.cluster.superuserUrl(),
    }),
  );
  expect(run.stderr).toBe('');
  expect(run.code).toBe(0);
  sync = record<SyncResult>(out, 'sync').result!;
}, 120_000);

afterAll(async () => {
  await server?.close();
  await Promise.all([production?.cluster.destroy(), staging?.cluster.destroy()]);
});

const calls = (p: string) => server.received.filter((r) => r.path.startsWith(p)).length;

test('the sync says what it neutralized, forced because the source is production', () => {
  expect(sync.masking!.reason).toMatch(/^the source is production/);
  expect(sync.neutralized.map((n) => [n.kind, n.action])).toEqual(
    expect.arrayContaining([
      ['webhook', 'disabled'],
      ['cron', 'disabled'],
    ]),
  );
});

test('the webhook copied to staging does not fire; the same webhook on production does', async () => {
  const [s, p] = [staging.superuser(), production.superuser()];
  try {
    await s`insert into public.orders values (1, 'on staging')`;
    expect(calls('/prod/orders')).toBe(0);
    await p`insert into public.orders values (2, 'on production')`;
    expect(await until(() => calls('/prod/orders') === 1, 10_000)).toBe(true);
    const [{ enabled }] = (await s`
      select tgenabled as enabled from pg_trigger where tgname = 'orders_webhook'`) as unknown as [
      { enabled: string },
    ];
    expect(enabled).toBe('D');
  } finally {
    await Promise.all([s.end(), p.end()]);
  }
});

test('the cron job copied to staging never runs; on production it runs at the next minute', async () => {
  const [s, p] = [staging.superuser(), production.superuser()];
  try {
    const [copied] = await s`select jobname, active from cron.job where jobname = 'prod-ping'`;
    expect(copied).toMatchObject({ jobname: 'prod-ping', active: false });
    const runs = async (db: typeof s) =>
      Number((await db`select count(*) as n from cron.job_run_details`)[0]!.n);
    // The control: production's job runs at the next minute tick (pg_cron 1.4 ticks by the minute).
    expect(await until(async () => (await runs(p)) > 0, 75_000, 500)).toBe(true);
    // Both schedulers share the wall clock: that tick has passed on staging too.
    await new Promise((r) => setTimeout(r, 3000));
    expect(await runs(s)).toBe(0);
    expect(await until(() => calls('/prod/cron') >= 1, 10_000)).toBe(true);
    expect(calls('/prod/cron')).toBe(await runs(p));
  } finally {
    await Promise.all([s.end(), p.end()]);
  }
}, 100_000);
