// validate on two real databases: identical replicas pass; every kind of drift is named.

import { mkdtempSync, readFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { validateJob } from '../../scripts/lib/jobs/validate.ts';
import type { JobRecord } from '../../scripts/lib/results/job-record.ts';
import type { ValidateResult } from '../../scripts/lib/results/validate.ts';
import { cleanEnv, runInProcess } from '../helpers/run-script.ts';
import { closeAll, supabaseDatabase, type TestDatabase } from '../helpers/supabase-db.ts';

let dev: TestDatabase;
let staging: TestDatabase;
beforeAll(async () => {
  [dev, staging] = await Promise.all([supabaseDatabase({ scale: 1 }), supabaseDatabase({ scale: 1 })]);
});
afterAll(closeAll);

const out = () => mkdtempSync(path.join(os.tmpdir(), 'envsync-validate-'));
const result = (d: string) =>
  (JSON.parse(readFileSync(path.join(d, 'validate.json'), 'utf8')) as JobRecord<ValidateResult>).result!;
const env = () => cleanEnv({ DEV_DATABASE_URL: dev.url, STAGING_DATABASE_URL: staging.url });

test('two databases built the same way are exact replicas (exit 0)', async () => {
  const d = out();
  const run = await runInProcess(validateJob, ['--source', 'dev', '--target', 'staging', '--out', d], env());
  expect(run.stderr).toBe('');
  expect(run.code).toBe(0);
  const r = result(d);
  expect(r).toMatchObject({ identical: true, objects: [], data: [], sequences: [] });
  // Every app table and the platform data tables: 20 + 3.
  expect(r.tablesCompared).toBe(23);
  expect(r.rowsCompared).toBeGreaterThan(49_000);
  expect(readFileSync(path.join(d, 'summary.md'), 'utf8')).toContain('**Exact replica.**');
});

test('every kind of drift is found and named (exit 1)', async () => {
  const sql = staging.superuser();
  await sql.unsafe(`
    alter table public.guest_reservations alter column status set default 'pending';
    drop policy "staff read colleagues" on public.staff_users;
    alter table public.tenant_registry disable trigger tenant_registry_audit;
    grant select on public.audit_log to anon;
    update public.chat_messages set content = content || '!' where id = 7;
    select nextval('public.sync_history_id_seq');
    create table public.only_here (x int);
    drop trigger on_auth_user_created on auth.users;
  `);
  await sql.end();
  const d = out();
  const run = await runInProcess(validateJob, ['--source', 'dev', '--target', 'staging', '--out', d], env());
  expect(run.code).toBe(1);
  const r = result(d);
  const objects = r.objects.map(
    (o) =>
      `${o.kind} ${o.object}: ${o.change}${o.fields ? ` ${o.fields.map((f) => f.field).join(',')}` : ''}`,
  );
  expect(objects).toEqual(
    expect.arrayContaining([
      'table public.guest_reservations: differs columns',
      'policy public.staff_users.staff read colleagues: missing on target',
      'trigger public.tenant_registry.tenant_registry_audit: differs enabled',
      'grant SELECT on table public.audit_log to anon: only on target',
      'table public.only_here: only on target',
      'trigger auth.users.on_auth_user_created: missing on target',
    ]),
  );
  expect(r.data.map((x) => x.table)).toEqual(['public.chat_messages']);
  expect(r.data[0]!.expected!.rows).toBe(r.data[0]!.actual!.rows);
  expect(r.sequences.map((x) => x.sequence)).toEqual(['public.sync_history_id_seq']);
  expect(run.stderr).toMatch(/^failed: .* differs from /m);
  expect(run.stderr).toContain(
    '  - rows of public.chat_messages: source 40000, target 40000, content differs',
  );
  const md = readFileSync(path.join(d, 'summary.md'), 'utf8');
  expect(md).toContain('### Objects');
  expect(md).toContain('### Data');
});

test('--locate narrows differing tables to their keys, single and composite', async () => {
  const sql = staging.superuser();
  await sql.unsafe(`
    update hotels.policies set body = 'changed' where policy_key = 'pets' and tenant_id = (select min(tenant_id::text)::uuid from hotels.policies);
    delete from public.sire_cities where city_code = 'K00123';
    update public.chat_messages set tokens = tokens + 1 where id in (31000, 12, 7);
  `);
  const [p] = await sql`select min(tenant_id::text) as t from hotels.policies`;
  await sql.end();
  const d = out();
  const run = await runInProcess(
    validateJob,
    ['--source', 'dev', '--target', 'staging', '--locate', '--out', d],
    env(),
  );
  expect(run.code).toBe(1);
  const located = Object.fromEntries(result(d).located.map((l) => [l.table, l.keys]));
  expect(located['hotels.policies']).toEqual([JSON.stringify([p!.t, 'pets'])]);
  expect(located['public.sire_cities']).toEqual([JSON.stringify(['K00123'])]);
  // Ids come back as text (bigint), in text order.
  expect(located['public.chat_messages']).toEqual(['["12"]', '["31000"]', '["7"]']);
  expect(readFileSync(path.join(d, 'summary.md'), 'utf8')).toContain(
    'Differing keys of `public.chat_messages` (id): `["12"]`',
  );
});

test('the same database spelled two ways is refused (exit 2)', async () => {
  const other = dev.url.replace('127.0.0.1', 'localhost');
  const run = await runInProcess(validateJob, ['--source', dev.url, '--target', other, '--out', out()]);
  expect(run.code).toBe(2);
  expect(run.stderr).toMatch(
    /^error: --target postgres:\/\/postgres@localhost:\d+\/\w+ is the same database as --source/m,
  );
});
