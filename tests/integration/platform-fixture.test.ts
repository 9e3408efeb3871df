// The Supabase platform fixture (supabase/platform/*.sql) holds the platform's facts
// (docs/supabase-platform.md): what `postgres`, the app owner, may and may not do there.
import type postgres from 'postgres';
import { listMigrations } from '../../scripts/lib/demo/supabase-fixture.ts';
import { closeAll, supabaseDatabase, type TestDatabase } from '../helpers/supabase-db.ts';

let db: TestDatabase;
let app: postgres.Sql;

beforeAll(async () => {
  db = await supabaseDatabase();
  app = db.app();
});
afterAll(async () => {
  await app?.end();
  await closeAll();
});

/** The error a statement fails with, inside a transaction that is always rolled back. */
async function failure(sql: string): Promise<string> {
  try {
    await app.begin(async (tx) => {
      await tx.unsafe(sql);
      throw new Error('no error');
    });
  } catch (e) {
    return (e as Error).message;
  }
  return 'no error';
}

test('postgres is an ordinary role: not a superuser, not a member of supabase_admin', async () => {
  const [r] = await app`
    select r.rolsuper, r.rolbypassrls, r.rolcreaterole,
           pg_has_role('postgres', 'supabase_admin', 'MEMBER') as admin,
           pg_has_role('postgres', 'anon', 'MEMBER') and pg_has_role('postgres', 'authenticated', 'MEMBER')
             and pg_has_role('postgres', 'service_role', 'MEMBER') as api_roles
    from pg_roles r where r.rolname = current_user`;
  expect(r).toEqual({
    rolsuper: false,
    rolbypassrls: true,
    rolcreaterole: true,
    admin: false,
    api_roles: true,
  });
  expect(await failure('set role supabase_admin')).toMatch(/permission denied to set role/);
});

test('public is owned by pg_database_owner, and postgres owns the database', async () => {
  const [r] = await app`
    select n.nspowner::regrole::text as public_owner, pg_get_userbyid(d.datdba) as database_owner
    from pg_namespace n, pg_database d where n.nspname = 'public' and d.datname = current_database()`;
  expect(r).toEqual({ public_owner: 'pg_database_owner', database_owner: 'postgres' });
});

test("supabase_admin's default privileges in public open new objects to the API roles, beyond postgres's reach", async () => {
  const rows = await app`
    select d.defaclobjtype as kind, array_agg(distinct a.grantee::regrole::text order by a.grantee::regrole::text) as grantees
    from pg_default_acl d, aclexplode(d.defaclacl) a
    where d.defaclrole = 'supabase_admin'::regrole and d.defaclnamespace = 'public'::regnamespace
    group by 1 order by 1`;
  const everyone = ['anon', 'authenticated', 'postgres', 'service_role'];
  expect(rows.map((r) => [r.kind, r.grantees])).toEqual([
    ['S', everyone],
    ['f', everyone],
    ['r', everyone],
  ]);
  // PostgreSQL 15 says "must be member of role"; 16 and later "permission denied to change default privileges".
  expect(
    await failure(
      'alter default privileges for role supabase_admin in schema public revoke all on tables from anon',
    ),
  ).toMatch(/must be member of role "supabase_admin"|permission denied to change default privileges/);
  // Its own it may change.
  expect(
    await failure(
      'alter default privileges for role postgres in schema public revoke all on tables from anon',
    ),
  ).toBe('no error');
});

test('the platform event triggers are owned by supabase_admin, and postgres cannot touch them', async () => {
  const rows = await app`
    select e.evtname, e.evtowner::regrole::text as owner, p.proowner::regrole::text as function_owner
    from pg_event_trigger e join pg_proc p on p.oid = e.evtfoid order by 1`;
  expect(rows.map((r) => r.evtname)).toEqual([
    'issue_graphql_placeholder',
    'issue_pg_cron_access',
    'issue_pg_graphql_access',
    'issue_pg_net_access',
    'pgrst_ddl_watch',
    'pgrst_drop_watch',
  ]);
  for (const r of rows) expect([r.owner, r.function_owner]).toEqual(['supabase_admin', 'supabase_admin']);
  expect(await failure('drop event trigger pgrst_ddl_watch')).toMatch(/must be owner of event trigger/);
  expect(await failure('alter event trigger pgrst_ddl_watch disable')).toMatch(
    /must be owner of event trigger/,
  );
});

test('auth and storage belong to their services; postgres uses their tables, not their schemas', async () => {
  const owners = await app`
    select n.nspname || coalesce('.' || c.relname, '') as name,
           coalesce(c.relowner, n.nspowner)::regrole::text as owner, c.relrowsecurity as rls
    from pg_namespace n left join pg_class c on c.relnamespace = n.oid and c.relname in ('users', 'objects')
    where n.nspname in ('auth', 'storage', 'extensions', 'realtime', 'graphql_public', 'supabase_migrations')
    order by 1`;
  expect(owners.map((r) => `${r.name} ${r.owner}${r.rls ? ' rls' : ''}`)).toEqual([
    'auth.users supabase_auth_admin rls',
    'extensions postgres',
    'graphql_public supabase_admin',
    'realtime supabase_admin',
    'storage.objects supabase_storage_admin rls',
    'supabase_migrations postgres',
  ]);
  const [p] = await app`
    select has_schema_privilege('auth', 'USAGE') as auth_usage,
           has_table_privilege('auth.users', 'SELECT WITH GRANT OPTION') as users_select_grantable,
           has_table_privilege('auth.users', 'TRIGGER') as users_trigger,
           has_table_privilege('storage.objects', 'INSERT WITH GRANT OPTION') as objects_grantable,
           has_parameter_privilege('session_replication_role', 'SET') as replica`;
  expect(p).toEqual({
    auth_usage: true,
    users_select_grantable: true,
    users_trigger: true,
    objects_grantable: true,
    replica: true,
  });
});

test("deleting an auth user cascades to the Auth service's tables, as on the platform", async () => {
  const id = '00000000-0000-4000-8000-0000000000f1';
  const [counts] = await app.begin(async (tx) => {
    await tx`insert into auth.users (id, email) values (${id}, 'cascade@example.test')`;
    await tx`insert into auth.sessions (id, user_id) values (gen_random_uuid(), ${id})`;
    await tx`insert into auth.refresh_tokens (token, user_id, session_id)
             select 'tok-f1', ${id}, s.id from auth.sessions s where s.user_id = ${id}`;
    await tx`insert into auth.one_time_tokens (id, user_id, token_type, token_hash, relates_to)
             values (gen_random_uuid(), ${id}, 'recovery_token', 'h', 'cascade@example.test')`;
    await tx`delete from auth.users where id = ${id}`;
    return tx`select (select count(*) from auth.sessions where user_id = ${id})::int as sessions,
                     (select count(*) from auth.refresh_tokens where token = 'tok-f1')::int as tokens,
                     (select count(*) from auth.one_time_tokens where user_id = ${id})::int as otts`;
  });
  expect(counts).toEqual({ sessions: 0, tokens: 0, otts: 0 });
});

test('the demo migrations applied as postgres, with their trigger on auth.users and policy on storage.objects', async () => {
  const history = await app`select version from supabase_migrations.schema_migrations order by 1`;
  expect(history.map((r) => r.version)).toEqual(listMigrations().map((m) => m.version));
  const [r] = await app`
    select (select count(*) from pg_trigger where tgrelid = 'auth.users'::regclass and tgname = 'on_auth_user_created')::int as trigger,
           (select count(*) from pg_policy where polrelid = 'storage.objects'::regclass and polname = 'staff read tenant files')::int as policy,
           (select count(*) from pg_class where relnamespace = 'public'::regnamespace and relowner <> 'postgres'::regrole)::int as not_postgres,
           has_table_privilege('anon', 'public.tenant_registry', 'SELECT') as anon_reads_new_tables`;
  expect(r).toEqual({ trigger: 1, policy: 1, not_postgres: 0, anon_reads_new_tables: true });
});

test('supabase_realtime is owned by postgres, which may publish its own tables', async () => {
  const [p] = await app`select pubowner::regrole::text as owner, puballtables from pg_publication
                        where pubname = 'supabase_realtime'`;
  expect(p).toEqual({ owner: 'postgres', puballtables: false });
  expect(await failure('alter publication supabase_realtime add table public.chat_messages')).toBe(
    'no error',
  );
});
