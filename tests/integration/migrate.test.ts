// migrate and migration-status against the real Supabase CLI (supabase@2.117.0): a history
// written by either tool is the other's, and envsync is safer where the CLI is not — one
// transaction, a lock, lock timeouts, edited files, non-transactional statements, a real dry run.
import { execFile } from 'node:child_process';
import { cpSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { promisify } from 'node:util';
import postgres from 'postgres';
import { repoRoot } from '../../scripts/lib/cli/env-file.ts';
import { MIGRATE_LOCK_KEY, migrateJob } from '../../scripts/lib/jobs/migrate.ts';
import { migrationStatusJob } from '../../scripts/lib/jobs/migration-status.ts';
import { newMigrationJob } from '../../scripts/lib/jobs/new-migration.ts';
import type { JobRecord } from '../../scripts/lib/results/job-record.ts';
import type { MigrateResult } from '../../scripts/lib/results/migrate.ts';
import type { MigrationStatusResult } from '../../scripts/lib/results/migration-status.ts';
import { cleanEnv, runInProcess } from '../helpers/run-script.ts';
import { closeAll, supabaseDatabase, type TestDatabase, withUrl } from '../helpers/supabase-db.ts';
import { schemaDump } from '../helpers/sync.ts';

const run = promisify(execFile);
const supabaseCli = path.join(repoRoot, 'node_modules', '.bin', 'supabase');
const demoMigrations = path.join(repoRoot, 'supabase', 'migrations');

let byCli: TestDatabase;
let byEnvsync: TestDatabase;
let scratch: TestDatabase;
beforeAll(async () => {
  [byCli, byEnvsync, scratch] = await Promise.all([
    supabaseDatabase({ migrations: false }),
    supabaseDatabase({ migrations: false }),
    supabaseDatabase({ migrations: false }),
  ]);
});
afterAll(closeAll);

const tmp = () => mkdtempSync(path.join(os.tmpdir(), 'envsync-migrate-'));
const noTls = (url: string) => `${url}${url.includes('?') ? '&' : '?'}sslmode=disable`;
const env = () => cleanEnv();
const record = <R>(dir: string, job: string) =>
  (JSON.parse(readFileSync(path.join(dir, `${job}.json`), 'utf8')) as JobRecord<R>).result!;

/** A project directory the CLI can work in, holding `files` (or a copy of the demo's migrations). */
function project(files?: Record<string, string>): { root: string; migrations: string } {
  const root = tmp();
  const migrations = path.join(root, 'supabase', 'migrations');
  mkdirSync(migrations, { recursive: true });
  if (files)
    for (const [name, text] of Object.entries(files)) writeFileSync(path.join(migrations, name), text);
  else cpSync(demoMigrations, migrations, { recursive: true });
  return { root, migrations };
}

const cli = (cwd: string, args: string[]) =>
  run(supabaseCli, args, {
    cwd,
    env: { ...process.env, DO_NOT_TRACK: '1', SUPABASE_TELEMETRY_DISABLED: '1' },
  });

async function history(db: TestDatabase) {
  const sql = db.superuser();
  try {
    const [t] = await sql`select to_regclass('supabase_migrations.schema_migrations') is not null as present`;
    if (!t!.present) return [];
    return [
      ...(await sql`select version, name, statements from supabase_migrations.schema_migrations order by version`),
    ];
  } finally {
    await sql.end();
  }
}

const migrate = (db: TestDatabase, args: string[]) =>
  runInProcess(migrateJob, ['--db', noTls(db.url), ...args], env());

describe('with the Supabase CLI', () => {
  let cliProject: { root: string; migrations: string };
  beforeAll(async () => {
    cliProject = project();
    await cli(cliProject.root, ['db', 'push', '--db-url', noTls(byCli.url), '--yes']);
  });

  test('files pushed by supabase db push are applied for migration-status and skipped by migrate', async () => {
    const d = tmp();
    const status = await runInProcess(
      migrationStatusJob,
      ['--db', noTls(byCli.url), '--dir', cliProject.migrations, '--out', d],
      env(),
    );
    expect(status.code).toBe(0);
    const r = record<MigrationStatusResult>(d, 'migration-status');
    expect(r.rows.map((x) => x.states[0])).toEqual(readdirSync(demoMigrations).map(() => 'applied'));
    const m = tmp();
    const again = await migrate(byCli, ['--dir', cliProject.migrations, '--out', m]);
    expect(again.code).toBe(0);
    expect(record<MigrateResult>(m, 'migrate').applied).toEqual([]);
  });

  test('files applied by migrate are applied for the CLI: migration list agrees and db push finds nothing to push', async () => {
    const p = project();
    const applied = await migrate(byEnvsync, ['--dir', p.migrations, '--out', tmp()]);
    expect(applied.stderr).toBe('');
    expect(applied.code).toBe(0);
    const list = await cli(p.root, ['migration', 'list', '--db-url', noTls(byEnvsync.url)]);
    for (const f of readdirSync(demoMigrations)) {
      const version = f.split('_')[0]!;
      // Local and remote columns both carry the version.
      expect(list.stdout).toMatch(new RegExp(`${version}\\W+\\|\\W+${version}`));
    }
    const dry = await cli(p.root, ['db', 'push', '--dry-run', '--db-url', noTls(byEnvsync.url)]);
    expect(`${dry.stdout}${dry.stderr}`).toMatch(/up to date/i);
  });

  test('the two databases have the same schema and byte-for-byte the same history', async () => {
    expect(schemaDump(byEnvsync, ['public', 'hotels'])).toBe(schemaDump(byCli, ['public', 'hotels']));
    expect(await history(byEnvsync)).toEqual(await history(byCli));
  });
});

test('a database the demo fixture migrated is up to date for migrate: the fixture records as the CLI does', async () => {
  const db = await supabaseDatabase();
  const d = tmp();
  const r = await runInProcess(
    migrateJob,
    ['--db', noTls(db.url), '--dir', demoMigrations, '--out', d],
    env(),
  );
  expect(r.stderr).toBe('');
  expect(r.code).toBe(0);
  expect(record<MigrateResult>(d, 'migrate').status.map((s) => s.state)).toEqual(
    readdirSync(demoMigrations).map(() => 'applied'),
  );
});

describe('safer than the CLI', () => {
  // Each test its own database: a history one test leaves is not another's.
  beforeEach(async () => {
    scratch = await supabaseDatabase({ migrations: false });
  });

  const files = {
    '20260101000000_one.sql': 'create table public.m_one (id int primary key);\n',
    '20260102000000_two.sql': 'alter table public.m_one add column label text;\n',
  };

  test('all pending files in ONE transaction: a failing third file leaves nothing of the first two', async () => {
    const p = project({
      ...files,
      '20260103000000_three.sql': 'select 1;\n\nalter table public.no_such add column x int;\n',
    });
    const before = await history(scratch);
    const r = await migrate(scratch, ['--dir', p.migrations, '--out', tmp()]);
    expect(r.code).toBe(1);
    expect(r.stderr.split('\n')[0]).toBe(
      'error: 20260103000000_three.sql:3: relation "public.no_such" does not exist (SQLSTATE 42P01)',
    );
    expect(await history(scratch)).toEqual(before);
    const sql = scratch.superuser();
    const [t] = await sql`select to_regclass('public.m_one') as t`;
    await sql.end();
    expect(t!.t).toBeNull();
  });

  test('a second run waits a bounded time for the first and names it; nothing applied', async () => {
    const p = project(files);
    const holder = scratch.superuser();
    await holder`select pg_advisory_lock(${MIGRATE_LOCK_KEY.toString()}::int8)`;
    const [{ pid }] = (await holder`select pg_backend_pid() as pid`) as unknown as [{ pid: number }];
    try {
      const r = await migrate(scratch, ['--dir', p.migrations, '--wait', '1s', '--out', tmp()]);
      expect(r.code).toBe(1);
      expect(r.stderr).toContain(`another migrate run holds`);
      expect(r.stderr).toContain(`pid ${pid}`);
    } finally {
      await holder.end();
    }
    expect((await history(scratch)).map((h) => h.version)).not.toContain('20260101000000');
  });

  test('a lock timeout is retried, then fails with nothing applied', async () => {
    const p = project({ '20260104000000_lock.sql': 'alter table public.guarded add column y int;\n' });
    const owner = scratch.app();
    await owner`create table public.guarded (x int)`;
    const blocker = postgres(scratch.url, { max: 1, onnotice: () => {} });
    await blocker.unsafe('begin');
    await blocker.unsafe('lock table public.guarded in access share mode');
    try {
      const r = await migrate(scratch, [
        '--dir',
        p.migrations,
        '--lock-timeout',
        '200ms',
        '--lock-retries',
        '1',
        '--out',
        tmp(),
      ]);
      expect(r.code).toBe(1);
      expect(r.stderr).toContain('was not granted within 200 ms, 2 time(s)');
      expect(r.stdout).toContain('lock timeout');
    } finally {
      await blocker.unsafe('rollback');
      await blocker.end();
    }
    const [c] =
      await owner`select count(*)::int as n from information_schema.columns where table_name = 'guarded' and column_name = 'y'`;
    await owner.end();
    expect(c!.n).toBe(0);
  });

  test('a file that cannot run in a transaction runs on its own, its history row after it', async () => {
    const p = project({
      '20260105000000_table.sql': 'create table public.ix_host (id int, v text);\n',
      '20260106000000_index.sql': 'create index concurrently ix_host_v on public.ix_host (v);\n',
    });
    const d = tmp();
    const r = await migrate(scratch, ['--dir', p.migrations, '--out', d]);
    expect(r.stderr).toBe('');
    expect(r.code).toBe(0);
    const result = record<MigrateResult>(d, 'migrate');
    expect(result.groups.map((g) => [g.files, g.transaction])).toEqual([
      [['20260105000000_table.sql'], true],
      [['20260106000000_index.sql'], false],
    ]);
    expect(result.groups[1]!.reason).toContain('IndexStmt cannot run inside a transaction block');
    expect((await history(scratch)).map((h) => h.version)).toEqual(
      expect.arrayContaining(['20260105000000', '20260106000000']),
    );
  });

  test('an applied file edited later is refused, reported by migration-status, and passes with --allow-edited', async () => {
    const p = project({ '20260107000000_edited.sql': 'create table public.was_edited (id int);\n' });
    expect((await migrate(scratch, ['--dir', p.migrations, '--out', tmp()])).code).toBe(0);
    writeFileSync(
      path.join(p.migrations, '20260107000000_edited.sql'),
      'create table public.was_edited (id bigint);\n',
    );
    const r = await migrate(scratch, ['--dir', p.migrations, '--out', tmp()]);
    expect(r.code).toBe(1);
    expect(r.stderr).toContain('applied migrations edited since: 20260107000000_edited.sql');
    const s = await runInProcess(
      migrationStatusJob,
      ['--db', noTls(scratch.url), '--dir', p.migrations, '--out', tmp()],
      env(),
    );
    expect(s.code).toBe(1);
    expect(s.stderr).toContain('edited');
    expect((await migrate(scratch, ['--dir', p.migrations, '--allow-edited', '--out', tmp()])).code).toBe(0);
  });

  test('--dry-run really runs the files: it catches an error, and otherwise reports the changes and applies nothing', async () => {
    const bad = project({
      '20260108000000_bad.sql': "create table public.dry (id int);\ninsert into public.dry values ('x');\n",
    });
    const failed = await migrate(scratch, ['--dir', bad.migrations, '--dry-run', '--out', tmp()]);
    expect(failed.code).toBe(1);
    expect(failed.stderr).toContain('20260108000000_bad.sql:2: invalid input syntax for type integer');
    const good = project({ '20260108000000_good.sql': 'create table public.dry (id int);\n' });
    const d = tmp();
    const ok = await migrate(scratch, ['--dir', good.migrations, '--dry-run', '--out', d]);
    expect(ok.code).toBe(0);
    expect(record<MigrateResult>(d, 'migrate').changes).toEqual(
      expect.arrayContaining([{ kind: 'table', object: 'public.dry', change: 'created' }]),
    );
    expect((await history(scratch)).map((h) => h.version)).not.toContain('20260108000000');
  });

  test('--dry-run names a statement it cannot rehearse in a transaction instead of failing on it', async () => {
    const p = project({
      '20260108000000_table.sql': 'create table public.dry2 (id int, v text);\n',
      '20260108100000_index.sql':
        '-- the index is built without blocking writes\ncreate index concurrently dry2_v on public.dry2 (v);\n',
    });
    const d = tmp();
    const r = await migrate(scratch, ['--dir', p.migrations, '--dry-run', '--out', d]);
    expect(r.stderr).toBe('');
    expect(r.code).toBe(0);
    expect(record<MigrateResult>(d, 'migrate').applied[1]!.notRehearsed).toEqual([
      { line: 1, reason: 'cannot run inside the rehearsal’s transaction' },
    ]);
  });
});

describe('bad input: one line, exit 2, nothing applied', () => {
  test.each([
    [
      'a missing --dir',
      () => ['--dir', '/nonexistent/migrations'],
      /^error: --dir \/nonexistent\/migrations is not a readable directory/,
    ],
    [
      'a file that does not parse',
      () => [
        '--dir',
        project({ '20260109000000_typo.sql': 'create table public.t (id int);\ncreat table x ();\n' })
          .migrations,
      ],
      /^error: 20260109000000_typo\.sql:2:1: syntax error at or near "creat"/,
    ],
    [
      'two files with one version',
      () => [
        '--dir',
        project({ '20260110000000_a.sql': 'select 1;', '20260110000000_b.sql': 'select 2;' }).migrations,
      ],
      /^error: two migrations have version 20260110000000/,
    ],
  ])('%s', async (_, args, message) => {
    const before = await history(scratch);
    const r = await migrate(scratch, [...args(), '--out', tmp()]);
    expect(r.code).toBe(2);
    expect(r.stderr.split('\n')[0]).toMatch(message);
    expect(await history(scratch)).toEqual(before);
  });
});

test('a history table of another shape: one line, exit 2, nothing applied', async () => {
  const db = await supabaseDatabase({ migrations: false });
  const admin = db.superuser();
  await admin.unsafe(`
    create schema if not exists supabase_migrations;
    create table if not exists supabase_migrations.schema_migrations (version text primary key);
    alter table supabase_migrations.schema_migrations add column applied_by text not null`);
  await admin.end();
  const p = project({ '20260112000000_t.sql': 'create table public.shape (id int);\n' });
  const r = await runInProcess(
    migrateJob,
    ['--db', noTls(db.url), '--dir', p.migrations, '--out', tmp()],
    env(),
  );
  expect(r.code).toBe(2);
  expect(r.stderr.split('\n')[0]).toBe(
    'error: supabase_migrations.schema_migrations has an unexpected shape: applied_by is NOT NULL without a default (an insert by the CLI or envsync would fail)',
  );
  expect(await history(db)).toEqual([]);
});

test('a role that may not create the history: one line, exit 2, nothing applied', async () => {
  const db = await supabaseDatabase({ migrations: false });
  const admin = db.superuser();
  await admin.unsafe(`create role no_history login password 'no-history-pw'`);
  await admin.end();
  const p = project({ '20260111000000_t.sql': 'select 1;\n' });
  const url = noTls(withUrl(db.url, { user: 'no_history', password: 'no-history-pw' }));
  const r = await runInProcess(migrateJob, ['--db', url, '--dir', p.migrations, '--out', tmp()], env());
  expect(r.code).toBe(2);
  expect(r.stderr.split('\n')[0]).toMatch(
    /^error: the connecting role may not read the migration history supabase_migrations\.schema_migrations \(permission denied for schema supabase_migrations\)/,
  );
  expect(await history(scratch)).toEqual([]);
});

test('--repair writes and deletes history rows as supabase migration repair does, and the CLI agrees', async () => {
  const db = await supabaseDatabase({ migrations: false });
  const p = project({
    '20260113000000_a.sql': 'create table public.rep_a (id int);\n',
    '20260114000000_b.sql': '-- b\ncreate table public.rep_b (id int);\n',
  });
  const marked = await migrate(db, [
    '--dir',
    p.migrations,
    '--repair',
    'applied',
    '--version',
    '20260114000000',
    '--out',
    tmp(),
  ]);
  expect(marked.code).toBe(0);
  // As the CLI's repair: the row with the file's statements, nothing run.
  expect(await history(db)).toEqual([
    { version: '20260114000000', name: 'b', statements: ['-- b\ncreate table public.rep_b (id int)'] },
  ]);
  const list = await cli(p.root, ['migration', 'list', '--db-url', noTls(db.url)]);
  expect(list.stdout).toMatch(/20260114000000\W+\|\W+20260114000000/);
  const reverted = await migrate(db, [
    '--dir',
    p.migrations,
    '--repair',
    'reverted',
    '--version',
    '20260114000000',
    '--out',
    tmp(),
  ]);
  expect(reverted.code).toBe(0);
  expect(await history(db)).toEqual([]);
});

test('production needs --allow-production, as for every job that writes', async () => {
  const db = await supabaseDatabase({ migrations: false });
  const p = project({ '20260115000000_p.sql': 'select 1;\n' });
  const r = await runInProcess(
    migrateJob,
    ['--db', 'production', '--dir', p.migrations, '--out', tmp()],
    cleanEnv({ PRODUCTION_DATABASE_URL: noTls(db.url) }),
  );
  expect(r.code).toBe(2);
  expect(r.stderr.split('\n')[0]).toMatch(
    /^error: --db .* is production \(it is named production\): migrate writes to it$/,
  );
  expect(await history(db)).toEqual([]);
});

describe('new-migration', () => {
  test('names the file with a 14-digit UTC version after every local one; refuses a bad name or a clash', async () => {
    const p = project({ '29990101000000_future.sql': 'select 1;' });
    const d = tmp();
    const r = await runInProcess(
      newMigrationJob,
      ['--name', 'add_rates', '--dir', p.migrations, '--out', d],
      env(),
    );
    expect(r.code).toBe(0);
    expect(readdirSync(p.migrations)).toEqual(['29990101000000_future.sql', '29990101000001_add_rates.sql']);
    const bad = await runInProcess(newMigrationJob, ['--name', 'add rates!', '--dir', p.migrations], env());
    expect(bad.code).toBe(2);
    const clash = await runInProcess(newMigrationJob, ['--name', 'add_rates', '--dir', p.migrations], env());
    expect(clash.code).toBe(2);
    expect(clash.stderr).toContain('a migration named add_rates exists already');
  });
});
