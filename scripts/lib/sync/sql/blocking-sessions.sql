-- Sessions on this database that hold locks on relations of the schemas in $1, or sit idle in a transaction.
select distinct a.pid, coalesce(a.usename, '') as user, coalesce(a.application_name, '') as application,
       coalesce(a.state, '') as state, a.xact_start::text as since
from pg_stat_activity a
where a.datname = current_database() and a.pid <> pg_backend_pid() and a.backend_type = 'client backend'
  and (a.state like 'idle in transaction%'
       or exists (select 1 from pg_locks l join pg_class c on c.oid = l.relation
                  join pg_namespace n on n.oid = c.relnamespace
                  where l.pid = a.pid and n.nspname = any($1::text[])))
order by a.pid
