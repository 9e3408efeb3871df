-- Functions and procedures (not extension members): signature, language (trusted or not), security,
-- leakproofness, and a hash of the source.
select p.oid::int8 as oid, n.nspname as schema, p.proname as name,
       pg_get_function_identity_arguments(p.oid) as arguments,
       case p.prokind when 'f' then 'function' when 'p' then 'procedure' when 'a' then 'aggregate' when 'w' then 'window' end as kind,
       l.lanname as language,
       pg_get_function_result(p.oid) as result,
       p.prosecdef as security_definer,
       case p.provolatile when 'i' then 'immutable' when 's' then 'stable' else 'volatile' end as volatility,
       pg_get_userbyid(p.proowner) as owner,
       md5(case when p.prokind = 'a' then p.proname else pg_get_functiondef(p.oid) end) as definition_md5,
       coalesce(p.proconfig, '{}')::text[] as config,
       p.proleakproof as leakproof, l.lanpltrusted as trusted_language
from pg_proc p
join pg_namespace n on n.oid = p.pronamespace
join pg_language l on l.oid = p.prolang
where n.nspname not in ('pg_catalog', 'information_schema', 'pg_toast')
  and not exists (select 1 from pg_depend d where d.classid = 'pg_proc'::regclass and d.objid = p.oid and d.deptype = 'e')
order by 2, 3, 4
