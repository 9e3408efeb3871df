-- Columns of tables, views and matviews: type, nullability, default, generated and identity kind.
select a.attrelid::int8 as table_oid, a.attnum as position, a.attname as name,
       format_type(a.atttypid, a.atttypmod) as type,
       a.attnotnull as not_null,
       case when a.attgenerated = '' then pg_get_expr(d.adbin, d.adrelid) end as default_expr,
       case when a.attgenerated = 's' then pg_get_expr(d.adbin, d.adrelid) end as generated_expr,
       case a.attidentity when 'a' then 'always' when 'd' then 'by default' end as identity,
       case when a.attcollation <> t.typcollation then col.collname end as collation
from pg_attribute a
join pg_class c on c.oid = a.attrelid
join pg_namespace n on n.oid = c.relnamespace
join pg_type t on t.oid = a.atttypid
left join pg_attrdef d on d.adrelid = a.attrelid and d.adnum = a.attnum
left join pg_collation col on col.oid = a.attcollation
where c.relkind in ('r', 'p', 'v', 'm')
  and a.attnum > 0 and not a.attisdropped
  and n.nspname not in ('pg_catalog', 'information_schema', 'pg_toast')
order by 1, 2
