-- Tenants, staff and the shared reference data of the hotel guest-chat app.

create type public.subscription_tier as enum ('free', 'basic', 'premium', 'enterprise');

create table public.tenant_registry (
  tenant_id uuid primary key default extensions.uuid_generate_v4(),
  slug text not null unique,
  nombre_comercial text not null,
  subscription_tier public.subscription_tier not null default 'free',
  features jsonb not null default '{}'::jsonb,
  owner_user_id uuid,
  created_at timestamptz not null default now(),
  updated_at timestamptz not null default now()
);

-- Reference data without RLS on purpose: analyze and health-check are tested against it.
-- envsync-lint-ignore table-without-rls
create table public.sire_countries (
  country_code text primary key,
  name text not null,
  sire_code integer not null unique
);

-- envsync-lint-ignore table-without-rls (reference data, as above)
create table public.sire_cities (
  city_code text primary key,
  country_code text not null references public.sire_countries (country_code),
  name text not null
);

create table public.staff_users (
  user_id uuid primary key references auth.users (id) on delete cascade,
  tenant_id uuid not null references public.tenant_registry (tenant_id) on delete cascade,
  full_name text not null,
  role text not null check (role in ('owner', 'admin', 'staff')),
  permissions text[] not null default '{}',
  manager_id uuid references public.staff_users (user_id) on delete set null,
  created_at timestamptz not null default now(),
  updated_at timestamptz not null default now()
);
create index staff_users_tenant_id_idx on public.staff_users (tenant_id);

-- A tenant's owner is one of its staff: the FK cycle every naive sync trips over.
alter table public.tenant_registry
  add constraint tenant_registry_owner_user_id_fkey
  foreign key (owner_user_id) references public.staff_users (user_id) on delete set null;

create table public.profiles (
  id uuid primary key references auth.users (id) on delete cascade,
  email text,
  display_name text,
  created_at timestamptz not null default now()
);

create table public.user_tenant_permissions (
  user_id uuid not null references auth.users (id) on delete cascade,
  tenant_id uuid not null references public.tenant_registry (tenant_id) on delete cascade,
  permission text not null,
  granted_at timestamptz not null default now(),
  primary key (user_id, tenant_id)
);

create table public.audit_log (
  id bigint generated always as identity primary key,
  table_name text not null,
  operation text not null,
  row_key jsonb not null,
  changed_by uuid,
  changed_at timestamptz not null default now()
);

create function public.set_updated_at() returns trigger language plpgsql as $$
begin
  new.updated_at := now();
  return new;
end
$$;

create function public.audit_row() returns trigger language plpgsql security definer set search_path = '' as $$
begin
  insert into public.audit_log (table_name, operation, row_key, changed_by)
  values (tg_table_schema || '.' || tg_table_name, tg_op,
          jsonb_build_object('pk', to_jsonb(coalesce(new, old)) -> tg_argv[0]), auth.uid());
  return coalesce(new, old);
end
$$;

-- Every new auth user gets a profile row (Supabase's classic signup trigger).
create function public.handle_new_user() returns trigger language plpgsql security definer set search_path = '' as $$
begin
  insert into public.profiles (id, email, display_name, created_at)
  values (new.id, new.email, new.raw_user_meta_data ->> 'display_name', coalesce(new.created_at, now()));
  return new;
end
$$;

create trigger on_auth_user_created after insert on auth.users
  for each row execute function public.handle_new_user();

create function public.current_tenant_ids() returns setof uuid language sql stable security definer set search_path = '' as $$
  select tenant_id from public.staff_users where user_id = auth.uid()
  union
  select tenant_id from public.user_tenant_permissions where user_id = auth.uid()
$$;

create trigger tenant_registry_updated_at before update on public.tenant_registry
  for each row execute function public.set_updated_at();
create trigger staff_users_updated_at before update on public.staff_users
  for each row execute function public.set_updated_at();
create trigger tenant_registry_audit after insert or update or delete on public.tenant_registry
  for each row execute function public.audit_row('tenant_id');

alter table public.tenant_registry enable row level security;
alter table public.staff_users enable row level security;
alter table public.profiles enable row level security;
alter table public.user_tenant_permissions enable row level security;
alter table public.user_tenant_permissions force row level security;

create policy "staff read their tenants" on public.tenant_registry for select to authenticated
  using (tenant_id in (select public.current_tenant_ids()));
create policy "staff read colleagues" on public.staff_users for select to authenticated
  using (tenant_id in (select public.current_tenant_ids()));
create policy "users read own profile" on public.profiles for select to authenticated
  using (id = auth.uid());
create policy "users update own profile" on public.profiles for update to authenticated
  using (id = auth.uid()) with check (id = auth.uid());
create policy "users read own permissions" on public.user_tenant_permissions for select to authenticated
  using (user_id = auth.uid());

revoke all on public.audit_log from anon, authenticated;
grant select on public.sire_countries, public.sire_cities to anon;
