-- User-defined casts (database-wide; not extension members, nor the casts a range type makes for
-- its multirange) with the schemas of the types and function they name: a schema dump does not carry them, so the app's are re-created after a load.
select format_type(c.castsource, null) as source, format_type(c.casttarget, null) as target,
       array_remove(array[sn.nspname, tn.nspname, fn.nspname], null)::text[] as schemas,
       case c.castmethod when 'f' then 'WITH FUNCTION ' || c.castfunc::regprocedure::text
                         when 'i' then 'WITH INOUT' else 'WITHOUT FUNCTION' end
       || case c.castcontext when 'a' then ' AS ASSIGNMENT' when 'i' then ' AS IMPLICIT' else '' end as how
from pg_cast c
join pg_type st on st.oid = c.castsource
join pg_namespace sn on sn.oid = st.typnamespace
join pg_type tt on tt.oid = c.casttarget
join pg_namespace tn on tn.oid = tt.typnamespace
left join pg_proc f on f.oid = c.castfunc
left join pg_namespace fn on fn.oid = f.pronamespace
where c.oid >= 16384
  and not exists (select 1 from pg_depend d where d.classid = 'pg_cast'::regclass and d.objid = c.oid and d.deptype in ('e', 'i'))
order by 1, 2
