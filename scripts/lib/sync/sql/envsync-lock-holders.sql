-- Other sessions holding envsync's advisory lock ($1, db/lock.ts) on this database.
select pid from pg_locks
where locktype = 'advisory' and database = (select oid from pg_database where datname = current_database())
  and ((classid::int8 << 32) | objid::int8) = $1::int8 and pid <> pg_backend_pid()
