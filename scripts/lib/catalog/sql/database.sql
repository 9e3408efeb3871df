-- The server and database this inventory describes, who is looking, and the roles it can act as
-- (its own and those whose privileges it has — USAGE, as ownership checks use: the owners whose
-- objects it may drop, alter or create),
-- and the access methods tables and indexes can use here.
select current_database() as name,
       current_setting('server_version') as server_version,
       current_setting('server_version_num')::int as server_version_num,
       current_user as current_user,
       (select rolsuper from pg_roles where rolname = current_user) as is_superuser,
       (select rolbypassrls from pg_roles where rolname = current_user) as bypass_rls,
       pg_database_size(current_database()) as size_bytes,
       (select pg_get_userbyid(datdba) from pg_database where datname = current_database()) as owner,
       current_setting('server_encoding') as encoding,
       array(select rolname from pg_roles where pg_has_role(current_user, oid, 'USAGE') order by 1)::text[] as member_of,
       array(select amname from pg_am order by 1)::text[] as access_methods
