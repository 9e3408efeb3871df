-- What replacing the schemas in $1 needs: CREATE on the database (new schemas, publications), and the
-- existing ones among them the current role may neither create in nor act as the owner of.
select has_database_privilege(current_user, current_database(), 'CREATE') as create_db,
       (select coalesce(array_agg(n.nspname order by 1), '{}') from pg_namespace n
        where n.nspname = any($1::text[]) and not pg_has_role(n.nspowner, 'USAGE')
          and not has_schema_privilege(n.oid, 'CREATE')) as closed_schemas
