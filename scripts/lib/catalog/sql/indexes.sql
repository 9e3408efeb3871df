-- Indexes of tables and matviews that no constraint owns, with their full definition.
select i.indrelid::int8 as table_oid, ic.relname as name, pg_get_indexdef(i.indexrelid) as definition,
       i.indisunique as is_unique, (select amname from pg_am where oid = ic.relam) as access_method
from pg_index i
join pg_class ic on ic.oid = i.indexrelid
join pg_class c on c.oid = i.indrelid
join pg_namespace n on n.oid = c.relnamespace
where n.nspname not in ('pg_catalog', 'information_schema', 'pg_toast')
  and c.relkind in ('r', 'p', 'm')
  and not exists (select 1 from pg_constraint con where con.conindid = i.indexrelid and con.contype in ('p', 'u', 'x'))
  and not exists (select 1 from pg_depend d where d.classid = 'pg_class'::regclass and d.objid = c.oid and d.deptype = 'e')
order by 1, 2
