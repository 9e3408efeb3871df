-- Installed extensions, the schema they live in, their version and owner, whether they can move.
select e.extname as name, n.nspname as schema, e.extversion as version, pg_get_userbyid(e.extowner) as owner,
       e.extrelocatable as relocatable
from pg_extension e join pg_namespace n on n.oid = e.extnamespace
order by 1
