-- Ordinary and partitioned tables (not extension members — but an extension's configuration
-- tables, whose rows are data: pg_cron's cron.job), with RLS flags, size, planner estimate, and
-- for a partition its parent and bound.
select c.oid::int8 as oid, n.nspname as schema, c.relname as name,
       case c.relkind when 'p' then 'partitioned' else 'table' end as kind,
       pg_get_userbyid(c.relowner) as owner,
       c.relrowsecurity as rls_enabled, c.relforcerowsecurity as rls_forced,
       c.relpersistence = 'u' as unlogged,
       (select amname from pg_am where oid = c.relam) as access_method,
       c.relispartition as is_partition,
       (select format('%s.%s', pn.nspname, p.relname) from pg_inherits i join pg_class p on p.oid = i.inhparent
        join pg_namespace pn on pn.oid = p.relnamespace where i.inhrelid = c.oid and c.relispartition) as partition_of,
       pg_get_expr(c.relpartbound, c.oid) as partition_bound,
       case when c.relkind = 'p' then pg_get_partkeydef(c.oid) end as partition_key,
       greatest(c.reltuples, 0)::int8 as estimated_rows,
       pg_total_relation_size(c.oid) as size_bytes,
       has_table_privilege(c.oid, 'SELECT') as readable
from pg_class c
join pg_namespace n on n.oid = c.relnamespace
where c.relkind in ('r', 'p')
  and n.nspname not in ('pg_catalog', 'information_schema', 'pg_toast')
  and not exists (select 1 from pg_depend d where d.classid = 'pg_class'::regclass and d.objid = c.oid and d.deptype = 'e'
                  and not exists (select 1 from pg_extension x where x.oid = d.refobjid and c.oid = any(x.extconfig)))
order by 2, 3
