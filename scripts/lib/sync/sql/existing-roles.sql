-- Which of the role names in $1 exist on this server.
select rolname from pg_roles where rolname = any($1::text[])
