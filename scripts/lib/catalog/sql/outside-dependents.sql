-- Objects outside the given schemas that depend on an object inside them: what DROP … CASCADE of the
-- inside object would take with it. Every object is placed in its schema from its own catalog (a
-- trigger, policy, rule, default or constraint in its table's, an operator-family member in its
-- family's); casts, event triggers and publication membership have none and count as outside.
with placed(classid, objid, nsp) as (
  select 'pg_class'::regclass, oid, relnamespace from pg_class
  union all select 'pg_proc'::regclass, oid, pronamespace from pg_proc
  union all select 'pg_type'::regclass, oid, typnamespace from pg_type
  union all select 'pg_collation'::regclass, oid, collnamespace from pg_collation
  union all select 'pg_conversion'::regclass, oid, connamespace from pg_conversion
  union all select 'pg_operator'::regclass, oid, oprnamespace from pg_operator
  union all select 'pg_opclass'::regclass, oid, opcnamespace from pg_opclass
  union all select 'pg_opfamily'::regclass, oid, opfnamespace from pg_opfamily
  union all select 'pg_ts_config'::regclass, oid, cfgnamespace from pg_ts_config
  union all select 'pg_ts_dict'::regclass, oid, dictnamespace from pg_ts_dict
  union all select 'pg_ts_parser'::regclass, oid, prsnamespace from pg_ts_parser
  union all select 'pg_ts_template'::regclass, oid, tmplnamespace from pg_ts_template
  union all select 'pg_statistic_ext'::regclass, oid, stxnamespace from pg_statistic_ext
  union all select 'pg_trigger'::regclass, t.oid, c.relnamespace from pg_trigger t join pg_class c on c.oid = t.tgrelid
  union all select 'pg_policy'::regclass, p.oid, c.relnamespace from pg_policy p join pg_class c on c.oid = p.polrelid
  union all select 'pg_rewrite'::regclass, r.oid, c.relnamespace from pg_rewrite r join pg_class c on c.oid = r.ev_class
  union all select 'pg_attrdef'::regclass, a.oid, c.relnamespace from pg_attrdef a join pg_class c on c.oid = a.adrelid
  union all select 'pg_constraint'::regclass, k.oid, coalesce(c.relnamespace, t.typnamespace)
            from pg_constraint k left join pg_class c on c.oid = k.conrelid left join pg_type t on t.oid = k.contypid
  union all select 'pg_amop'::regclass, a.oid, f.opfnamespace from pg_amop a join pg_opfamily f on f.oid = a.amopfamily
  union all select 'pg_amproc'::regclass, a.oid, f.opfnamespace from pg_amproc a join pg_opfamily f on f.oid = a.amprocfamily
),
inside as (select oid from pg_namespace where nspname = any ($1::text[])),
crossing as (
  select distinct d.classid, d.objid, d.objsubid, d.refclassid, d.refobjid, d.refobjsubid, o.nsp as dependent_nsp
  from pg_depend d
  join placed r on r.classid = d.refclassid and r.objid = d.refobjid
  left join placed o on o.classid = d.classid and o.objid = d.objid
  where d.deptype in ('n', 'a') and d.classid <> 'pg_namespace'::regclass
    and r.nsp in (select oid from inside)
    and (o.nsp is null or o.nsp not in (select oid from inside))
    and not exists (select 1 from pg_depend x where x.classid = d.classid and x.objid = d.objid and x.deptype = 'e')
)
select distinct
       case classid when 'pg_trigger'::regclass then 'trigger' when 'pg_policy'::regclass then 'policy'
                    when 'pg_publication_rel'::regclass then 'publication membership'
                    when 'pg_event_trigger'::regclass then 'event trigger'
                    when 'pg_cast'::regclass then 'cast'
                    else (pg_identify_object(classid, objid, 0)).type end as kind,
       pg_describe_object(classid, objid, objsubid) as dependent,
       (select nspname from pg_namespace where oid = dependent_nsp) as dependent_schema,
       pg_describe_object(refclassid, refobjid, refobjsubid) as depends_on
from crossing
order by 1, 2
