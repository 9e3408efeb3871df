-- Accommodation units and reservations, per tenant.

create schema hotels;
grant usage on schema hotels to authenticated, service_role;

create table hotels.accommodation_units (
  id uuid primary key default gen_random_uuid(),
  tenant_id uuid not null references public.tenant_registry (tenant_id) on delete cascade,
  parent_unit_id uuid references hotels.accommodation_units (id) on delete cascade,
  name text not null,
  unit_type text not null,
  amenities text[] not null default '{}',
  base_price numeric(10, 2) not null,
  capacity smallint not null check (capacity > 0),
  created_at timestamptz not null default now(),
  updated_at timestamptz not null default now()
);
create index accommodation_units_tenant_idx on hotels.accommodation_units (tenant_id);

create table hotels.policies (
  tenant_id uuid not null references public.tenant_registry (tenant_id) on delete cascade,
  policy_key text not null,
  title text not null,
  body text not null,
  primary key (tenant_id, policy_key)
);

create table public.guest_reservations (
  id uuid primary key default gen_random_uuid(),
  tenant_id uuid not null references public.tenant_registry (tenant_id) on delete cascade,
  accommodation_unit_id uuid references hotels.accommodation_units (id) on delete set null,
  guest_name text not null,
  guest_email text,
  guest_country text references public.sire_countries (country_code),
  check_in date not null,
  check_out date not null,
  total_price numeric(12, 2) not null,
  nights integer generated always as (check_out - check_in) stored,
  accommodation_unit_id_key text generated always as (tenant_id::text || ':' || coalesce(accommodation_unit_id::text, '-')) stored,
  status text not null default 'confirmed',
  created_at timestamptz not null default now(),
  updated_at timestamptz not null default now(),
  check (check_out > check_in)
);
create index guest_reservations_tenant_check_in_idx on public.guest_reservations (tenant_id, check_in);

create function hotels.unit_occupancy(p_unit uuid, p_day date) returns integer language plpgsql stable as $$
declare
  n integer;
begin
  select count(*) into n from public.guest_reservations
   where accommodation_unit_id = p_unit and p_day >= check_in and p_day < check_out;
  return n;
end
$$;

create trigger accommodation_units_updated_at before update on hotels.accommodation_units
  for each row execute function public.set_updated_at();
create trigger guest_reservations_updated_at before update on public.guest_reservations
  for each row execute function public.set_updated_at();
create trigger guest_reservations_audit after insert or update or delete on public.guest_reservations
  for each row execute function public.audit_row('id');

alter table hotels.accommodation_units enable row level security;
alter table hotels.policies enable row level security;
alter table public.guest_reservations enable row level security;

create policy "staff manage units" on hotels.accommodation_units for all to authenticated
  using (tenant_id in (select public.current_tenant_ids()))
  with check (tenant_id in (select public.current_tenant_ids()));
create policy "staff read policies" on hotels.policies for select to authenticated
  using (tenant_id in (select public.current_tenant_ids()));
create policy "staff manage reservations" on public.guest_reservations for all to authenticated
  using (tenant_id in (select public.current_tenant_ids()))
  with check (tenant_id in (select public.current_tenant_ids()));

grant select, insert, update, delete on all tables in schema hotels to authenticated;
