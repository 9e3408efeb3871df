// lint-migrations: each rule fires on its bad example and is silent on the safe way to do the
// same; inline ignores; the demo app's migrations; --base against a real git repository; the job's
// contract (exit codes, lint-migrations.json). No database: PostgreSQL's parser runs in WASM.

import { execFileSync } from 'node:child_process';
import { mkdirSync, mkdtempSync, readFileSync, renameSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { repoRoot } from '../../scripts/lib/cli/env-file.ts';
import { migrationsDir } from '../../scripts/lib/demo/supabase-fixture.ts';
import { lintMigrationsJob } from '../../scripts/lib/jobs/lint-migrations.ts';
import { lintMigrations } from '../../scripts/lib/migrations/lint.ts';
import { LINT_RULES } from '../../scripts/lib/migrations/lint-rules.ts';
import { readLintSources } from '../../scripts/lib/migrations/lint-sources.ts';
import type { JobRecord } from '../../scripts/lib/results/job-record.ts';
import type {
  LintFinding,
  LintMigrationsResult,
  LintRuleCode,
} from '../../scripts/lib/results/lint-migrations.ts';
import { cleanEnv, runInProcess } from '../helpers/run-script.ts';

const tmp = (label: string) => mkdtempSync(path.join(os.tmpdir(), `envsync-lint-${label}-`));

/** A migrations directory holding `files` (name → SQL). */
function migrations(files: Record<string, string>): string {
  const dir = tmp('dir');
  for (const [name, sql] of Object.entries(files)) writeFileSync(path.join(dir, name), sql);
  return dir;
}

async function lint(files: Record<string, string>, apiSchemas = ['public']) {
  const dir = migrations(files);
  const outcome = await lintMigrations(readLintSources(dir), { apiSchemas, base: null });
  const relative = (f: LintFinding) => ({ ...f, file: path.basename(f.file) });
  return { ...outcome, findings: outcome.findings.map(relative), ignored: outcome.ignored.map(relative) };
}

/** The rules that fire on one migration file. */
async function rulesOn(sql: string): Promise<LintRuleCode[]> {
  return (await lint({ '20260101000000_change.sql': sql })).findings.map((f) => f.rule);
}

// `public.rooms` is never created in these files: it stands for a table that already holds rows.
const cases: [LintRuleCode, string, string][] = [
  ['syntax-error', 'create tabel public.notes (id int);', 'select 1;'],
  [
    'drop-table',
    'drop table public.rooms;',
    // Created and dropped in one file: no rows were ever in it.
    'create table public.scratch (id int);\nalter table public.scratch enable row level security;\ndrop table public.scratch;',
  ],
  [
    'drop-column',
    'alter table public.rooms drop column notes;',
    'create table public.scratch (id int, notes text);\nalter table public.scratch enable row level security;\nalter table public.scratch drop column notes;',
  ],
  ['drop-schema', 'drop schema legacy cascade;', 'create schema scratch;\ndrop schema scratch;'],
  [
    'truncate',
    'truncate public.rooms;',
    "delete from public.rooms where archived_at < now() - interval '1 year';",
  ],
  [
    'delete-without-where',
    'delete from public.rooms;',
    "delete from public.rooms where archived_at < now() - interval '1 year';",
  ],
  [
    'update-without-where',
    "update public.rooms set state = 'open';",
    "update public.rooms set state = 'open' where state is null;",
  ],
  [
    'rename',
    'alter table public.rooms rename column name to title;',
    'alter table public.rooms add column title text;',
  ],
  [
    'table-without-rls',
    'create table public.notes (id bigint primary key, body text);',
    'create table public.notes (id bigint primary key, body text);\nalter table public.notes enable row level security;',
  ],
  [
    'security-definer-search-path',
    "create function public.room_count() returns bigint language sql security definer as 'select count(*) from public.rooms';",
    "create function public.room_count() returns bigint language sql security definer set search_path = '' as 'select count(*) from public.rooms';",
  ],
  [
    'anon-write-grant',
    'grant insert, select on public.rooms to anon;',
    'grant select on public.rooms to anon;',
  ],
  [
    'non-transactional-mixed',
    'alter table public.rooms add column floor int;\ncreate index concurrently rooms_floor_idx on public.rooms (floor);',
    'create index concurrently rooms_floor_idx on public.rooms (floor);',
  ],
  [
    'enum-value-used-in-same-file',
    "alter type public.room_state add value 'cleaning';\nupdate public.rooms set state = 'cleaning' where state = 'dirty';",
    "alter type public.room_state add value 'cleaning';",
  ],
  [
    'add-required-column',
    'alter table public.rooms add column floor int not null;',
    'alter table public.rooms add column floor int not null default 0;',
  ],
  [
    'index-not-concurrently',
    'create index rooms_floor_idx on public.rooms (floor);',
    'create index concurrently rooms_floor_idx on public.rooms (floor);',
  ],
  [
    'constraint-not-valid',
    'alter table public.rooms add constraint rooms_hotel_fk foreign key (hotel_id) references public.hotels (id);',
    'alter table public.rooms add constraint rooms_hotel_fk foreign key (hotel_id) references public.hotels (id) not valid;',
  ],
  [
    'set-not-null',
    'alter table public.rooms alter column floor set not null;',
    'alter table public.rooms add constraint rooms_floor_not_null check (floor is not null) not valid;',
  ],
  [
    'column-type-change',
    'alter table public.rooms alter column price type numeric(12, 2);',
    'alter table public.rooms add column price_v2 numeric(12, 2);',
  ],
  [
    'volatile-default',
    'alter table public.rooms add column token uuid default gen_random_uuid();',
    'alter table public.rooms add column created_at timestamptz not null default now();',
  ],
  [
    'add-unique-or-pk',
    'alter table public.rooms add constraint rooms_code_key unique (code);',
    'alter table public.rooms add constraint rooms_code_key unique using index rooms_code_idx;',
  ],
];

describe.each(cases)('%s', (rule, bad, safe) => {
  test('fires on the bad example, with its severity, place, message and fix', async () => {
    const { findings } = await lint({ '20260101000000_change.sql': `-- a change\n${bad}\n` });
    const f = findings.find((x) => x.rule === rule);
    expect(f).toMatchObject({
      rule,
      severity: LINT_RULES.get(rule)!.severity,
      file: '20260101000000_change.sql',
      fix: LINT_RULES.get(rule)!.fix,
    });
    expect(f!.line).toBeGreaterThanOrEqual(2);
    expect(f!.column).toBeGreaterThanOrEqual(1);
    expect(f!.message).not.toContain('\n');
  });

  test('is silent on the safe equivalent (nothing else fires either)', async () => {
    expect(await rulesOn(safe)).toEqual([]);
  });
});

test('every statement rule has a case above, and the rules table in the docs lists every rule', () => {
  const covered = new Set(cases.map(([rule]) => rule));
  const fileRules = ['bad-file-name', 'duplicate-version', 'version-not-after-base', 'applied-file-changed'];
  expect([...LINT_RULES.keys()].filter((r) => !covered.has(r)).sort()).toEqual(fileRules.sort());
  const docs = readFileSync(path.join(repoRoot, 'docs/lint-migrations.md'), 'utf8');
  for (const rule of LINT_RULES.values()) {
    expect(docs).toContain(`| \`${rule.code}\` | ${rule.severity} |`);
  }
});

describe('what each rule sees', () => {
  test('a syntax error is placed on its line and column; the rest of the directory is still linted', async () => {
    const { findings, files } = await lint({
      '20260101000000_a.sql': 'select 1;\nselect * fro public.rooms;\n',
      '20260102000000_b.sql': 'drop table public.rooms;\n',
    });
    expect(findings.map((f) => [f.rule, f.file, f.line])).toEqual([
      ['syntax-error', '20260101000000_a.sql', 2],
      ['drop-table', '20260102000000_b.sql', 1],
    ]);
    expect(findings[0]!.message).toBe('syntax error at or near "fro"');
    expect(findings[0]!.column).toBe(10);
    expect(files.map((f) => f.statements)).toEqual([0, 1]);
  });

  test('a table created in an earlier file may already hold rows: locks and drops count there', async () => {
    const { findings } = await lint({
      '20260101000000_rooms.sql':
        'create table public.rooms (id int, floor int);\nalter table public.rooms enable row level security;\n' +
        'create index rooms_floor_idx on public.rooms (floor);\n',
      '20260102000000_index.sql':
        'create index rooms_id_idx on public.rooms (id);\ndrop table public.rooms;\n',
    });
    expect(findings.map((f) => `${f.file}:${f.line} ${f.rule}`)).toEqual([
      '20260102000000_index.sql:1 index-not-concurrently',
      '20260102000000_index.sql:2 drop-table',
    ]);
  });

  test('table-without-rls: RLS enabled later in the same file counts, in a later file it does not', async () => {
    const { findings } = await lint({
      '20260101000000_notes.sql':
        'create table public.notes (id int);\ncreate table public.tags (id int);\nalter table public.tags enable row level security;\n',
      '20260102000000_rls.sql': 'alter table public.notes enable row level security;\n',
    });
    expect(findings.map((f) => `${f.file}:${f.line} ${f.rule}`)).toEqual([
      '20260101000000_notes.sql:1 table-without-rls',
    ]);
    expect(findings[0]!.message).toMatch(
      /^creates public\.notes in API schema public without enabling row level security \(reachable by anon, authenticated\)/,
    );
  });

  test('table-without-rls: other schemas, revoked API roles, unqualified names, DISABLE, --api-schemas', async () => {
    expect(await rulesOn('create schema app;\ncreate table app.notes (id int);')).toEqual([]);
    expect(
      await rulesOn(
        'create table public.notes (id int);\nrevoke all on public.notes from anon, authenticated;',
      ),
    ).toEqual([]);
    // A revoke from one role leaves the other reaching it; a later grant lets a role back in.
    expect(await rulesOn('create table notes (id int);\nrevoke all on notes from anon;')).toEqual([
      'table-without-rls',
    ]);
    expect(
      await rulesOn(
        'create table notes (id int);\nrevoke all on notes from anon, authenticated;\ngrant select on notes to authenticated;',
      ),
    ).toEqual(['table-without-rls']);
    const disabled = await lint({
      '20260101000000_a.sql':
        'create table public.notes (id int);\nalter table public.notes enable row level security;\n',
      '20260102000000_b.sql': '\nalter table public.notes disable row level security;\n',
    });
    expect(disabled.findings.map((f) => `${f.file}:${f.line} ${f.message.slice(0, 36)}`)).toEqual([
      '20260102000000_b.sql:2 disables row level security on publi',
    ]);
    // A schema the API serves gets no default grants: the grant on all its tables is what exposes them.
    const api = await lint(
      {
        '20260101000000_a.sql':
          'create schema api;\ncreate table api.notes (id int);\ngrant select on all tables in schema api to anon;\n',
      },
      ['public', 'api'],
    );
    expect(api.findings.map((f) => `${f.line} ${f.rule}`)).toEqual(['2 table-without-rls']);
  });

  test('anon-write-grant: ALL, PUBLIC, all tables in a schema, default privileges', async () => {
    for (const sql of [
      'grant all on public.rooms to anon;',
      'grant delete on public.rooms to public;',
      'grant insert on all tables in schema public to anon;',
      'alter default privileges in schema public grant all on tables to anon;',
    ]) {
      expect(await rulesOn(sql)).toEqual(['anon-write-grant']);
    }
    expect(await rulesOn('grant all on public.rooms to authenticated;')).toEqual([]);
    expect(await rulesOn('revoke insert on public.rooms from anon;')).toEqual([]);
  });

  test('rename: tables, views, schemas and moves; a table renamed in the file that created it is new', async () => {
    for (const sql of [
      'alter table public.rooms rename to units;',
      'alter view public.room_list rename to unit_list;',
      'alter schema hotels rename to lodging;',
      'alter table public.rooms set schema archive;',
    ]) {
      expect(await rulesOn(sql)).toEqual(['rename']);
    }
    expect(
      await rulesOn(
        'create table public.scratch (id int);\nalter table public.scratch rename to units;\nalter table public.units enable row level security;\nalter table public.units rename column id to unit_id;',
      ),
    ).toEqual([]);
  });

  test('volatile-default: serial, identity, uuid-ossp in its schema, unknown functions; constants are fine', async () => {
    for (const column of [
      'seq bigserial',
      'seq bigint generated always as identity',
      'token uuid default extensions.uuid_generate_v4()',
      'score int default public.next_score()',
    ]) {
      expect(await rulesOn(`alter table public.rooms add column ${column};`)).toEqual(['volatile-default']);
    }
    for (const column of [
      "state text default 'open'",
      "tags text[] default '{}'",
      'created_by uuid default auth.uid()',
      "due_at timestamptz default now() + interval '1 day'",
      'seen boolean default false',
    ]) {
      expect(await rulesOn(`alter table public.rooms add column ${column};`)).toEqual([]);
    }
  });

  test('constraint-not-valid: a CHECK too, and VALIDATE in the file that added it NOT VALID', async () => {
    expect(
      await rulesOn('alter table public.rooms add constraint rooms_floor_check check (floor >= 0);'),
    ).toEqual(['constraint-not-valid']);
    const { findings } = await lint({
      '20260101000000_a.sql':
        'alter table public.rooms add constraint rooms_floor_check check (floor >= 0) not valid;\n' +
        'alter table public.rooms validate constraint rooms_floor_check;\n',
    });
    expect(findings.map((f) => `${f.line} ${f.rule}`)).toEqual(['2 constraint-not-valid']);
    expect(await rulesOn('alter table public.rooms validate constraint rooms_floor_check;')).toEqual([]);
  });

  test('lock rules are silent on a table created in the same file', async () => {
    expect(
      await rulesOn(
        'create table public.units (id bigint, code text, floor int);\nalter table public.units enable row level security;\n' +
          'create index units_floor_idx on public.units (floor);\n' +
          'alter table public.units add constraint units_code_key unique (code), add primary key (id);\n' +
          'alter table public.units alter column floor set not null, alter column code type varchar(20);\n' +
          'alter table public.units add column token uuid default gen_random_uuid(), add column n int not null;\n' +
          'alter table public.units add constraint units_floor_check check (floor >= 0);\n' +
          "update public.units set code = 'x';\ndelete from public.units;\ntruncate public.units;",
      ),
    ).toEqual([]);
  });

  test('enum-value-used-in-same-file: a rename of a value is no new value; the next file may use it', async () => {
    const { findings } = await lint({
      '20260101000000_a.sql': "alter type public.room_state add value 'cleaning';\n",
      '20260102000000_b.sql': "update public.rooms set state = 'cleaning' where state = 'dirty';\n",
    });
    expect(findings).toEqual([]);
    expect(
      await rulesOn(
        "alter type public.room_state rename value 'dirty' to 'messy';\nselect 'messy'::public.room_state;",
      ),
    ).toEqual([]);
  });

  test('non-transactional-mixed: VACUUM, ALTER SYSTEM, CREATE DATABASE, BEGIN/COMMIT among other statements', async () => {
    expect(await rulesOn('vacuum public.rooms;')).toEqual([]);
    expect(await rulesOn('select 1;\nvacuum analyze public.rooms;')).toEqual(['non-transactional-mixed']);
    expect(await rulesOn("select 1;\nalter system set work_mem = '64MB';")).toEqual([
      'non-transactional-mixed',
    ]);
    expect(await rulesOn('select 1;\ncreate database scratch;')).toEqual(['non-transactional-mixed']);
    expect(await rulesOn('begin;\nselect 1;\ncommit;')).toEqual([
      'non-transactional-mixed',
      'non-transactional-mixed',
    ]);
    // ANALYZE alone runs inside a transaction.
    expect(await rulesOn('select 1;\nanalyze public.rooms;')).toEqual([]);
  });

  test('bad-file-name and duplicate-version are placed on the file; other entries are only skipped', async () => {
    const dir = migrations({
      '20260101000000_a.sql': 'select 1;',
      '20260101000000_b.sql': 'select 2;',
      'add_rooms.sql': 'select 3;',
      '20260102_rooms.SQL': 'select 4;',
      'README.md': 'notes',
    });
    mkdirSync(path.join(dir, 'archive'));
    const sources = readLintSources(dir);
    const { findings } = await lintMigrations(sources, { apiSchemas: ['public'], base: null });
    expect(
      findings.map((f) => `${path.basename(f.file)}:${f.line}:${f.column} ${f.rule} ${f.severity}`),
    ).toEqual([
      // Files that are no migrations first, then the migrations in version order.
      '20260102_rooms.SQL:1:1 bad-file-name error',
      'add_rooms.sql:1:1 bad-file-name error',
      '20260101000000_b.sql:1:1 duplicate-version error',
    ]);
    expect(findings[2]!.message).toBe(
      '20260101000000_b.sql has version 20260101000000, as 20260101000000_a.sql does',
    );
    expect(sources.skipped).toEqual(['README.md', 'archive']);
  });
});

describe('-- envsync-lint-ignore', () => {
  test('on the line before, in the comment lines above, or on the same line: silenced and kept as ignored', async () => {
    const { findings, ignored } = await lint({
      '20260101000000_a.sql': [
        '-- envsync-lint-ignore drop-table',
        'drop table public.rooms;',
        '-- envsync-lint-ignore truncate, delete-without-where: the archive is rebuilt nightly',
        '-- (see the runbook)',
        'truncate public.archive;',
        'delete from public.archive_log; -- envsync-lint-ignore delete-without-where',
        '',
      ].join('\n'),
    });
    expect(findings).toEqual([]);
    expect(ignored.map((f) => `${f.line} ${f.rule}`)).toEqual([
      '2 drop-table',
      '5 truncate',
      '6 delete-without-where',
    ]);
  });

  test('only the rule it names, only where it stands, and never a file rule', async () => {
    const { findings, ignored } = await lint({
      '20260101000000_a.sql': [
        '-- envsync-lint-ignore drop-column',
        'drop table public.rooms;',
        '-- envsync-lint-ignore truncate',
        '',
        'truncate public.archive;',
        '-- envsync-lint-ignore syntax-error',
        'select * fro x;',
      ].join('\n'),
    });
    expect(ignored).toEqual([]);
    expect(findings.map((f) => `${f.line} ${f.rule}`)).toEqual(['7 syntax-error']);
    const second = await lint({
      '20260101000000_a.sql':
        '-- envsync-lint-ignore drop-column\ndrop table public.rooms;\n\n-- envsync-lint-ignore truncate\n\ntruncate public.archive;\n',
    });
    expect(second.findings.map((f) => `${f.line} ${f.rule}`)).toEqual(['2 drop-table', '6 truncate']);
  });
});

test('the demo app’s migrations lint without errors or warnings; its three deliberate exceptions are silenced inline', async () => {
  const outcome = await lintMigrations(readLintSources(migrationsDir), {
    apiSchemas: ['public'],
    base: null,
  });
  expect(outcome.findings).toEqual([]);
  expect(outcome.ignored.map((f) => `${path.basename(f.file)}:${f.line} ${f.rule}`)).toEqual([
    '20250101000000_init.sql:18 table-without-rls',
    '20250101000000_init.sql:25 table-without-rls',
    '20250301000000_compliance.sql:16 table-without-rls',
  ]);
  expect(outcome.files.map((f) => f.statements).every((n) => n > 0)).toBe(true);
});

describe('the job', () => {
  const env = cleanEnv();
  const record = (out: string) =>
    JSON.parse(
      readFileSync(path.join(out, 'lint-migrations.json'), 'utf8'),
    ) as JobRecord<LintMigrationsResult>;

  test('an error: exit 1, every finding in lint-migrations.json, the error on stderr as file:line:col', async () => {
    const dir = migrations({
      '20260101000000_a.sql': 'create index rooms_floor_idx on public.rooms (floor);\n',
      '20260102000000_b.sql': '\n\ndrop table public.rooms;\n',
      'README.md': 'x',
    });
    const out = tmp('out');
    const run = await runInProcess(lintMigrationsJob, ['--dir', dir, '--out', out], env);
    expect(run.code).toBe(1);
    const r = record(out).result!;
    expect(r).toMatchObject({
      dir,
      apiSchemas: ['public'],
      base: null,
      skipped: ['README.md'],
      counts: { files: 2, statements: 2, errors: 1, warnings: 1, ignored: 0 },
    });
    expect(r.findings).toEqual([
      {
        rule: 'index-not-concurrently',
        severity: 'warning',
        file: path.join(dir, '20260101000000_a.sql'),
        line: 1,
        column: 1,
        message: expect.stringMatching(
          /^creates index rooms_floor_idx on public\.rooms without CONCURRENTLY — /,
        ),
        fix: '`CREATE INDEX CONCURRENTLY`, alone in its migration file',
      },
      expect.objectContaining({ rule: 'drop-table', severity: 'error', line: 3, column: 1 }),
    ]);
    expect(run.stderr).toContain(
      `  - ${path.join(dir, '20260102000000_b.sql')}:3:1: drops table public.rooms — `,
    );
    expect(run.stdout).toContain(`warning: ${path.join(dir, '20260101000000_a.sql')}:1:1: creates index`);
    expect(readFileSync(path.join(out, 'summary.md'), 'utf8')).toContain(
      '**1 error, 1 warning** in 2 migrations',
    );
  });

  test('warnings alone: exit 0', async () => {
    const dir = migrations({
      '20260101000000_a.sql': 'alter table public.rooms alter column floor set not null;\n',
    });
    const run = await runInProcess(lintMigrationsJob, ['--dir', dir, '--out', tmp('out')], env);
    expect(run.code).toBe(0);
    expect(run.stdout).toContain('ok: 1 migration(s) linted: 0 error(s), 1 warning(s)');
  });

  test('--api-schemas widens table-without-rls; a missing --dir is bad input (exit 2)', async () => {
    const dir = migrations({
      '20260101000000_a.sql': 'create table api.notes (id int);\ngrant all on api.notes to authenticated;\n',
    });
    expect((await runInProcess(lintMigrationsJob, ['--dir', dir, '--out', tmp('out')], env)).code).toBe(0);
    const run = await runInProcess(
      lintMigrationsJob,
      ['--dir', dir, '--api-schemas', 'public,api', '--out', tmp('out')],
      env,
    );
    expect(run.code).toBe(1);
    expect(run.stderr).toContain('creates api.notes in API schema api');
    const missing = await runInProcess(
      lintMigrationsJob,
      ['--dir', path.join(dir, 'nope'), '--out', tmp('out')],
      env,
    );
    expect(missing.code).toBe(2);
    expect(missing.stderr).toMatch(
      /^error: --dir .*nope is not a readable directory \(ENOENT\)\nhint: give the migrations directory/,
    );
  });
});

describe('--base: the migrations against a git ref', () => {
  const git = (cwd: string, ...args: string[]) =>
    execFileSync(
      'git',
      ['-c', 'user.name=t', '-c', 'user.email=t@example.test', '-c', 'commit.gpgsign=false', ...args],
      {
        cwd,
        stdio: 'pipe',
        env: { ...process.env, GIT_CONFIG_GLOBAL: '/dev/null', GIT_CONFIG_NOSYSTEM: '1' },
      },
    ).toString();
  const env = cleanEnv();

  /** A repository whose `main` has two migrations, checked out on a branch `feature`. */
  function repository(): { repo: string; dir: string } {
    const repo = tmp('repo');
    const dir = path.join(repo, 'supabase', 'migrations');
    mkdirSync(dir, { recursive: true });
    git(repo, 'init', '-q', '-b', 'main');
    writeFileSync(
      path.join(dir, '20260101000000_rooms.sql'),
      'create table public.rooms (id bigint primary key, floor int);\nalter table public.rooms enable row level security;\n',
    );
    writeFileSync(
      path.join(dir, '20260201000000_floor.sql'),
      'create index concurrently rooms_floor_idx on public.rooms (floor);\n',
    );
    git(repo, 'add', '.');
    git(repo, 'commit', '-q', '-m', 'main');
    git(repo, 'switch', '-q', '-c', 'feature');
    return { repo, dir };
  }

  async function lintAgainstMain(dir: string, cwd?: string) {
    const out = tmp('out');
    const args = ['--dir', cwd ? path.relative(cwd, dir) : dir, '--base', 'main', '--out', out];
    const run = await runInProcess(lintMigrationsJob, args, env);
    return {
      run,
      result:
        run.code === 2
          ? null
          : (
              JSON.parse(
                readFileSync(path.join(out, 'lint-migrations.json'), 'utf8'),
              ) as JobRecord<LintMigrationsResult>
            ).result!,
    };
  }
  const rules = (r: LintMigrationsResult) => r.findings.map((f) => `${path.basename(f.file)} ${f.rule}`);

  test('a new migration after the base’s latest: clean, and tables it creates are new to the next one', async () => {
    const { dir } = repository();
    writeFileSync(
      path.join(dir, '20260301000000_units.sql'),
      'create table public.units (id bigint);\nalter table public.units enable row level security;\n',
    );
    writeFileSync(
      path.join(dir, '20260302000000_units_index.sql'),
      // units is new on this branch: no rows anywhere yet. rooms is applied: its index waits for writes.
      'create index units_id_idx on public.units (id);\ncreate index rooms_id_idx on public.rooms (id);\n',
    );
    const { run, result } = await lintAgainstMain(dir);
    expect(run.code).toBe(0);
    expect(rules(result!)).toEqual(['20260302000000_units_index.sql index-not-concurrently']);
    expect(result!.findings[0]!.line).toBe(2);
    expect(result!.base).toMatchObject({ ref: 'main', latestVersion: '20260201000000', files: 2 });
    expect(result!.base!.commit).toMatch(/^[0-9a-f]{40}$/);
    expect(result!.files.map((f) => f.atBase)).toEqual(['unchanged', 'unchanged', 'added', 'added']);
  });

  test('an added version not after the base’s latest; an applied file edited, renamed, deleted', async () => {
    const { dir } = repository();
    writeFileSync(path.join(dir, '20260115000000_late.sql'), 'select 1;\n');
    writeFileSync(
      path.join(dir, '20260101000000_rooms.sql'),
      `-- a comment is an edit too\n${readFileSync(path.join(dir, '20260101000000_rooms.sql'), 'utf8')}`,
    );
    renameSync(path.join(dir, '20260201000000_floor.sql'), path.join(dir, '20260201000000_floor_index.sql'));
    const { run, result } = await lintAgainstMain(dir);
    expect(run.code).toBe(1);
    expect(result!.findings.map((f) => `${path.basename(f.file)}:${f.line} ${f.rule}: ${f.message}`)).toEqual(
      [
        '20260101000000_rooms.sql:1 applied-file-changed: 20260101000000_rooms.sql was edited since main, where it is applied',
        '20260115000000_late.sql:1 version-not-after-base: 20260115000000_late.sql was added on this branch, but its version 20260115000000 is not after 20260201000000, the latest at main',
        '20260201000000_floor_index.sql:1 applied-file-changed: 20260201000000_floor.sql (applied at main) was renamed to 20260201000000_floor_index.sql',
      ],
    );
    rmSync(path.join(dir, '20260201000000_floor_index.sql'));
    const deleted = (await lintAgainstMain(dir)).result!;
    expect(deleted.findings.map((f) => `${f.file.split('/').slice(-3).join('/')} ${f.rule}`)).toContain(
      'supabase/migrations/20260201000000_floor.sql applied-file-changed',
    );
    expect(deleted.findings.find((f) => f.file.endsWith('_floor.sql'))!.message).toBe(
      '20260201000000_floor.sql (applied at main) was deleted',
    );
  });

  test('a ref git does not know, and a directory outside any repository: bad input (exit 2)', async () => {
    const { dir } = repository();
    const out = tmp('out');
    const unknown = await runInProcess(
      lintMigrationsJob,
      ['--dir', dir, '--base', 'no-such-branch', '--out', out],
      env,
    );
    expect(unknown.code).toBe(2);
    expect(unknown.stderr).toMatch(
      /^error: --base no-such-branch is not a commit in this repository\nhint: fetch it first/,
    );
    const outside = await runInProcess(
      lintMigrationsJob,
      ['--dir', migrations({ '20260101000000_a.sql': 'select 1;' }), '--base', 'main', '--out', out],
      env,
    );
    expect(outside.code).toBe(2);
    expect(outside.stderr).toMatch(/^error: --base needs --dir .* inside a git repository/);
  });
});
