-- The plpgsql functions and procedures of the schemas in $1 (not extension members), keyed as the
-- catalog model keys them; a trigger function once per table its triggers are on (none: relid null).
select p.oid::int8 as oid,
       format('%s.%s(%s)', n.nspname, p.proname, pg_catalog.pg_get_function_identity_arguments(p.oid)) as function,
       p.prorettype = 'pg_catalog.trigger'::pg_catalog.regtype as trigger_function,
       t.relid,
       t.relation
from pg_catalog.pg_proc p
join pg_catalog.pg_namespace n on n.oid = p.pronamespace
join pg_catalog.pg_language l on l.oid = p.prolang
left join lateral (
  select distinct tg.tgrelid::int8 as relid, tg.tgrelid::pg_catalog.regclass::text as relation
  from pg_catalog.pg_trigger tg
  where tg.tgfoid = p.oid and not tg.tgisinternal
) t on p.prorettype = 'pg_catalog.trigger'::pg_catalog.regtype
where l.lanname = 'plpgsql'
  and n.nspname = any($1::text[])
  and not exists (select 1 from pg_catalog.pg_depend d
                  where d.classid = 'pg_catalog.pg_proc'::pg_catalog.regclass and d.objid = p.oid and d.deptype = 'e')
order by 2, 5
