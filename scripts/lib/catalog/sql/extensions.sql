-- Installed extensions, the schema they live in, and their version.
select e.extname as name, n.nspname as schema, e.extversion as version
from pg_extension e join pg_namespace n on n.oid = e.extnamespace
order by 1
