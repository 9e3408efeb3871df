-- Default privileges (ALTER DEFAULT PRIVILEGES): what new objects of a role get.
select pg_get_userbyid(d.defaclrole) as role, n.nspname as schema,
       case d.defaclobjtype when 'r' then 'tables' when 'S' then 'sequences' when 'f' then 'functions'
                            when 'T' then 'types' when 'n' then 'schemas' end as object_type,
       case when a.grantee = 0 then 'public' else pg_get_userbyid(a.grantee) end as grantee,
       a.privilege_type as privilege, a.is_grantable as grantable
from pg_default_acl d
left join pg_namespace n on n.oid = d.defaclnamespace, aclexplode(d.defaclacl) a
order by 1, 2, 3, 4, 5
