-- Cluster-wide roles of a Supabase project, created by the bootstrap superuser
-- (supabase_admin). Idempotent: roles are shared by every database of a cluster.
do $$
declare
  r record;
begin
  for r in
    select * from (values
      ('postgres',               'LOGIN CREATEROLE CREATEDB REPLICATION BYPASSRLS'),
      ('anon',                   'NOLOGIN NOINHERIT'),
      ('authenticated',          'NOLOGIN NOINHERIT'),
      ('service_role',           'NOLOGIN NOINHERIT BYPASSRLS'),
      ('authenticator',          'LOGIN NOINHERIT'),
      ('supabase_auth_admin',    'NOLOGIN NOINHERIT CREATEROLE'),
      ('supabase_storage_admin', 'NOLOGIN NOINHERIT CREATEROLE'),
      ('dashboard_user',         'NOLOGIN CREATEROLE CREATEDB REPLICATION')
    ) as t(name, attrs)
  loop
    if not exists (select from pg_roles where rolname = r.name) then
      execute format('create role %I %s', r.name, r.attrs);
    end if;
  end loop;
  -- On Supabase `postgres` is NOT a superuser (the bootstrap superuser is supabase_admin).
  if exists (select from pg_roles where rolname = 'postgres' and rolsuper) then
    alter role postgres nosuperuser;
  end if;
end
$$;

grant anon, authenticated, service_role to authenticator;
grant anon, authenticated, service_role to postgres;
-- Membership is how `postgres` creates policies and triggers on platform-owned tables.
grant supabase_auth_admin, supabase_storage_admin to postgres;
-- What lets a non-superuser load data without firing triggers (PostgreSQL 15+).
grant set on parameter session_replication_role to postgres;

alter role anon set statement_timeout = '3s';
alter role authenticated set statement_timeout = '8s';
