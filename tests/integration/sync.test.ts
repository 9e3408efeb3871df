// prepare → sync → validate between two real Supabase-shaped databases: the stale
// staging of the seed notes becomes an exact, working replica of dev.

import { readdirSync, readFileSync } from 'node:fs';
import path from 'node:path';
import { prepareJob } from '../../scripts/lib/jobs/prepare.ts';
import { syncJob } from '../../scripts/lib/jobs/sync.ts';
import { validateJob } from '../../scripts/lib/jobs/validate.ts';
import type { PrepareResult } from '../../scripts/lib/results/prepare.ts';
import type { SyncResult } from '../../scripts/lib/results/sync.ts';
import { dir, record, sameAs, snapshotOf } from '../helpers/backups.ts';
import { cleanEnv, runInProcess, type ScriptRun } from '../helpers/run-script.ts';
import { closeAll, type TestDatabase } from '../helpers/supabase-db.ts';
import { devAndStaleStaging, schemaDump } from '../helpers/sync.ts';

let dev: TestDatabase;
let staging: TestDatabase;
beforeAll(async () => {
  [dev, staging] = await devAndStaleStaging();
});
afterAll(closeAll);

const env = () => cleanEnv({ DEV_DATABASE_URL: dev.url, STAGING_DATABASE_URL: staging.url });
const pair = ['--source', 'dev', '--target', 'staging'];

test('--dry-run names the differences and row deltas and writes nothing', async () => {
  const before = await snapshotOf(staging);
  const d = dir('dry');
  const run = await runInProcess(syncJob, [...pair, '--dry-run', '--out', d], env());
  expect(run.stderr).toBe('');
  expect(run.code).toBe(0);
  const r = record<SyncResult>(d, 'sync').result!;
  expect(r.committed).toBe(false);
  expect(r.changes.map((c) => `${c.kind} ${c.object}: ${c.change}`)).toEqual(
    expect.arrayContaining([
      'table public.compliance_submissions: missing on target',
      'table public.legacy_sync_log: only on target',
    ]),
  );
  expect(r.rowDeltas).toEqual(
    expect.arrayContaining([{ table: 'public.chat_conversations', source: 2000, target: 1998 }]),
  );
  expect(readFileSync(path.join(d, 'summary.md'), 'utf8')).toContain('**Dry run: nothing was written.**');
  expect(await sameAs(staging, before)).toEqual({ identical: true, tables: [] });
});

describe('prepare → sync --plan', () => {
  let auditBefore: number;
  let p: string;
  let prepared: ScriptRun;
  let s: string;
  let synced: ScriptRun;
  beforeAll(async () => {
    const sql = dev.app();
    try {
      auditBefore = (await sql`select count(*)::int as n from public.audit_log`)[0]!.n;
    } finally {
      await sql.end();
    }
    p = dir('prepare');
    prepared = await runInProcess(prepareJob, [...pair, '--out', p], env());
    s = dir('sync');
    synced = await runInProcess(syncJob, [...pair, '--plan', p, '--out', s], env());
  });

  test('makes staging an exact, working replica of dev', async () => {
    expect(prepared.stderr).toBe('');
    expect(prepared.code).toBe(0);
    const plan = record<PrepareResult>(p, 'prepare').result!.plan;
    expect(plan.checks.every((c) => c.status === 'pass')).toBe(true);
    expect(plan.schemas).toEqual(['hotels', 'public']);
    expect(plan.removes.map((x) => `${x.kind} ${x.object}`)).toContain('table public.legacy_sync_log');
    expect(plan.platformObjects).toEqual(
      expect.arrayContaining([
        'trigger on_auth_user_created on auth.users',
        'policy staff read tenant files on storage.objects',
      ]),
    );
    expect(readdirSync(path.join(p, 'snapshot'))).toContain('manifest.json');

    expect(synced.stderr).toBe('');
    expect(synced.code).toBe(0);
    const r = record<SyncResult>(s, 'sync').result!;
    expect(r.committed).toBe(true);
    expect(r.tables).toHaveLength(23);
    expect(r.tables.find((t) => t.table === 'public.chat_messages')).toMatchObject({ rows: 40_000 });

    const v = dir('validate');
    const validated = await runInProcess(validateJob, [...pair, '--out', v], env());
    expect(validated.code).toBe(0);
    expect(schemaDump(staging, ['public', 'hotels'])).toBe(schemaDump(dev, ['public', 'hotels']));

    // No trigger fired during the load: the audit table holds exactly dev's rows.
    const sql = staging.superuser();
    try {
      const [audit] = await sql`select count(*)::int as n from public.audit_log`;
      expect(audit!.n).toBe(auditBefore);
      // The app works: the auth.users trigger creates a profile, RLS shows a user their own.
      const id = '00000000-0000-4000-8000-00000000abcd';
      await sql`insert into auth.users (id, email, raw_user_meta_data) values (${id}, 'new@example.com', '{"display_name":"New"}')`;
      const seen = await sql.begin(async (tx) => {
        await tx`set local role authenticated`;
        await tx`select set_config('request.jwt.claims', ${JSON.stringify({ sub: id, role: 'authenticated' })}, true)`;
        return tx`select id, display_name from public.profiles`;
      });
      expect(seen.map((x) => [x.id, x.display_name])).toEqual([[id, 'New']]);
      // Grants are the source's: anon cannot read the audit log on staging either.
      const [g] = await sql`select has_table_privilege('anon', 'public.audit_log', 'SELECT') as can`;
      const [devG] =
        await dev.superuser()`select has_table_privilege('anon', 'public.audit_log', 'SELECT') as can`;
      expect(g!.can).toBe(devG!.can);
    } finally {
      await sql.end();
    }
    // Secrets never reach output or artifacts.
    for (const text of [
      prepared.stdout,
      synced.stdout,
      readFileSync(path.join(s, 'sync.json'), 'utf8'),
      readFileSync(path.join(p, 'plan.json'), 'utf8'),
    ]) {
      expect(text).not.toContain(dev.password);
      expect(text).not.toContain(staging.password);
    }
  });

  test('a second sync after a change in dev carries the change (schema and rows)', async () => {
    const sql = dev.app();
    await sql.unsafe(`
      alter table public.sire_cities add column population int generated always as (length(name) * 1000) stored;
      create index sire_cities_name_idx on public.sire_cities (name);
      insert into public.sync_history (source, target, started_at, ok) values ('dev', 'staging', now(), true);
    `);
    await sql.end();
    const out = dir('resync');
    const run = await runInProcess(syncJob, [...pair, '--out', out], env());
    expect(run.stderr).toBe('');
    expect(run.code).toBe(0);
    // Staging was already a replica: the changed table is the only schema change.
    expect(record<SyncResult>(out, 'sync').result!.changes.map((c) => `${c.kind} ${c.object}`)).toEqual([
      'table public.sire_cities',
    ]);
    const v = await runInProcess(validateJob, [...pair, '--out', dir('validate')], env());
    expect(v.code).toBe(0);
  });
});

test('hostile identifiers: quotes, spaces, mixed case, reserved words, non-ASCII', async () => {
  const sql = dev.app();
  await sql.unsafe(`
    create schema "Wéird ""Schema"" $x";
    create table "Wéird ""Schema"" $x"."select" (
      "Mixed Case" int generated always as identity primary key,
      "with space" text not null,
      "naïve—col" text,
      "order" int,
      "twice" int generated always as ("order" * 2) stored
    );
    insert into "Wéird ""Schema"" $x"."select" ("with space", "naïve—col", "order")
      select 'row ' || i, E'tab\\there ' || i || ' ü', i from generate_series(1, 500) i;
    create table public."CamelCase Table" (id text primary key, "Ref" int references "Wéird ""Schema"" $x"."select" ("Mixed Case"));
    insert into public."CamelCase Table" values ('a''quote', 1), ('b"dq', 2);
    -- A name holding a parenthesis, whose grants the target's default privileges get wrong:
    -- the correction must carry its name and argument list apart.
    create function public."f(x"(a int) returns int language sql return a;
    revoke execute on function public."f(x"(int) from public, anon;
  `);
  await sql.end();
  const run = await runInProcess(syncJob, [...pair, '--out', dir('hostile')], env());
  expect(run.stderr).toBe('');
  expect(run.code).toBe(0);
  const v = await runInProcess(validateJob, [...pair, '--out', dir('validate')], env());
  expect(v.stdout).toContain('exact replica');
  expect(v.code).toBe(0);
  const [r] =
    await staging.superuser()`select count(*)::int as n, max("twice") as t from "Wéird ""Schema"" $x"."select"`;
  expect(r).toEqual({ n: 500, t: 1000 });
  const [g] =
    await staging.superuser()`select has_function_privilege('anon', 'public."f(x"(int)', 'EXECUTE') as anon`;
  expect(g!.anon).toBe(false);
});
