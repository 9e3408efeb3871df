-- User triggers on tables and views, with their enabled state and full definition.
select n.nspname as schema, c.relname as table, t.tgname as name,
       case t.tgenabled when 'O' then 'origin' when 'D' then 'disabled' when 'R' then 'replica' when 'A' then 'always' end as enabled,
       pn.nspname || '.' || p.proname as function,
       pg_get_triggerdef(t.oid) as definition
from pg_trigger t
join pg_class c on c.oid = t.tgrelid
join pg_namespace n on n.oid = c.relnamespace
join pg_proc p on p.oid = t.tgfoid
join pg_namespace pn on pn.oid = p.pronamespace
where not t.tgisinternal
  and n.nspname not in ('pg_catalog', 'information_schema', 'pg_toast')
order by 1, 2, 3
