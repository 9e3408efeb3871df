// drift on real databases: an environment built from the demo migrations has none; hand changes
// are found, exactly; two environments compared; plpgsql_check finds a faulty function body;
// the environments are only read; the throwaway cluster never outlives a run; bad input.

import { cpSync, mkdtempSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { repoRoot } from '../../scripts/lib/cli/env-file.ts';
import { driftJob } from '../../scripts/lib/jobs/drift.ts';
import type { DriftResult } from '../../scripts/lib/results/drift.ts';
import type { JobRecord } from '../../scripts/lib/results/job-record.ts';
import { cleanEnv, runInProcess } from '../helpers/run-script.ts';
import { closeAll, supabaseDatabase, type TestDatabase } from '../helpers/supabase-db.ts';

let dev: TestDatabase;
let staging: TestDatabase;
let production: TestDatabase;
beforeAll(async () => {
  [dev, staging, production] = await Promise.all([
    supabaseDatabase(),
    supabaseDatabase(),
    supabaseDatabase(),
  ]);
  // Proof of read-only: the app role (what every URL here connects as) may not write to production.
  const sql = production.superuser();
  const [d] = await sql`select current_database() as name`;
  await sql.unsafe(`alter role postgres in database "${d!.name}" set default_transaction_read_only = on`);
  await sql.end();
});
afterAll(closeAll);

const demoMigrations = path.join(repoRoot, 'supabase', 'migrations');
const tmp = (what: string) => mkdtempSync(path.join(os.tmpdir(), `envsync-drift-${what}-`));
const record = (dir: string) =>
  JSON.parse(readFileSync(path.join(dir, 'drift.json'), 'utf8')) as JobRecord<DriftResult>;
const env = () =>
  cleanEnv({
    DEV_DATABASE_URL: dev.url,
    STAGING_DATABASE_URL: staging.url,
    PRODUCTION_DATABASE_URL: production.url,
  });
const drift = async (args: string[]) => {
  const out = tmp('out');
  const run = await runInProcess(driftJob, [...args, '--out', out], env());
  return {
    ...run,
    out,
    result: () => record(out).result!,
    summary: () => readFileSync(path.join(out, 'summary.md'), 'utf8'),
  };
};

/** Clusters this process started for drift and still has (the run must leave none). */
const driftClusters = () =>
  readdirSync(os.tmpdir()).filter((e) => {
    if (!e.startsWith('envsync-pg-drift-')) return false;
    try {
      return readFileSync(path.join(os.tmpdir(), e, 'owner.pid'), 'utf8') === String(process.pid);
    } catch {
      return false;
    }
  });

const line = (d: DriftResult['differences'][number]) =>
  `${d.kind} ${d.object}: ${d.change}${d.fields ? ` (${d.fields.map((f) => f.field).join(', ')})` : ''}`;

/** The demo migrations and `extra` files, in a directory of their own. */
function migrationsWith(extra: Record<string, string>): string {
  const dir = tmp('migrations');
  cpSync(demoMigrations, dir, { recursive: true });
  for (const [name, text] of Object.entries(extra)) writeFileSync(path.join(dir, name), text);
  return dir;
}

test('production, built from the demo migrations, has no drift: exit 0, read-only, no cluster left', async () => {
  const run = await drift(['--db', 'production']);
  expect(run.stderr).toBe('');
  expect(run.code).toBe(0);
  const r = run.result();
  expect(r).toMatchObject({ mode: 'migrations', drifted: false, differences: [] });
  expect(r.expected).toEqual({ name: 'migrations', display: 'supabase/migrations' });
  expect(r.actual.name).toBe('production');
  expect(r.replay!.files).toEqual(readdirSync(demoMigrations).sort());
  // Grants, default privileges, policies, functions, triggers: all went through the comparison.
  expect(r.objectsCompared.expected).toBe(r.objectsCompared.actual);
  expect(r.objectsCompared.actual).toBeGreaterThan(300);
  expect(run.stdout).toMatch(/^ok: production matches its migrations \(5 in supabase\/migrations\)/m);
  expect(run.stdout).toContain('  [replay]   applying 20250101000000_init.sql');
  expect(run.summary()).toContain('## envsync drift — production vs migrations');
  expect(run.summary()).toContain('**No drift.**');
  expect(driftClusters()).toEqual([]);
  // Nothing was written: no extension, no history row, no schema of the check's.
  const sql = production.superuser();
  const [x] = await sql`
    select (select count(*) from pg_extension where extname = 'plpgsql_check')::int as extensions,
           (select count(*) from supabase_migrations.schema_migrations)::int as history,
           (select count(*) from pg_namespace where nspname like 'envsync%')::int as schemas`;
  await sql.end();
  expect(x).toEqual({ extensions: 0, history: 5, schemas: 0 });
  // …and could not have been: the app role's transactions there are read-only.
  const app = production.app();
  await expect(app.unsafe('create table public.written (x int)')).rejects.toThrow(
    'cannot execute CREATE TABLE in a read-only transaction',
  );
  await app.end();
});

test('hand changes — a column added, a policy dropped, a grant added — are exactly what is found (exit 1)', async () => {
  const app = staging.app();
  await app.unsafe(`
    alter table public.profiles add column nickname text;
    drop policy "staff read colleagues" on public.staff_users;
    grant select on public.audit_log to anon;
  `);
  await app.end();
  const run = await drift(['--db', 'staging']);
  expect(run.code).toBe(1);
  const r = run.result();
  expect(r.drifted).toBe(true);
  expect(r.differences.map(line)).toEqual([
    'grant SELECT on table public.audit_log to anon: only on target',
    'policy public.staff_users.staff read colleagues: missing on target',
    'table public.profiles: differs (columns)',
  ]);
  expect(run.stderr).toMatch(
    /^failed: staging has drifted from its migrations \(5 in supabase\/migrations\): 3 object\(s\) differ/m,
  );
  expect(run.stderr).toContain(
    '  - policy public.staff_users.staff read colleagues: missing on staging (the migrations make it)',
  );
  const md = run.summary();
  expect(md).toContain('| table | `public.profiles` | differs: column `nickname` extra |');
  expect(md).toContain('| table | `public.staff_users` | policy `staff read colleagues` missing |');
  expect(md).toContain('| table | `public.audit_log` | 1 grant extra (SELECT to anon) |');
  expect(driftClusters()).toEqual([]);
});

test('two environments, schema only: the same changes seen from staging; identical ones agree', async () => {
  const run = await drift(['--source', 'staging', '--target', 'production']);
  expect(run.code).toBe(1);
  const r = run.result();
  expect(r).toMatchObject({ mode: 'environments', replay: null, functionCheck: null });
  expect(r.differences.map(line)).toEqual([
    'grant SELECT on table public.audit_log to anon: missing on target',
    'policy public.staff_users.staff read colleagues: only on target',
    'table public.profiles: differs (columns)',
  ]);
  expect(run.summary()).toContain('## envsync drift — production vs staging');

  const same = await drift(['--source', 'dev', '--target', 'production']);
  expect(same.stderr).toBe('');
  expect(same.code).toBe(0);
  expect(same.stdout).toMatch(/^ok: production matches dev \(schema only\): \d+ objects compared$/m);
});

const brokenFunction = `
create function hotels.room_rate(p_unit uuid) returns numeric language plpgsql stable as $$
declare
  r numeric;
begin
  select nightly_rate into r from hotels.accommodation_units where id = p_unit;
  return r;
end
$$;
`;
const warnedFunction = `
create function public.unit_label(p_name text) returns text language plpgsql immutable as $$
declare
  unused integer;
begin
  return upper(p_name);
end
$$;
-- Hostile names: the trigger function is checked against its table, found by oid.
create schema "Odd ""Schema""";
create table "Odd ""Schema"""."Tëst table" (id int);
create function "Odd ""Schema"""."select"() returns trigger language plpgsql as $$
declare
  unused integer;
begin
  new.id := coalesce(new.id, 0);
  return new;
end
$$;
create trigger "stamp it" before insert on "Odd ""Schema"""."Tëst table"
  for each row execute function "Odd ""Schema"""."select"();
`;

describe('plpgsql_check', () => {
  let rates: TestDatabase;
  // rates gets the migrations' functions by hand: what follows is about their bodies, not drift.
  const apply = async (text: string) => {
    const app = rates.app();
    await app.unsafe(text);
    await app.end();
  };
  beforeAll(async () => {
    rates = await supabaseDatabase();
    await apply(warnedFunction);
  });
  /** Without the extension (on the replay's server), the note; CI installs it (.ci/run), so there it must be. */
  const missing = (r: DriftResult, summary: string): boolean => {
    if (r.functionCheck!.available) return false;
    expect(process.env.CI).toBeFalsy();
    expect(r.functionCheck).toMatchObject({
      note: 'plpgsql_check not installed: function bodies not checked',
    });
    expect(summary).toContain('plpgsql_check not installed: function bodies not checked');
    console.warn(
      'plpgsql_check is not installed: its findings are not tested (apt-get install postgresql-15-plpgsql-check)',
    );
    return true;
  };
  const rateEnv = () => ({ ...env(), RATES_DATABASE_URL: rates.url });
  const check = async (dir: string) => {
    const out = tmp('out');
    const run = await runInProcess(driftJob, ['--db', 'rates', '--dir', dir, '--out', out], rateEnv());
    return {
      ...run,
      result: record(out).result!,
      summary: readFileSync(path.join(out, 'summary.md'), 'utf8'),
    };
  };

  test('a warning alone is listed and passes (exit 0)', async () => {
    const run = await check(migrationsWith({ '20250501000000_unit_label.sql': warnedFunction }));
    expect(run.result.drifted).toBe(false);
    expect(run.code).toBe(0);
    if (missing(run.result, run.summary)) return;
    expect(
      run.result.functionCheck!.problems.map((p) => [p.function, p.relation, p.level, p.line, p.message]),
    ).toEqual([
      ['Odd "Schema".select()', '"Odd ""Schema"""."Tëst table"', 'warning', 3, 'unused variable "unused"'],
      ['public.unit_label(p_name text)', null, 'warning', 3, 'unused variable "unused"'],
    ]);
    expect(run.stdout).toContain(
      'warning: public.unit_label(p_name text) line 3: warning: unused variable "unused"',
    );
  });

  test('a function body referring to a missing column is an error (exit 1), though nothing drifted', async () => {
    await apply(brokenFunction);
    const run = await check(
      migrationsWith({
        '20250501000000_unit_label.sql': warnedFunction,
        '20250402000000_room_rate.sql': brokenFunction,
      }),
    );
    const r = run.result;
    expect(r.drifted).toBe(false);
    if (missing(r, run.summary)) return expect(run.code).toBe(0);
    expect(run.code).toBe(1);
    expect(r.functionCheck!.problems.filter((p) => p.level === 'error')).toEqual([
      expect.objectContaining({
        function: 'hotels.room_rate(p_unit uuid)',
        sqlstate: '42703',
        message: 'column "nightly_rate" does not exist',
        line: 5,
      }),
    ]);
    // The demo's own five — trigger functions on auth.users and app tables among them — are clean.
    expect(r.functionCheck!.functions).toBe(8);
    expect(r.functionCheck!.checks).toBeGreaterThan(r.functionCheck!.functions);
    expect(run.stderr).toMatch(
      /^failed: rates matches its migrations .*; plpgsql_check: 1 error\(s\), 3 warning\(s\) in 8 plpgsql function\(s\)$/m,
    );
    expect(run.stderr).toContain(
      '  - hotels.room_rate(p_unit uuid) line 5: error: column "nightly_rate" does not exist (42703)',
    );
    expect(run.summary).toContain(
      '| `hotels.room_rate(p_unit uuid)` | 5 | error | column "nightly_rate" does not exist (`42703`) |',
    );
  });
});

test('a migration that does not replay fails the job (exit 1), names its file and line, and leaves no cluster', async () => {
  const dir = migrationsWith({
    '20250501000000_broken.sql':
      'create table public.ok (x int);\nalter table public.nope add column y int;\n',
  });
  const run = await drift(['--db', 'production', '--dir', dir]);
  expect(run.code).toBe(1);
  expect(run.stderr).toMatch(
    /^error: the migrations do not replay on a fresh Supabase-shaped database: 20250501000000_broken\.sql:2: relation "public\.nope" does not exist/m,
  );
  expect(run.stderr).toMatch(/^hint: fix the migration/m);
  expect(driftClusters()).toEqual([]);
});

test('a migration that does not parse is bad input (exit 2), located by file:line:col, no cluster left', async () => {
  const dir = migrationsWith({
    '20250501000000_typo.sql': 'create table public.ok (x int);\ncreate tabel public.nope (y int);\n',
  });
  const run = await drift(['--db', 'production', '--dir', dir]);
  expect(run.code).toBe(2);
  expect(run.stderr).toMatch(/^error: 20250501000000_typo\.sql:2:8: syntax error at or near "tabel"/m);
  expect(driftClusters()).toEqual([]);
});

describe('bad input: one error line, one hint, exit 2, nothing started', () => {
  const empty = () => tmp('empty');
  test.each([
    [[], /^error: drift needs --db <env> or --source <env> --target <env>$/],
    [
      ['--db', 'staging', '--source', 'dev'],
      /^error: --db and --source\/--target are two ways to run drift: give one of them$/,
    ],
    [
      ['--db', 'staging', '--dir', '/nonexistent/migrations'],
      /^error: --dir \/nonexistent\/migrations is not a readable directory \(ENOENT\)$/,
    ],
    [
      ['--db', 'staging', '--dir', '<empty>'],
      /^error: --dir .* holds no migrations \(<version>_<name>\.sql files\)$/,
    ],
    [['--source', 'staging'], /^error: --target is required$/],
    [
      ['--source', 'dev', '--target', 'staging', '--dir', 'supabase/migrations'],
      /^error: --dir goes with --db/,
    ],
    [['--db', 'qa'], /^error: --db qa: QA_DATABASE_URL is not set$/],
  ])('%j', async (args, message) => {
    const run = await drift(args.map((a) => (a === '<empty>' ? empty() : a)));
    expect(run.code).toBe(2);
    const err = run.stderr.trim().split('\n');
    expect(err).toHaveLength(2);
    expect(err[0]).toMatch(message);
    expect(err[1]).toMatch(/^hint: /);
    expect(driftClusters()).toEqual([]);
  });

  test('several problems at once', async () => {
    const run = await drift(['--db', 'qa', '--dir', '/nonexistent', '--connect-timeout', 'soon']);
    expect(run.code).toBe(2);
    expect(run.stderr).toMatch(
      /^error: --db qa: QA_DATABASE_URL is not set; --dir \/nonexistent is not a readable directory \(ENOENT\); --connect-timeout soon is not a number of seconds$/m,
    );
  });

  test('the same database spelled two ways', async () => {
    const other = production.url.replace('127.0.0.1', 'localhost');
    const run = await drift(['--source', production.url, '--target', other]);
    expect(run.code).toBe(2);
    expect(run.stderr).toMatch(
      /^error: --target postgres:\/\/postgres@localhost:\d+\/\w+ is the same database as --source/m,
    );
  });
});
