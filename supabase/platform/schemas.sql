-- Per-database layout of a Supabase project, as docs/supabase-platform.md lists it:
-- the platform's schemas, tables, functions, default privileges, event triggers and
-- publication, each owned by the role that owns it on the platform. Runs once per
-- database, as a superuser, in the database the app will use (after roles.sql).
-- Extensions that vanilla PostgreSQL 15 cannot install (pg_graphql, pg_net, pg_cron,
-- pgsodium, supabase_vault, supautils) are left out; their event triggers are kept,
-- with placeholder functions.

-- Everything below is created by the platform's superuser, whoever ran this file.
set role supabase_admin;

-- ── the database ─────────────────────────────────────────────────────────────
-- `postgres` owns the app database, and so, through pg_database_owner, the schema public.
do $db$
begin
  execute format('alter database %I owner to postgres', current_database());
  execute format('grant all on database %I to postgres, dashboard_user', current_database());
end
$db$;

-- ── public ───────────────────────────────────────────────────────────────────
alter schema public owner to pg_database_owner;
grant usage on schema public to postgres, anon, authenticated, service_role;

-- Every table, sequence and function created in public is open to the API roles, whether
-- the app (postgres) or the platform (supabase_admin) creates it. The supabase_admin
-- entries belong to supabase_admin: postgres, not a member of it, can neither change nor
-- remove them.
alter default privileges for role postgres in schema public
  grant all on tables to postgres, anon, authenticated, service_role;
alter default privileges for role postgres in schema public
  grant all on sequences to postgres, anon, authenticated, service_role;
alter default privileges for role postgres in schema public
  grant all on functions to postgres, anon, authenticated, service_role;
alter default privileges for role supabase_admin in schema public
  grant all on tables to postgres, anon, authenticated, service_role;
alter default privileges for role supabase_admin in schema public
  grant all on sequences to postgres, anon, authenticated, service_role;
alter default privileges for role supabase_admin in schema public
  grant all on functions to postgres, anon, authenticated, service_role;

-- ── extensions ───────────────────────────────────────────────────────────────
-- Owned by postgres (the platform created it while postgres was still a superuser).
create schema extensions authorization postgres;
grant usage on schema extensions to anon, authenticated, service_role;
grant all on schema extensions to dashboard_user;
-- What supabase_admin creates there (extension objects, event-trigger functions) is
-- postgres's to use and to pass on.
alter default privileges for role supabase_admin in schema extensions
  grant all on tables to postgres with grant option;
alter default privileges for role supabase_admin in schema extensions
  grant all on sequences to postgres with grant option;
alter default privileges for role supabase_admin in schema extensions
  grant all on functions to postgres with grant option;
create extension pgcrypto with schema extensions;
create extension "uuid-ossp" with schema extensions;

-- ── auth (the Auth service, GoTrue, connects as supabase_auth_admin) ─────────
create schema auth authorization supabase_admin;
grant usage on schema auth to anon, authenticated, service_role, postgres;
grant all on schema auth to supabase_auth_admin, dashboard_user;
-- Everything the Auth service creates is postgres's and dashboard_user's to use (not to pass on).
alter default privileges for role supabase_auth_admin in schema auth
  grant all on tables to postgres, dashboard_user;
alter default privileges for role supabase_auth_admin in schema auth
  grant all on sequences to postgres, dashboard_user;
alter default privileges for role supabase_auth_admin in schema auth
  grant all on functions to postgres, dashboard_user;

set role supabase_auth_admin;

create type auth.aal_level as enum ('aal1', 'aal2', 'aal3');
create type auth.factor_type as enum ('totp', 'webauthn', 'phone');
create type auth.factor_status as enum ('unverified', 'verified');
create type auth.one_time_token_type as enum (
  'confirmation_token', 'reauthentication_token', 'recovery_token',
  'email_change_token_new', 'email_change_token_current', 'phone_change_token'
);

-- Columns kept to those the app, the seed and a sync touch, plus each table's keys.
create table auth.users (
  instance_id uuid,
  id uuid not null,
  aud varchar(255),
  role varchar(255),
  email varchar(255),
  encrypted_password varchar(255),
  email_confirmed_at timestamptz,
  invited_at timestamptz,
  confirmation_token varchar(255),
  recovery_token varchar(255),
  last_sign_in_at timestamptz,
  raw_app_meta_data jsonb,
  raw_user_meta_data jsonb,
  is_super_admin boolean,
  created_at timestamptz,
  updated_at timestamptz,
  phone text default null,
  phone_confirmed_at timestamptz,
  confirmed_at timestamptz generated always as (least(email_confirmed_at, phone_confirmed_at)) stored,
  banned_until timestamptz,
  deleted_at timestamptz,
  is_sso_user boolean not null default false,
  is_anonymous boolean not null default false,
  constraint users_pkey primary key (id),
  constraint users_phone_key unique (phone)
);
create index users_instance_id_email_idx on auth.users (instance_id, lower(email::text));

create table auth.identities (
  provider_id text not null,
  user_id uuid not null,
  identity_data jsonb not null,
  provider text not null,
  last_sign_in_at timestamptz,
  created_at timestamptz,
  updated_at timestamptz,
  email text generated always as (lower(identity_data ->> 'email')) stored,
  id uuid not null default gen_random_uuid(),
  constraint identities_pkey primary key (id),
  constraint identities_provider_id_provider_unique unique (provider_id, provider),
  constraint identities_user_id_fkey foreign key (user_id) references auth.users (id) on delete cascade
);
create index identities_user_id_idx on auth.identities (user_id);

create table auth.sessions (
  id uuid not null,
  user_id uuid not null,
  created_at timestamptz,
  updated_at timestamptz,
  factor_id uuid,
  aal auth.aal_level,
  not_after timestamptz,
  refreshed_at timestamp,
  user_agent text,
  ip inet,
  constraint sessions_pkey primary key (id),
  constraint sessions_user_id_fkey foreign key (user_id) references auth.users (id) on delete cascade
);
create index sessions_user_id_idx on auth.sessions (user_id);

-- user_id is text and has no foreign key: refresh tokens go with their session.
create table auth.refresh_tokens (
  instance_id uuid,
  id bigserial not null,
  token varchar(255),
  user_id varchar(255),
  revoked boolean,
  created_at timestamptz,
  updated_at timestamptz,
  parent varchar(255),
  session_id uuid,
  constraint refresh_tokens_pkey primary key (id),
  constraint refresh_tokens_token_unique unique (token),
  constraint refresh_tokens_session_id_fkey foreign key (session_id) references auth.sessions (id) on delete cascade
);

create table auth.mfa_factors (
  id uuid not null,
  user_id uuid not null,
  friendly_name text,
  factor_type auth.factor_type not null,
  status auth.factor_status not null,
  created_at timestamptz not null,
  updated_at timestamptz not null,
  secret text,
  constraint mfa_factors_pkey primary key (id),
  constraint mfa_factors_user_id_fkey foreign key (user_id) references auth.users (id) on delete cascade
);

create table auth.mfa_amr_claims (
  id uuid not null,
  session_id uuid not null,
  authentication_method text not null,
  created_at timestamptz not null,
  updated_at timestamptz not null,
  constraint amr_id_pk primary key (id),
  constraint mfa_amr_claims_session_id_authentication_method_pkey unique (session_id, authentication_method),
  constraint mfa_amr_claims_session_id_fkey foreign key (session_id) references auth.sessions (id) on delete cascade
);

create table auth.one_time_tokens (
  id uuid not null,
  user_id uuid not null,
  token_type auth.one_time_token_type not null,
  token_hash text not null check (char_length(token_hash) > 0),
  relates_to text not null,
  created_at timestamp not null default now(),
  updated_at timestamp not null default now(),
  constraint one_time_tokens_pkey primary key (id),
  constraint one_time_tokens_user_id_fkey foreign key (user_id) references auth.users (id) on delete cascade
);
create unique index one_time_tokens_user_id_token_type_key on auth.one_time_tokens (user_id, token_type);

-- The Auth service's own migration history.
create table auth.schema_migrations (
  version varchar(255) not null,
  constraint schema_migrations_pkey primary key (version)
);

-- Every auth table has RLS on, with no policies: only roles that bypass RLS (postgres,
-- service_role) or own the table see rows.
alter table auth.users enable row level security;
alter table auth.identities enable row level security;
alter table auth.sessions enable row level security;
alter table auth.refresh_tokens enable row level security;
alter table auth.mfa_factors enable row level security;
alter table auth.mfa_amr_claims enable row level security;
alter table auth.one_time_tokens enable row level security;
alter table auth.schema_migrations enable row level security;

-- postgres may read them and let other roles read them.
grant select on auth.users, auth.identities, auth.sessions, auth.refresh_tokens, auth.mfa_factors,
  auth.mfa_amr_claims, auth.one_time_tokens to postgres with grant option;

-- The request's JWT, as PostgREST puts it in the settings; the claims-object setting is
-- the current one, the single-claim settings the older one.
create function auth.jwt() returns jsonb language sql stable as $$
  select coalesce(nullif(current_setting('request.jwt.claim', true), ''),
                  nullif(current_setting('request.jwt.claims', true), ''))::jsonb
$$;
create function auth.uid() returns uuid language sql stable as $$
  select coalesce(nullif(current_setting('request.jwt.claim.sub', true), ''), auth.jwt() ->> 'sub')::uuid
$$;
create function auth.role() returns text language sql stable as $$
  select coalesce(nullif(current_setting('request.jwt.claim.role', true), ''), auth.jwt() ->> 'role')
$$;
create function auth.email() returns text language sql stable as $$
  select coalesce(nullif(current_setting('request.jwt.claim.email', true), ''), auth.jwt() ->> 'email')
$$;

set role supabase_admin;
-- The Auth service's migration history is closed to postgres and the dashboard.
revoke all on auth.schema_migrations from postgres, dashboard_user;

-- ── storage (the Storage service connects as supabase_storage_admin) ─────────
create schema storage authorization supabase_admin;
grant usage on schema storage to anon, authenticated, service_role;
grant usage on schema storage to postgres with grant option;
grant all on schema storage to supabase_storage_admin, dashboard_user;
-- Set while postgres still created platform objects; it matches nothing postgres can
-- create now (it has no CREATE on storage), but it is there.
alter default privileges for role postgres in schema storage
  grant all on tables to postgres, anon, authenticated, service_role;
alter default privileges for role postgres in schema storage
  grant all on sequences to postgres, anon, authenticated, service_role;
alter default privileges for role postgres in schema storage
  grant all on functions to postgres, anon, authenticated, service_role;

set role supabase_storage_admin;

create table storage.buckets (
  id text not null,
  name text not null,
  owner uuid,
  owner_id text,
  public boolean default false,
  file_size_limit bigint,
  allowed_mime_types text[],
  created_at timestamptz default now(),
  updated_at timestamptz default now(),
  constraint buckets_pkey primary key (id)
);
create unique index bname on storage.buckets (name);

create table storage.objects (
  id uuid not null default gen_random_uuid(),
  bucket_id text,
  name text,
  owner uuid,
  owner_id text,
  metadata jsonb,
  user_metadata jsonb,
  path_tokens text[] generated always as (string_to_array(name, '/')) stored,
  version text,
  created_at timestamptz default now(),
  updated_at timestamptz default now(),
  last_accessed_at timestamptz default now(),
  constraint objects_pkey primary key (id),
  constraint "objects_bucketId_fkey" foreign key (bucket_id) references storage.buckets (id)
);
create unique index bucketid_objname on storage.objects (bucket_id, name);
create index name_prefix_search on storage.objects (name text_pattern_ops);

-- The Storage service's own migration history.
create table storage.migrations (
  id integer not null,
  name varchar(100) not null,
  hash varchar(40) not null,
  executed_at timestamp default current_timestamp,
  constraint migrations_pkey primary key (id),
  constraint migrations_name_key unique (name)
);

alter table storage.buckets enable row level security;
alter table storage.objects enable row level security;
alter table storage.migrations enable row level security;

-- Buckets and objects: everything to the API roles; to postgres with the right to pass it on.
grant all on storage.buckets, storage.objects to anon, authenticated, service_role;
grant all on storage.buckets, storage.objects to postgres with grant option;

-- Path helpers used in storage policies: 'a/b/c.pdf' → {a,b}, 'c.pdf', 'pdf'.
create function storage.foldername(name text) returns text[] language sql immutable as $$
  select p[1:array_length(p, 1) - 1] from string_to_array(name, '/') as p
$$;
create function storage.filename(name text) returns text language sql immutable as $$
  select p[array_length(p, 1)] from string_to_array(name, '/') as p
$$;
create function storage.extension(name text) returns text language sql immutable as $$
  select reverse(split_part(reverse(storage.filename(name)), '.', 1))
$$;

-- Rows of buckets and objects are deleted through the Storage API, which sets
-- storage.allow_delete_query; a plain DELETE is refused (TRUNCATE is not).
create function storage.protect_delete() returns trigger language plpgsql as $$
begin
  if coalesce(current_setting('storage.allow_delete_query', true), '') is distinct from 'true' then
    raise exception 'delete from %.% is refused: storage rows are deleted through the Storage API',
      tg_table_schema, tg_table_name
      using errcode = '42501', hint = 'set storage.allow_delete_query = ''true'' to delete anyway';
  end if;
  return null;
end
$$;
create trigger protect_buckets_delete before delete on storage.buckets
  for each statement execute function storage.protect_delete();
create trigger protect_objects_delete before delete on storage.objects
  for each statement execute function storage.protect_delete();

set role supabase_admin;

-- ── realtime ─────────────────────────────────────────────────────────────────
create schema realtime authorization supabase_admin;
grant usage, create on schema realtime to supabase_realtime_admin with grant option;
grant usage on schema realtime to anon, authenticated, service_role;
grant usage on schema realtime to postgres with grant option;
alter default privileges for role supabase_admin in schema realtime
  grant all on tables to postgres, dashboard_user;
alter default privileges for role supabase_admin in schema realtime
  grant all on sequences to postgres, dashboard_user;
alter default privileges for role supabase_admin in schema realtime
  grant all on functions to postgres, dashboard_user;

-- ── graphql_public (the pg_graphql entry point; pg_graphql itself is not installed) ─
create schema graphql_public authorization supabase_admin;
grant usage on schema graphql_public to anon, authenticated, service_role;
grant usage on schema graphql_public to postgres with grant option;
alter default privileges for role supabase_admin in schema graphql_public
  grant all on tables to postgres, anon, authenticated, service_role;
alter default privileges for role supabase_admin in schema graphql_public
  grant all on sequences to postgres, anon, authenticated, service_role;
alter default privileges for role supabase_admin in schema graphql_public
  grant all on functions to postgres, anon, authenticated, service_role;
-- What the platform leaves there while pg_graphql is off: an answer saying so.
create function graphql_public.graphql(
  "operationName" text default null,
  query text default null,
  variables jsonb default null,
  extensions jsonb default null
) returns jsonb language sql stable as $$
  select jsonb_build_object('errors', jsonb_build_array(
    jsonb_build_object('message', 'pg_graphql extension is not enabled.')))
$$;

-- ── pgbouncer (the pooler looks passwords up through this function) ──────────
create schema pgbouncer authorization supabase_admin;
grant usage on schema pgbouncer to pgbouncer;
create function pgbouncer.get_auth(p_usename text) returns table (username text, password text)
  language sql stable security definer set search_path = '' as $$
  select s.usename::text, s.passwd::text from pg_catalog.pg_shadow s where s.usename = p_usename
$$;
revoke all on function pgbouncer.get_auth(text) from public;
grant execute on function pgbouncer.get_auth(text) to pgbouncer;

-- ── created by postgres ──────────────────────────────────────────────────────
set role postgres;

-- The migration history the Supabase CLI keeps (created on the first `supabase db push`,
-- as the role it connects with).
create schema supabase_migrations;
create table supabase_migrations.schema_migrations (
  version text not null primary key,
  statements text[],
  name text
);

-- Realtime's publication, empty: the app adds its tables (it owns both).
create publication supabase_realtime;

set role supabase_admin;

-- ── event triggers, owned by supabase_admin, functions in extensions ─────────
-- PostgREST reloads its schema cache when told to: after DDL, and after drops.
create function extensions.pgrst_ddl_watch() returns event_trigger language plpgsql as $$
begin
  if exists (select from pg_event_trigger_ddl_commands() c where c.schema_name is distinct from 'pg_temp') then
    perform pg_notify('pgrst', 'reload schema');
  end if;
end
$$;
create function extensions.pgrst_drop_watch() returns event_trigger language plpgsql as $$
begin
  if exists (select from pg_event_trigger_dropped_objects() o where not o.is_temporary) then
    perform pg_notify('pgrst', 'reload schema');
  end if;
end
$$;

-- On the platform these grant access when pg_graphql, pg_cron or pg_net is installed, or
-- put the GraphQL placeholder back when pg_graphql is dropped. None of those extensions
-- exists here, so the functions only stand in for them.
create function extensions.grant_pg_graphql_access() returns event_trigger language plpgsql as $$
begin
  null; -- placeholder: pg_graphql cannot be installed on this server
end
$$;
create function extensions.set_graphql_placeholder() returns event_trigger language plpgsql as $$
begin
  null; -- placeholder: graphql_public.graphql above is already the "not enabled" answer
end
$$;
create function extensions.grant_pg_cron_access() returns event_trigger language plpgsql as $$
begin
  null; -- placeholder: pg_cron cannot be installed on this server
end
$$;
create function extensions.grant_pg_net_access() returns event_trigger language plpgsql as $$
begin
  null; -- placeholder: pg_net cannot be installed on this server
end
$$;

create event trigger pgrst_ddl_watch on ddl_command_end
  execute function extensions.pgrst_ddl_watch();
create event trigger pgrst_drop_watch on sql_drop
  execute function extensions.pgrst_drop_watch();
create event trigger issue_pg_graphql_access on ddl_command_end when tag in ('CREATE FUNCTION')
  execute function extensions.grant_pg_graphql_access();
create event trigger issue_graphql_placeholder on sql_drop when tag in ('DROP EXTENSION')
  execute function extensions.set_graphql_placeholder();
create event trigger issue_pg_cron_access on ddl_command_end when tag in ('CREATE EXTENSION')
  execute function extensions.grant_pg_cron_access();
create event trigger issue_pg_net_access on ddl_command_end when tag in ('CREATE EXTENSION')
  execute function extensions.grant_pg_net_access();

reset role;
