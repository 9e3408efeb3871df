-- Table constraints (primary, unique, foreign, check, exclusion) with their definition and columns;
-- `inherited` marks those a partition got from its parent (its key, cloned FKs).
select con.conrelid::int8 as table_oid, con.conname as name,
       case con.contype when 'p' then 'primary key' when 'u' then 'unique' when 'f' then 'foreign key'
                        when 'c' then 'check' when 'x' then 'exclusion' else con.contype::text end as type,
       pg_get_constraintdef(con.oid) as definition,
       array(select a.attname from unnest(con.conkey) with ordinality k(attnum, ord)
             join pg_attribute a on a.attrelid = con.conrelid and a.attnum = k.attnum order by k.ord)::text[] as columns,
       rn.nspname as ref_schema, rc.relname as ref_table,
       array(select a.attname from unnest(con.confkey) with ordinality k(attnum, ord)
             join pg_attribute a on a.attrelid = con.confrelid and a.attnum = k.attnum order by k.ord)::text[] as ref_columns,
       con.conparentid <> 0 as inherited,
       case con.confdeltype when 'c' then 'cascade' when 'n' then 'set null' when 'd' then 'set default'
                            when 'r' then 'restrict' else 'no action' end as on_delete,
       con.condeferrable as deferrable, con.condeferred as deferred, con.convalidated as validated,
       coalesce((select bool_and(not a.attnotnull) from unnest(con.conkey) k(attnum)
                 join pg_attribute a on a.attrelid = con.conrelid and a.attnum = k.attnum), false) as nullable
from pg_constraint con
join pg_class c on c.oid = con.conrelid
join pg_namespace n on n.oid = c.relnamespace
left join pg_class rc on rc.oid = con.confrelid
left join pg_namespace rn on rn.oid = rc.relnamespace
where con.contype in ('p', 'u', 'f', 'c', 'x')
  and n.nspname not in ('pg_catalog', 'information_schema', 'pg_toast')
order by 1, 2
