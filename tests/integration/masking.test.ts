// Staging from production without leaking personal data: a production-like source (the demo app,
// auth.users and app tables with emails, phones and names, FKs between them) synced into staging
// with the masking rules of an envsync.yaml. Real clusters, real sync; the source is production
// because PRODUCTION_DATABASE_URL says so, which forces masking on.

import { readdirSync, readFileSync } from 'node:fs';
import path from 'node:path';
import type postgres from 'postgres';
import { tableChecksum } from '../../scripts/lib/db/checksum.ts';
import { prepareJob } from '../../scripts/lib/jobs/prepare.ts';
import { syncJob } from '../../scripts/lib/jobs/sync.ts';
import { validateJob } from '../../scripts/lib/jobs/validate.ts';
import type { PrepareResult } from '../../scripts/lib/results/prepare.ts';
import type { SyncResult } from '../../scripts/lib/results/sync.ts';
import type { ValidateResult } from '../../scripts/lib/results/validate.ts';
import { dir, record } from '../helpers/backups.ts';
import { configFile, demoMaskingRules, MASKING_KEY } from '../helpers/masking.ts';
import { cleanEnv, runInProcess } from '../helpers/run-script.ts';
import { closeAll, type TestDatabase } from '../helpers/supabase-db.ts';
import { devAndStaleStaging, fingerprint } from '../helpers/sync.ts';

let production: TestDatabase;
let staging: TestDatabase;
const KEY = MASKING_KEY;

let RULES = '';

const config = configFile;

beforeAll(async () => {
  [production, staging] = await devAndStaleStaging();
  RULES = await demoMaskingRules(production);
});
afterAll(closeAll);

const env = (extra: Record<string, string> = {}) =>
  cleanEnv({
    PRODUCTION_DATABASE_URL: production.url,
    STAGING_DATABASE_URL: staging.url,
    MASKING_KEY: KEY,
    ...extra,
  });
const pair = ['--source', 'production', '--target', 'staging'];

async function sync(args: string[] = [], extra: Record<string, string> = {}) {
  const d = dir('masked-sync');
  const run = await runInProcess(syncJob, [...pair, '--out', d, ...args], env(extra));
  return { run, r: record<SyncResult>(d, 'sync').result, dir: d };
}

/** Every email-like and phone-like token anywhere in `db`'s app and auth tables. */
async function tokens(db: TestDatabase): Promise<Set<string>> {
  const sql = db.superuser();
  const tables = await sql`
    select n.nspname as s, c.relname as t from pg_class c join pg_namespace n on n.oid = c.relnamespace
    where c.relkind in ('r', 'p') and n.nspname in ('public', 'hotels', 'auth')`;
  const found = new Set<string>();
  for (const { s, t } of tables) {
    const rows = await sql.unsafe(`select x::text as r from only "${s}"."${t}" x`);
    for (const { r } of rows)
      for (const m of String(r).matchAll(/[\w.+-]+@[\w-]+(?:\.[\w-]+)+|\+\d{8,15}/g))
        found.add(m[0].toLowerCase());
  }
  return found;
}

const checksum = (db: TestDatabase, table: string) =>
  db.superuser().begin((tx) => {
    const [schema, name] = table.split('.') as [string, string];
    return tableChecksum(tx as unknown as postgres.Sql, { schema, name });
  });

describe('a masked copy of production', () => {
  let first: SyncResult;
  const rules = () => config(RULES);

  test('a wildcard keep does not cover a personal table: every column is named', async () => {
    const loose = RULES.replace('    public.profiles.created_at: keep\n', '    public.profiles.*: keep\n');
    expect(loose).not.toBe(RULES);
    const { run } = await sync(['--config', config(loose)]);
    expect(run.code).toBe(1);
    expect(run.stderr).toContain('public.profiles.created_at');
  });

  test('is forced because the source is production, and no email or phone of the source reaches the target', async () => {
    const before = await tokens(production);
    expect([...before].filter((t) => t.includes('@')).length).toBeGreaterThan(100);
    expect([...before].filter((t) => t.startsWith('+')).length).toBeGreaterThan(100);
    const { run, r, dir: out } = await sync(['--config', rules()]);
    expect(run.stderr).toBe('');
    expect(run.code).toBe(0);
    first = r!;
    // The key is a secret: in no line printed and no file written.
    const written = readdirSync(out).map((f) => readFileSync(path.join(out, f), 'utf8'));
    for (const text of [run.stdout, ...written]) expect(text).not.toContain(KEY);
    expect(first.masking!.reason).toMatch(/^the source is production/);
    const masked = Object.fromEntries(
      first.masking!.tables.map((t) => [t.table, t.columns.map((c) => c.column)]),
    );
    expect(masked['auth.users']!.sort()).toEqual(
      [
        'confirmation_token',
        'email',
        'encrypted_password',
        'phone',
        'raw_user_meta_data',
        'recovery_token',
      ].sort(),
    );
    // A scan of every row of every table, as text: not one of production's values.
    const after = await tokens(staging);
    const leaked = [...after].filter((t) => before.has(t));
    expect(leaked).toEqual([]);
    expect([...after].filter((t) => t.endsWith('@example.com')).length).toBeGreaterThan(100);
  });

  test('joins still match: the same email masks the same way in every table, keys are kept', async () => {
    const count = async (db: TestDatabase, q: string) => Number((await db.superuser().unsafe(q))[0]!.n);
    const joins = [
      'select count(*) as n from public.profiles p join auth.users u on u.email = p.email',
      'select count(*) as n from public.profiles p join auth.users u on u.id = p.id',
      'select count(*) as n from public.staff_users s join auth.users u on u.id = s.user_id',
    ];
    for (const q of joins) {
      const [a, b] = [await count(production, q), await count(staging, q)];
      expect(b).toBe(a);
      expect(b).toBeGreaterThan(0);
    }
    // Unique constraints hold (the copy would have failed otherwise): and the values are all different.
    expect(await count(staging, 'select count(distinct email) - count(email) as n from auth.users')).toBe(0);
    expect(await count(staging, 'select count(distinct phone) - count(phone) as n from auth.users')).toBe(0);
    // Generated from the masked identity_data: no email left there either.
    expect(await count(staging, 'select count(email) as n from auth.identities')).toBe(0);
  });

  test('a second run gives the same masked values (deterministic with the same key), another key others', async () => {
    const tables = ['auth.users', 'public.profiles', 'public.guest_reservations'];
    const once = await Promise.all(tables.map((t) => checksum(staging, t)));
    expect((await sync(['--config', rules()])).run.code).toBe(0);
    expect(await Promise.all(tables.map((t) => checksum(staging, t)))).toEqual(once);
    expect((await sync(['--config', rules()], { MASKING_KEY: `${KEY}-rotated` })).run.code).toBe(0);
    const rotated = await Promise.all(tables.map((t) => checksum(staging, t)));
    for (const [i, c] of rotated.entries()) expect(c.checksum).not.toBe(once[i]!.checksum);
  });

  test('validate proves it: masked columns all changed, FKs resolve, unique constraints hold, the rest identical', async () => {
    const d = dir('masked-validate');
    const run = await runInProcess(
      validateJob,
      [...pair, '--config', rules(), '--out', d],
      env({ MASKING_KEY: '' }),
    );
    const r = record<ValidateResult>(d, 'validate').result!;
    expect(run.stderr).toBe('');
    expect(run.code).toBe(0);
    expect(r.identical).toBe(true);
    expect(r.masked!.reason).toMatch(/^the source is production/);
    expect(r.masked!.excluded).toEqual(expect.arrayContaining(['auth.users.email', 'public.profiles.email']));
    const email = r.masked!.proof.columns.find((c) => c.table === 'auth.users' && c.column === 'email')!;
    expect(email).toMatchObject({ sampled: false, unchanged: 0 });
    expect(email.compared).toBeGreaterThan(100);
    expect(r.masked!.proof.foreignKeys.length).toBeGreaterThan(3);
    expect(r.masked!.proof.foreignKeys.every((f) => f.dangling === 0)).toBe(true);
    expect(r.masked!.proof.uniques.map((u) => u.constraint)).toEqual(
      expect.arrayContaining(['users_phone_key']),
    );
  });

  test('validate finds a masked value put back, and any change to an unmasked column', async () => {
    const sql = staging.superuser();
    const [u] = await sql`select id from auth.users order by id limit 1`;
    const [{ email }] =
      (await production.superuser()`select email from auth.users where id = ${u!.id}`) as unknown as [
        { email: string },
      ];
    await sql.begin(async (tx) => {
      await tx`set local session_replication_role = replica`;
      await tx`update auth.users set email = ${email} where id = ${u!.id}`;
      await tx`update public.profiles set created_at = created_at + interval '1 day' where id = ${u!.id}`;
    });
    const d = dir('masked-validate-leak');
    const run = await runInProcess(validateJob, [...pair, '--config', rules(), '--out', d], env());
    const r = record<ValidateResult>(d, 'validate').result!;
    expect(run.code).toBe(1);
    expect(r.masked!.proof.ok).toBe(false);
    expect(
      r.masked!.proof.columns.find((c) => c.table === 'auth.users' && c.column === 'email')!.unchanged,
    ).toBe(1);
    expect(r.data.map((x) => x.table)).toEqual(['public.profiles']);
    expect((await sync(['--config', rules()])).run.code).toBe(0);
  });

  test('a new column of a personal table without a rule stops prepare and sync, named; nothing is written', async () => {
    await production.superuser()`alter table public.profiles add column nickname text`;
    try {
      const before = await fingerprint(staging);
      const d = dir('masked-prepare');
      const prep = await runInProcess(
        prepareJob,
        [...pair, '--no-snapshot', '--config', rules(), '--out', d],
        env(),
      );
      expect(prep.code).toBe(1);
      const check = record<PrepareResult>(d, 'prepare').result!.plan.checks.find(
        (c) => c.name === 'masking',
      )!;
      expect(check).toMatchObject({ status: 'fail' });
      expect(check.detail).toContain('public.profiles.nickname');
      const { run } = await sync(['--config', rules()]);
      expect(run.code).toBe(1);
      expect(run.stderr).toContain('public.profiles.nickname');
      expect(await fingerprint(staging)).toBe(before);
    } finally {
      await production.superuser()`alter table public.profiles drop column nickname`;
    }
  });
});

describe('bad input: one line each, exit 2, nothing written', () => {
  // The config of each case is made once the source's columns are known (beforeAll).
  const cases: [string, () => string, Record<string, string>, RegExp][] = [
    [
      'a rule for a column that does not exist',
      () => `${RULES}    public.profiles.shoe_size: hash\n`,
      {},
      /masking\.rules\.public\.profiles\.shoe_size: no such column/,
    ],
    [
      'a strategy the column type cannot take',
      () => RULES.replace('auth.users.created_at: keep', 'auth.users.created_at: email'),
      {},
      /auth\.users\.created_at cannot take email \(email writes text, and the column is timestamp with time zone\)/,
    ],
    [
      'NULL for a NOT NULL column',
      () => RULES.replace('public.staff_users.full_name: name', 'public.staff_users.full_name: "null"'),
      {},
      /cannot take null \(the column is NOT NULL\)/,
    ],
    [
      'an expression that fails on the source',
      () => RULES.replace("sql:'{}'::jsonb", 'sql:no_such_function(email)'),
      {},
      /auth\.users\.raw_user_meta_data: the expression .* fails on the source/,
    ],
    ['no MASKING_KEY', () => RULES, { MASKING_KEY: '' }, /MASKING_KEY is not set/],
    [
      'no masking section at all',
      () => 'content:\n  tables: {}\n',
      {},
      /this copy must be masked \(the source is production .*\), and .* has no masking section/,
    ],
    [
      'a masked key whose referencing column is kept by name',
      () => RULES.replace('auth.users.id: keep', 'auth.users.id: hash'),
      {},
      /keep, but auth\.users\.id is masked and FK \w+ joins them/,
    ],
  ];
  test.each(cases)('%s', async (_what, text, extra, message) => {
    const before = await fingerprint(staging);
    const { run } = await sync(['--config', config(text())], extra);
    expect(run.code).toBe(2);
    expect(run.stderr).toMatch(message);
    expect(await fingerprint(staging)).toBe(before);
  });

  test('production is never masked or neutralized, even with --allow-production', async () => {
    const d = dir('masked-into-production');
    const run = await runInProcess(
      syncJob,
      [
        '--source',
        'staging',
        '--target',
        'production',
        '--mask',
        '--allow-production',
        '--config',
        config(RULES),
        '--out',
        d,
      ],
      env(),
    );
    expect(run.code).toBe(2);
    expect(run.stderr).toMatch(/is production .*: envsync never masks or neutralizes production/);
  });
});

test('a --config that does not exist is bad input for prepare, sync and validate, before anything is read', async () => {
  for (const job of [prepareJob, syncJob, validateJob] as const) {
    const run = await runInProcess(
      job as typeof syncJob,
      [...pair, '--config', '/nonexistent/envsync.yaml', '--out', dir('missing-config')],
      env(),
    );
    expect(run.code).toBe(2);
    expect(run.stderr).toContain('--config /nonexistent/envsync.yaml does not exist');
  }
});
