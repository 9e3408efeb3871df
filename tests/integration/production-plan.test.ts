// production-plan on real databases: the approver's plan (a pending migration with its lint,
// drift against the applied migrations, the content to promote) and its hash; --verify refusing
// a production that moved, a plan from another commit, and a drifted production.
import { cpSync, mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { repoRoot } from '../../scripts/lib/cli/env-file.ts';
import { productionPlanJob } from '../../scripts/lib/jobs/production-plan.ts';
import type { JobRecord } from '../../scripts/lib/results/job-record.ts';
import type { ProductionPlanResult } from '../../scripts/lib/results/production-plan.ts';
import { cleanEnv, runInProcess } from '../helpers/run-script.ts';
import { closeAll, supabaseDatabase, type TestDatabase } from '../helpers/supabase-db.ts';

afterAll(closeAll);

const tmp = () => mkdtempSync(path.join(os.tmpdir(), 'envsync-plan-'));
/** The demo's migrations plus one not yet on production. */
function migrationsWithPending(
  sql = 'alter table public.tourist_spots add column rating smallint;\n',
): string {
  const dir = path.join(tmp(), 'migrations');
  cpSync(path.join(repoRoot, 'supabase/migrations'), dir, { recursive: true });
  writeFileSync(path.join(dir, '20250601000000_spot_rating.sql'), sql);
  return dir;
}

let staging: TestDatabase;
let production: TestDatabase;
beforeEach(async () => {
  [staging, production] = await Promise.all([supabaseDatabase({ scale: 1 }), supabaseDatabase({ scale: 1 })]);
  // Production's catalogue is behind: two spots retitled on staging.
  const s = staging.app();
  await s`update public.tourist_spots set title = title || ' (new)' where id in (3, 4)`;
  await s.end();
});

const plan = async (args: string[], extraEnv: Record<string, string> = {}, out = tmp()) => {
  const r = await runInProcess(
    productionPlanJob,
    ['--target', 'production', '--source', 'staging', '--out', out, ...args],
    cleanEnv({ STAGING_DATABASE_URL: staging.url, PRODUCTION_DATABASE_URL: production.url, ...extraEnv }),
  );
  const record = JSON.parse(
    readFileSync(path.join(out, 'production-plan.json'), 'utf8'),
  ) as JobRecord<ProductionPlanResult>;
  return { ...r, out, record, result: record.result! };
};

test('the plan: the pending migration with its lint, no drift, the content to promote, a hash; --verify passes while nothing moves', async () => {
  const dir = migrationsWithPending();
  const made = await plan(['--dir', dir]);
  expect(made.stderr).toBe('');
  expect(made.code).toBe(0);
  const r = made.result;
  expect(r.pending.map((p) => p.file)).toEqual(['20250601000000_spot_rating.sql']);
  expect(r.pending[0]!.sha256).toMatch(/^[0-9a-f]{64}$/);
  expect(r.drift).toMatchObject({ checked: true, drifted: false, differences: [] });
  expect(r.content!.tables.find((t) => t.table === 'public.tourist_spots')).toMatchObject({
    new: 0,
    changed: 2,
  });
  expect(r.refused).toEqual([]);
  expect(r.changes).toBe(true);
  expect(r.hash).toMatch(/^sha256:[0-9a-f]{64}$/);
  const md = readFileSync(path.join(made.out, 'summary.md'), 'utf8');
  expect(md).toContain('**To deploy:** 1 pending migration, 2 content row(s)');
  expect(md).toContain('| `20250601000000_spot_rating.sql` |');
  // Each step left its own artifacts.
  for (const step of ['migration-status', 'lint-migrations', 'drift', 'content-sync'])
    expect(readFileSync(path.join(made.out, step, 'summary.md'), 'utf8')).toContain('## envsync');

  const verified = await plan(['--dir', dir, '--verify', made.out]);
  expect(verified.code).toBe(0);
  expect(verified.result.verified).toEqual({ plan: made.out, hash: r.hash, equal: true, differs: [] });
});

test('--verify refuses a production that moved since the approval (content, then the pending file), exit 1', async () => {
  const dir = migrationsWithPending();
  const made = await plan(['--dir', dir]);
  expect(made.code).toBe(0);
  const p = production.app();
  await p`update public.tourist_spots set body = 'edited by hand' where id = 9`;
  await p.end();
  const moved = await plan(['--dir', dir, '--verify', made.out]);
  expect(moved.code).toBe(1);
  expect(moved.result.verified).toMatchObject({
    equal: false,
    differs: ['the content to promote (either side moved)'],
  });
  expect(moved.stdout + moved.stderr).toMatch(/production moved since the plan was approved/);

  writeFileSync(
    path.join(dir, '20250601000000_spot_rating.sql'),
    'alter table public.tourist_spots add column rating int;\n',
  );
  const edited = await plan(['--dir', dir, '--verify', made.out]);
  expect(edited.result.verified!.differs).toContain('the pending migrations (or their files)');
});

test('an unreachable production is bad input for the plan as for its steps: exit 2, one line, no password', async () => {
  const out = tmp();
  const r = await runInProcess(
    productionPlanJob,
    ['--target', 'production', '--source', 'staging', '--connect-timeout', '2', '--out', out],
    cleanEnv({
      STAGING_DATABASE_URL: staging.url,
      PRODUCTION_DATABASE_URL: 'postgres://postgres:Secret-pw-9@127.0.0.1:1/postgres',
    }),
  );
  expect(r.code).toBe(2);
  expect(r.stderr.split('\n')[0]).toMatch(
    /^error: migration-status exited 2: --db postgres:\/\/postgres@127\.0\.0\.1:1\/postgres: connection refused/,
  );
  expect(r.stdout + r.stderr + readFileSync(path.join(out, 'production-plan.json'), 'utf8')).not.toContain(
    'Secret-pw-9',
  );
});

test('a plan made for another commit is refused before anything is read: exit 2', async () => {
  const made = await plan(['--dir', migrationsWithPending()], {
    GITHUB_SHA: 'a'.repeat(40),
    GITHUB_RUN_ID: '7',
  });
  expect(made.code).toBe(0);
  const out = tmp();
  const r = await runInProcess(
    productionPlanJob,
    ['--target', 'production', '--source', 'staging', '--verify', made.out, '--out', out],
    cleanEnv({
      STAGING_DATABASE_URL: staging.url,
      PRODUCTION_DATABASE_URL: production.url,
      GITHUB_SHA: 'b'.repeat(40),
      GITHUB_RUN_ID: '7',
    }),
  );
  expect(r.code).toBe(2);
  expect(r.stderr.split('\n')[0]).toBe(
    `error: ${path.join(made.out, 'production-plan.json')} was made for commit ${'a'.repeat(40)}, not this one (${'b'.repeat(40)})`,
  );
});

test('a drifted production is not deployable unless allowed; a lint error in a pending file is not either', async () => {
  const su = production.superuser();
  await su.unsafe('alter table public.amenities add column hand_made text');
  await su.end();
  const drifted = await plan(['--dir', migrationsWithPending()]);
  expect(drifted.code).toBe(1);
  expect(drifted.result.drift.differences).toEqual(['table public.amenities: differs']);
  expect(drifted.result.refused).toEqual([
    'production has drifted from its applied migrations (1 difference(s))',
  ]);
  const allowed = await plan(['--dir', migrationsWithPending(), '--allow-drift']);
  expect(allowed.code).toBe(0);
  expect(allowed.stdout).toContain('production has drifted; deploying anyway (--allow-drift)');

  const dropping = await plan([
    '--dir',
    migrationsWithPending('drop table public.saved_spots;\n'),
    '--allow-drift',
  ]);
  expect(dropping.code).toBe(1);
  expect(dropping.result.refused).toEqual(['20250601000000_spot_rating.sql:1: drop-table (lint error)']);
});
