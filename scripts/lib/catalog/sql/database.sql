-- The server and database this inventory describes, and who is looking.
select current_database() as name,
       current_setting('server_version') as server_version,
       current_setting('server_version_num')::int as server_version_num,
       current_user as current_user,
       (select rolsuper from pg_roles where rolname = current_user) as is_superuser,
       pg_database_size(current_database()) as size_bytes,
       (select pg_get_userbyid(datdba) from pg_database where datname = current_database()) as owner,
       current_setting('server_encoding') as encoding
