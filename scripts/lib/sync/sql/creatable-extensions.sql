-- Extensions this server can install, and whether the current role may create each (trusted, or not superuser-only).
select name, bool_or(trusted or not superuser) as creatable
from pg_available_extension_versions
group by name
