-- Explicit privileges on schemas, tables, views, sequences and functions (aclexplode of every ACL);
-- a function also by its name and argument list apart (a name may hold parentheses).
with objects as (
  select 'schema' as kind, n.nspname as schema, n.nspname as name, null as routine, null as arguments,
         n.nspacl as acl, n.nspowner as owner
  from pg_namespace n
  where n.nspname not in ('pg_catalog', 'information_schema', 'pg_toast') and n.nspname not like 'pg\_%temp%'
  union all
  select case c.relkind when 'S' then 'sequence' when 'v' then 'view' when 'm' then 'matview' else 'table' end,
         n.nspname, c.relname, null, null, c.relacl, c.relowner
  from pg_class c join pg_namespace n on n.oid = c.relnamespace
  where c.relkind in ('r', 'p', 'v', 'm', 'S') and n.nspname not in ('pg_catalog', 'information_schema', 'pg_toast')
    and not exists (select 1 from pg_depend d where d.classid = 'pg_class'::regclass and d.objid = c.oid and d.deptype = 'e')
  union all
  select 'function', n.nspname, p.proname || '(' || pg_get_function_identity_arguments(p.oid) || ')',
         p.proname, pg_get_function_identity_arguments(p.oid), p.proacl, p.proowner
  from pg_proc p join pg_namespace n on n.oid = p.pronamespace
  where n.nspname not in ('pg_catalog', 'information_schema', 'pg_toast')
    and not exists (select 1 from pg_depend d where d.classid = 'pg_proc'::regclass and d.objid = p.oid and d.deptype = 'e')
)
select o.kind, o.schema, o.name, o.routine, o.arguments,
       case when a.grantee = 0 then 'public' else pg_get_userbyid(a.grantee) end as grantee,
       a.privilege_type as privilege, a.is_grantable as grantable,
       pg_get_userbyid(a.grantor) as grantor, pg_get_userbyid(o.owner) as owner
from objects o, aclexplode(o.acl) a
where a.grantee <> o.owner
order by 2, 3, 1, 4, 5
