// Errors a person can act on, and privileges found before anything is touched: a statement
// that fails inside sync or rollback is named by its object, the dump line and the fix (one
// `error:` and one `hint:` line; the detail in the artifact); a target role that lacks a
// needed privilege is stopped by prepare (and rollback's own checks) with the check's name.
import { prepareJob } from '../../scripts/lib/jobs/prepare.ts';
import { rollbackJob } from '../../scripts/lib/jobs/rollback.ts';
import { syncJob } from '../../scripts/lib/jobs/sync.ts';
import type { JobRecord } from '../../scripts/lib/results/job-record.ts';
import { dir, record, sameAs, snapshotOf } from '../helpers/backups.ts';
import { cleanEnv, runInProcess } from '../helpers/run-script.ts';
import { closeAll, supabaseDatabase, type TestDatabase, withUrl } from '../helpers/supabase-db.ts';
import { schemaDump } from '../helpers/sync.ts';

afterAll(closeAll);

/** A source with one table and an index named `zz`; a target whose `public.zz` is the platform's. */
async function collision(): Promise<[TestDatabase, TestDatabase]> {
  const [source, target] = await Promise.all([
    supabaseDatabase({ migrations: false }),
    supabaseDatabase({ migrations: false }),
  ]);
  const app = source.app();
  await app.unsafe(`create table public.widgets (id int primary key, label text);
    insert into public.widgets select g, 'w' || g from generate_series(1, 100) g;
    create index zz on public.widgets (label);`);
  await app.end();
  // Owned by supabase_admin: postgres cannot drop it, so the replacement leaves it alone.
  const su = target.superuser();
  await su`create sequence public.zz`;
  await su.end();
  return [source, target];
}

const lines = (stderr: string) => stderr.trim().split('\n');

test('sync names the object it could not create, the dump line and the fix; the target is unchanged', async () => {
  const [source, target] = await collision();
  const before = await snapshotOf(target);
  const dump = schemaDump(target, ['public']);
  const out = dir('err-sync');
  const env = cleanEnv({ DEV_DATABASE_URL: source.url, STAGING_DATABASE_URL: target.url });
  const run = await runInProcess(syncJob, ['--source', 'dev', '--target', 'staging', '--out', out], env);
  expect(run.code).toBe(1);
  const [error, hint, ...rest] = lines(run.stderr);
  expect(rest).toEqual([]);
  expect(error).toMatch(
    /^error: sync failed during building indexes, constraints, triggers and policies: index public\.zz \(post-data, dump line \d+\) failed: relation "zz" already exists \(SQLSTATE 42P07\)$/,
  );
  expect(hint).toMatch(/^hint: an object the replacement could not remove is in the way of index public\.zz/);
  const detail = record<never>(out, 'sync').error!.detail!;
  expect(detail).toMatchObject({ object: 'index public.zz', section: 'post-data', owner: 'postgres' });
  expect(detail.statement).toMatch(/^CREATE INDEX zz ON public\.widgets USING btree \(label\);$/);
  expect(schemaDump(target, ['public'])).toBe(dump);
  expect(await sameAs(target, before)).toEqual({ identical: true, tables: [] });
});

test('rollback names the object it could not restore and the script line; the target is unchanged', async () => {
  const [source, target] = await collision();
  const backup = await snapshotOf(source);
  const before = await snapshotOf(target);
  const out = dir('err-rollback');
  const run = await runInProcess(rollbackJob, [
    '--target',
    target.url,
    '--from',
    backup,
    '--force-foreign-backup',
    '--out',
    out,
  ]);
  expect(run.code).toBe(1);
  const [error, hint, ...rest] = lines(run.stderr);
  expect(rest).toEqual([]);
  expect(error).toMatch(
    /^error: restoring index public\.zz failed at line \d+ of the restore script: relation "zz" already exists$/,
  );
  expect(hint).toMatch(/^hint: fix index public\.zz \(owner postgres\)/);
  const rec = record<never>(out, 'rollback') as JobRecord<never>;
  expect(rec.error!.detail).toMatchObject({ object: 'index public.zz', owner: 'postgres' });
  expect(await sameAs(target, before)).toEqual({ identical: true, tables: [] });
});

describe('a target role without a privilege the replacement needs', () => {
  let source: TestDatabase;
  let target: TestDatabase;
  beforeAll(async () => {
    [source, target] = await Promise.all([supabaseDatabase({ scale: 1 }), supabaseDatabase({ scale: 1 })]);
  });

  /** prepare as `role` (created by the test) must fail naming `check`; so must rollback, untouched. */
  async function refused(role: string, check: RegExp) {
    const url = withUrl(target.url, { user: role, password: 'limited-pw' });
    const env = cleanEnv({ DEV_DATABASE_URL: source.url, STAGING_DATABASE_URL: url });
    const out = dir('priv-prepare');
    const prepare = await runInProcess(
      prepareJob,
      ['--source', 'dev', '--target', 'staging', '--out', out],
      env,
    );
    expect(prepare.code).toBe(1);
    expect(prepare.stderr).toMatch(check);
    const snapshot = await snapshotOf(target);
    const rollback = await runInProcess(
      rollbackJob,
      ['--target', 'staging', '--from', snapshot, '--out', dir('priv-rb')],
      env,
    );
    expect(rollback.code).toBe(1);
    expect(rollback.stderr).toMatch(check);
    expect(rollback.stderr).toMatch(/nothing was changed/);
    expect(await sameAs(target, snapshot)).toEqual({ identical: true, tables: [] });
  }

  test('may not SET session_replication_role', async () => {
    // A member of postgres (it can act as postgres) that does not inherit its parameter privilege.
    const su = target.superuser();
    await su`create role limited_replica login noinherit password 'limited-pw' in role postgres`;
    await su.end();
    await refused(
      'limited_replica',
      /target role privileges: limited_replica .*may not SET session_replication_role/,
    );
  });

  test('cannot read every row of a FORCE ROW LEVEL SECURITY table (no BYPASSRLS)', async () => {
    // Attributes are not inherited: a member of postgres without BYPASSRLS of its own.
    const su = target.superuser();
    await su`create role limited_rls login password 'limited-pw' in role postgres`;
    await su`grant set on parameter session_replication_role to limited_rls`;
    await su.end();
    await refused(
      'limited_rls',
      /target role privileges: limited_rls cannot read every row of public\.user_tenant_permissions \(FORCE ROW LEVEL SECURITY\) without BYPASSRLS/,
    );
  });

  test('cannot add the app’s tables to a publication another role owns', async () => {
    const [s, t] = [source.app(), target.superuser()];
    await s`alter publication supabase_realtime add table public.chat_messages`;
    await t`alter publication supabase_realtime add table public.chat_messages`;
    await t`create role publisher_admin nologin`;
    await t`alter publication supabase_realtime owner to publisher_admin`;
    await t`create role limited_pub login bypassrls password 'limited-pw' in role postgres`;
    await t`grant set on parameter session_replication_role to limited_pub`;
    await Promise.all([s.end(), t.end()]);
    await refused('limited_pub', /publications: publication supabase_realtime is owned by publisher_admin/);
  });
});
