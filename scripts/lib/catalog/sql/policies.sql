-- Row-level security policies with their command, roles and expressions.
select n.nspname as schema, c.relname as table, pol.polname as name,
       case pol.polcmd when 'r' then 'select' when 'a' then 'insert' when 'w' then 'update' when 'd' then 'delete' else 'all' end as command,
       pol.polpermissive as permissive,
       case when pol.polroles = '{0}' then array['public']::text[]
            else array(select rolname from pg_roles where oid = any(pol.polroles) order by rolname)::text[] end as roles,
       pg_get_expr(pol.polqual, pol.polrelid) as using_expr,
       pg_get_expr(pol.polwithcheck, pol.polrelid) as check_expr
from pg_policy pol
join pg_class c on c.oid = pol.polrelid
join pg_namespace n on n.oid = c.relnamespace
order by 1, 2, 3
