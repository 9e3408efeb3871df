-- Ordinary and partitioned tables (not extension members), with RLS flags, size and planner estimate.
select c.oid::int8 as oid, n.nspname as schema, c.relname as name,
       case c.relkind when 'p' then 'partitioned' else 'table' end as kind,
       pg_get_userbyid(c.relowner) as owner,
       c.relrowsecurity as rls_enabled, c.relforcerowsecurity as rls_forced,
       c.relpersistence = 'u' as unlogged,
       c.relispartition as is_partition,
       greatest(c.reltuples, 0)::int8 as estimated_rows,
       pg_total_relation_size(c.oid) as size_bytes,
       has_table_privilege(c.oid, 'SELECT') as readable
from pg_class c
join pg_namespace n on n.oid = c.relnamespace
where c.relkind in ('r', 'p')
  and n.nspname not in ('pg_catalog', 'information_schema', 'pg_toast')
  and not exists (select 1 from pg_depend d where d.classid = 'pg_class'::regclass and d.objid = c.oid and d.deptype = 'e')
order by 2, 3
