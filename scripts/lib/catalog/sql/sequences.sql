-- Sequences (not extension members) with their owner, their state and the column that owns them.
select s.schemaname as schema, s.sequencename as name, pg_get_userbyid(c.relowner) as owner, s.data_type::text as data_type,
       s.start_value, s.increment_by as increment, s.min_value, s.max_value, s.cycle, s.cache_size,
       s.last_value,
       (select dn.nspname || '.' || dc.relname || '.' || da.attname
          from pg_depend d
          join pg_class dc on dc.oid = d.refobjid
          join pg_namespace dn on dn.oid = dc.relnamespace
          join pg_attribute da on da.attrelid = d.refobjid and da.attnum = d.refobjsubid
         where d.classid = 'pg_class'::regclass and d.objid = c.oid and d.deptype in ('a', 'i')
         limit 1) as owned_by,
       exists (select 1 from pg_depend d where d.classid = 'pg_class'::regclass and d.objid = c.oid and d.deptype = 'i') as identity
from pg_sequences s
join pg_namespace n on n.nspname = s.schemaname
join pg_class c on c.relname = s.sequencename and c.relnamespace = n.oid
where not exists (select 1 from pg_depend d where d.classid = 'pg_class'::regclass and d.objid = c.oid and d.deptype = 'e')
order by 1, 2
