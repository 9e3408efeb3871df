// deploy-production.yml replayed locally (tests/helpers/workflow/replay.ts) against throwaway
// staging and production clusters: the plan with a read-only role, the deploy behind the one
// approval (verify → backup → migrate → content → validate → health-check), the report. A
// failing health check rolls the content back and leaves users' tables as they were; a plan
// production moved away from is refused before any write; a dry run plans only.
import { cpSync, mkdirSync, readdirSync, readFileSync, symlinkSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { dir } from '../helpers/backups.ts';
import { cleanEnv } from '../helpers/run-script.ts';
import { closeAll, supabaseDatabase, type TestDatabase } from '../helpers/supabase-db.ts';
import { brokenDeploy } from '../helpers/sync.ts';
import { type ReplayReport, replayWorkflow } from '../helpers/workflow/replay.ts';

const repo = path.resolve(import.meta.dirname, '../..');
const KEY = 'replay-backup-key-0123456789abcdef';
const READER_PASSWORD = 'reader-Pw-4-replay';

/** The repository as a checkout of a commit that adds one migration (production has the others). */
function checkoutWithPendingMigration(): string {
  const root = dir('checkout');
  for (const entry of readdirSync(repo))
    if (!['supabase', '.git', 'artifacts', '.env'].includes(entry))
      symlinkSync(path.join(repo, entry), path.join(root, entry));
  mkdirSync(path.join(root, 'supabase'));
  for (const entry of readdirSync(path.join(repo, 'supabase')))
    if (entry !== 'migrations')
      symlinkSync(path.join(repo, 'supabase', entry), path.join(root, 'supabase', entry));
  cpSync(path.join(repo, 'supabase/migrations'), path.join(root, 'supabase/migrations'), { recursive: true });
  writeFileSync(
    path.join(root, 'supabase/migrations/20250601000000_spot_rating.sql'),
    'alter table public.tourist_spots add column rating smallint;\n',
  );
  return root;
}

let staging: TestDatabase;
let production: TestDatabase;
let checkout: string;
beforeAll(() => {
  checkout = checkoutWithPendingMigration();
});
beforeEach(async () => {
  [staging, production] = await Promise.all([supabaseDatabase({ scale: 1 }), supabaseDatabase({ scale: 1 })]);
  const s = staging.app();
  await s`update public.tourist_spots set title = title || ' (new)' where id <= 20`;
  await s.end();
  // The plan job's role: reads everything, writes nothing.
  const su = production.superuser();
  await su.unsafe(`create role envsync_reader login bypassrls password '${READER_PASSWORD}';
                   grant pg_read_all_data to envsync_reader;`);
  await su.end();
});
afterAll(closeAll);

const readerUrl = (db: TestDatabase) => {
  const u = new URL(db.url);
  u.username = 'envsync_reader';
  u.password = READER_PASSWORD;
  return u.toString();
};

function replay(root: string, o: { dryRun?: boolean; healthUrl?: string; planFrom?: TestDatabase } = {}) {
  return replayWorkflow({
    workflow: path.join(checkout, '.github/workflows/deploy-production.yml'),
    repo: checkout,
    root,
    eventName: 'workflow_dispatch',
    inputs: { dry_run: o.dryRun ?? false, allow_drift: false },
    secrets: {
      PRODUCTION_DATABASE_URL: production.url,
      PRODUCTION_READONLY_DATABASE_URL: readerUrl(o.planFrom ?? production),
      STAGING_DATABASE_URL: staging.url,
      BACKUP_ENCRYPTION_KEY: KEY,
    },
    vars: o.healthUrl ? { PRODUCTION_HEALTH_URL: o.healthUrl } : {},
    env: cleanEnv(),
  });
}

const results = (r: ReplayReport) => Object.fromEntries(r.jobs.map((j) => [j.id, j.result]));
const job = (r: ReplayReport, id: string) => r.jobs.find((j) => j.id === id)!;
const deploySteps = (r: ReplayReport) =>
  Object.fromEntries(
    job(r, 'deploy')
      .steps.filter((s) => s.skipped !== 'github-only')
      .map((s) => [s.step, s.outcome]),
  );
async function rows(db: TestDatabase, sql: string) {
  const su = db.superuser();
  try {
    return [...(await su.unsafe(sql))];
  } finally {
    await su.end();
  }
}
/** The users' tables of the demo app, as checksums: what a deploy must never write. */
const usersTables = (db: TestDatabase) =>
  rows(
    db,
    `select (select md5(string_agg(r::text, ',' order by r.id)) from public.guest_reservations r) as reservations,
            (select md5(string_agg(x::text, ',' order by x.id)) from public.reservation_extras x) as extras,
            (select md5(string_agg(u::text, ',' order by u.id)) from auth.users u) as users`,
  );
const titles = (db: TestDatabase) =>
  rows(db, 'select id, title from public.tourist_spots where id <= 25 order by id');

test('the happy path: planned read-only, approved once, verified, backed up, migrated, content promoted, validated, healthy', async () => {
  const root = dir('deploy-ok');
  const users = await usersTables(production);
  const r = await replay(root);
  expect(results(r)).toEqual({ plan: 'success', deploy: 'success', report: 'success' });
  // The one approval: only deploy runs in environment production.
  expect(r.jobs.map((j) => [j.id, j.environment])).toEqual([
    ['plan', 'production-plan'],
    ['deploy', 'production'],
    ['report', null],
  ]);
  expect(deploySteps(r)).toMatchObject({
    'verify the approved plan': 'success',
    'back up production (verified, encrypted)': 'success',
    'apply the pending migrations in one transaction': 'success',
    'promote the content (its proof, its snapshot)': 'success',
    "validate the content and the users' tables against the manifest": 'success',
    'health check of production': 'success',
    'roll the content back from its snapshot': 'skipped',
  });
  expect(job(r, 'plan').summary).toContain('**To deploy:** 1 pending migration, 20 content row(s)');
  expect(job(r, 'deploy').outputs).toMatchObject({ migrate_applied: '1', content_changed_rows: '20' });
  expect(r.artifacts.find((a) => a.name === 'backup')).toMatchObject({ job: 'deploy', retentionDays: 30 });
  expect(job(r, 'report').summary).toContain(
    '**Deployed, validated, healthy.** 1 migration(s) applied, 20 content row(s) promoted',
  );
  expect(await titles(production)).toEqual(await titles(staging));
  expect(
    await rows(production, "select 1 from information_schema.columns where column_name = 'rating'"),
  ).toHaveLength(1);
  expect(await usersTables(production)).toEqual(users);
  for (const db of [staging, production]) expect(r.log.join('\n')).not.toContain(db.password);
  expect(r.log.join('\n')).not.toContain(READER_PASSWORD);
});

test('a failing health check after the content committed: content rolled back, users’ tables untouched, the migration stays with its restore command', async () => {
  const app = await brokenDeploy();
  try {
    const root = dir('deploy-unhealthy');
    const [users, before] = [await usersTables(production), await titles(production)];
    const r = await replay(root, { healthUrl: app.url });
    expect(results(r)).toEqual({ plan: 'success', deploy: 'failure', report: 'failure' });
    expect(deploySteps(r)).toMatchObject({
      'health check of production': 'failure',
      'roll the content back from its snapshot': 'success',
      'how to restore production by hand': 'success',
    });
    expect(await titles(production)).toEqual(before);
    expect(await usersTables(production)).toEqual(users);
    expect(job(r, 'deploy').summary).toContain('gh workflow run restore-production.yml -f run_id=');
    expect(job(r, 'report').summary).toContain(
      '**Stopped at health-check.** The content had committed: **it was rolled back to its snapshot**',
    );
    expect(job(r, 'report').outputs).toMatchObject({ ok: 'false', rolled_back: 'true' });
  } finally {
    app.close();
  }
});

test('a plan production moved away from is refused before any write; a dry run plans only', async () => {
  // The approver read a plan of a production that differs from the one the deploy finds.
  const elsewhere = await supabaseDatabase({ scale: 1 });
  const su = elsewhere.superuser();
  await su.unsafe(`create role envsync_reader login bypassrls password '${READER_PASSWORD}';
                   grant pg_read_all_data to envsync_reader;
                   update public.tourist_spots set body = 'another production' where id = 30;`);
  await su.end();
  const before = await titles(production);
  const moved = await replay(dir('deploy-moved'), { planFrom: elsewhere });
  expect(results(moved)).toEqual({ plan: 'success', deploy: 'failure', report: 'failure' });
  expect(deploySteps(moved)).toMatchObject({
    'verify the approved plan': 'failure',
    'back up production (verified, encrypted)': 'skipped',
    'apply the pending migrations in one transaction': 'skipped',
  });
  expect(job(moved, 'deploy').summary).toContain('**Refused: production moved since the plan was approved**');
  expect(await titles(production)).toEqual(before);
  expect(
    await rows(production, "select 1 from information_schema.columns where column_name = 'rating'"),
  ).toEqual([]);

  const dry = await replay(dir('deploy-dry'), { dryRun: true });
  expect(results(dry)).toEqual({ plan: 'success', deploy: 'skipped', report: 'success' });
  expect(job(dry, 'report').summary).toContain('**Dry run: planned, nothing deployed.**');
  expect(readFileSync(path.join(repo, '.github/workflows/deploy-production.yml'), 'utf8')).toContain(
    'environment: production\n',
  );
});
