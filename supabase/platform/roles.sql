-- Cluster-wide roles of a Supabase project, as docs/supabase-platform.md lists them.
-- Run by a superuser (normally the bootstrap superuser supabase_admin) in the maintenance
-- database, once per cluster; safe to run again (a shared server may run it many times):
-- missing roles are created, then every role is brought to its platform attributes.

do $roles$
declare
  r record;
begin
  -- The bootstrap superuser of the fixture clusters is supabase_admin (initdb -U). On a
  -- shared server it may be another superuser: supabase_admin must still exist, because
  -- the per-database layout is created by it and owned by it.
  if not exists (select from pg_roles where rolname = 'supabase_admin') then
    create role supabase_admin superuser createdb createrole replication bypassrls login;
  end if;

  for r in
    select * from (values
      -- name,                       attributes on the platform
      ('postgres',                   'LOGIN INHERIT NOSUPERUSER CREATEDB CREATEROLE REPLICATION BYPASSRLS'),
      ('anon',                       'NOLOGIN INHERIT'),
      ('authenticated',              'NOLOGIN INHERIT'),
      ('service_role',               'NOLOGIN INHERIT BYPASSRLS'),
      ('authenticator',              'LOGIN NOINHERIT'),
      ('dashboard_user',             'NOLOGIN INHERIT CREATEDB CREATEROLE REPLICATION'),
      ('pgbouncer',                  'LOGIN INHERIT'),
      ('supabase_auth_admin',        'LOGIN NOINHERIT CREATEROLE'),
      ('supabase_storage_admin',     'LOGIN NOINHERIT CREATEROLE'),
      ('supabase_realtime_admin',    'LOGIN NOINHERIT CREATEROLE REPLICATION'),
      ('supabase_functions_admin',   'LOGIN NOINHERIT CREATEROLE'),
      ('supabase_replication_admin', 'LOGIN INHERIT REPLICATION'),
      ('supabase_read_only_user',    'LOGIN INHERIT BYPASSRLS')
    ) as t(name, attrs)
  loop
    if not exists (select from pg_roles where rolname = r.name) then
      execute format('create role %I', r.name);
    end if;
    -- NOSUPERUSER first: on the platform `postgres` is an ordinary role (demoted after setup).
    if r.name = 'postgres' and exists (select from pg_roles where rolname = 'postgres' and rolsuper) then
      alter role postgres nosuperuser;
    end if;
    execute format('alter role %I %s', r.name, r.attrs);
  end loop;
end
$roles$;

-- ── memberships ──────────────────────────────────────────────────────────────
-- PostgREST logs in as authenticator and switches to the API role of the request.
grant anon, authenticated, service_role to authenticator;
-- The app owner may act as the API roles, and has the predefined roles the platform gives it.
grant anon, authenticated, service_role to postgres;
grant pg_monitor, pg_read_all_data, pg_signal_backend to postgres;
grant pg_read_all_data, pg_monitor to supabase_read_only_user;
-- The storage service switches to the API role of the request through authenticator.
grant authenticator to supabase_storage_admin;

-- STAND-IN for supautils.policy_grants and supautils.drop_trigger_grants. On the platform
-- `postgres` is not a member of these roles any more; supautils lets it create and drop
-- policies and drop triggers on the auth and storage tables without owning them. Vanilla
-- PostgreSQL has no such hook: policy and trigger management need the owner's privileges,
-- so the fixture gives `postgres` the memberships the platform used for exactly this
-- purpose before supautils took it over. This over-grants: see docs/supabase-platform.md.
grant supabase_auth_admin, supabase_storage_admin to postgres;

-- Never: the platform's superuser and the roles of the other services stay out of reach.
do $never$
declare
  g text;
begin
  foreach g in array array['supabase_admin', 'supabase_realtime_admin', 'supabase_functions_admin',
                           'supabase_replication_admin', 'supabase_read_only_user', 'dashboard_user',
                           'authenticator', 'pgbouncer']
  loop
    if exists (select from pg_auth_members m
               where m.roleid = g::regrole and m.member = 'postgres'::regrole) then
      execute format('revoke %I from postgres', g);
    end if;
  end loop;
end
$never$;

-- STAND-IN for supautils.privileged_role_allowed_configs, which lists
-- session_replication_role for the privileged role `postgres` (PostgreSQL 15+).
grant set on parameter session_replication_role to postgres;

-- ── per-role settings ────────────────────────────────────────────────────────
alter role anon set statement_timeout = '3s';
alter role authenticated set statement_timeout = '8s';
alter role authenticator set statement_timeout = '8s';
alter role authenticator set lock_timeout = '8s';
alter role postgres set search_path = "$user", public, extensions;
alter role supabase_admin set search_path = "$user", public, auth, extensions;
alter role supabase_auth_admin set search_path = auth;
alter role supabase_auth_admin set idle_in_transaction_session_timeout = 60000;
alter role supabase_storage_admin set search_path = storage;
alter role supabase_realtime_admin set search_path = realtime;
alter role supabase_functions_admin set search_path = supabase_functions;
