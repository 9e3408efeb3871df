-- Views and materialized views (not extension members) with their definition.
select c.oid::int8 as oid, n.nspname as schema, c.relname as name,
       case c.relkind when 'm' then 'matview' else 'view' end as kind,
       pg_get_userbyid(c.relowner) as owner,
       pg_get_viewdef(c.oid) as definition,
       c.relkind = 'm' and c.relispopulated as populated,
       coalesce(c.reloptions, '{}')::text[] as options
from pg_class c
join pg_namespace n on n.oid = c.relnamespace
where c.relkind in ('v', 'm')
  and n.nspname not in ('pg_catalog', 'information_schema', 'pg_toast')
  and not exists (select 1 from pg_depend d where d.classid = 'pg_class'::regclass and d.objid = c.oid and d.deptype = 'e')
order by 2, 3
