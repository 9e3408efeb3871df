-- Every object that lives in a schema (pg_depend 'n' on pg_namespace), whatever its kind, that is
-- not an extension member nor an internal or automatic part of another object in the same schema
-- (a partition whose parent, or statistics whose table, lives elsewhere are listed; a partitioned
-- table's dependency on its own key columns does not count): what replacing a
-- schema removes. Owner from the object's own catalog; extensions are listed by extensions.sql.
select n.nspname as schema,
       case when o.type <> 'type' then o.type
            when t.typtype = 'd' then 'domain' when t.typtype = 'e' then 'enum'
            when t.typtype = 'c' then 'composite type' when t.typtype = 'r' then 'range type' else 'type' end as kind,
       o.identity,
       coalesce(pg_get_userbyid(coalesce(c.relowner, p.proowner, t.typowner, co.collowner, cv.conowner, op.oprowner,
                                         oc.opcowner, ofa.opfowner, tc.cfgowner, td.dictowner, st.stxowner)), '') as owner
from pg_depend d
join pg_namespace n on n.oid = d.refobjid
cross join lateral pg_identify_object(d.classid, d.objid, d.objsubid) o
left join pg_class c on d.classid = 'pg_class'::regclass and c.oid = d.objid
left join pg_proc p on d.classid = 'pg_proc'::regclass and p.oid = d.objid
left join pg_type t on d.classid = 'pg_type'::regclass and t.oid = d.objid
left join pg_collation co on d.classid = 'pg_collation'::regclass and co.oid = d.objid
left join pg_conversion cv on d.classid = 'pg_conversion'::regclass and cv.oid = d.objid
left join pg_operator op on d.classid = 'pg_operator'::regclass and op.oid = d.objid
left join pg_opclass oc on d.classid = 'pg_opclass'::regclass and oc.oid = d.objid
left join pg_opfamily ofa on d.classid = 'pg_opfamily'::regclass and ofa.oid = d.objid
left join pg_ts_config tc on d.classid = 'pg_ts_config'::regclass and tc.oid = d.objid
left join pg_ts_dict td on d.classid = 'pg_ts_dict'::regclass and td.oid = d.objid
left join pg_statistic_ext st on d.classid = 'pg_statistic_ext'::regclass and st.oid = d.objid
where d.refclassid = 'pg_namespace'::regclass and d.deptype = 'n'
  and d.classid <> 'pg_extension'::regclass
  and n.nspname not in ('pg_catalog', 'information_schema', 'pg_toast')
  and not exists (select 1 from pg_depend x
                  where x.classid = d.classid and x.objid = d.objid
                    and not (x.refclassid = d.classid and x.refobjid = d.objid)
                    and (x.deptype = 'e'
                         -- a part goes with its whole only when the whole is in the same schema
                         -- (pg_identify_object quotes the schema name)
                         or (x.deptype in ('i', 'a')
                             and (pg_identify_object(x.refclassid, x.refobjid, 0)).schema is not distinct from quote_ident(n.nspname))))
order by 1, 2, 3
