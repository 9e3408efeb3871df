-- Objects outside the given schemas that depend on an object inside them: what DROP … CASCADE of the
-- inside object would take with it. Sub-objects (triggers, policies, rules, defaults, constraints)
-- are placed in their table's schema, operator-family members in their family's; casts and
-- publication membership are reported as such.
with deps as (
  select d.classid, d.objid, d.objsubid, d.refclassid, d.refobjid, d.refobjsubid,
         case d.classid
           when 'pg_trigger'::regclass then (select c.relnamespace from pg_trigger t join pg_class c on c.oid = t.tgrelid where t.oid = d.objid)
           when 'pg_policy'::regclass then (select c.relnamespace from pg_policy p join pg_class c on c.oid = p.polrelid where p.oid = d.objid)
           when 'pg_rewrite'::regclass then (select c.relnamespace from pg_rewrite r join pg_class c on c.oid = r.ev_class where r.oid = d.objid)
           when 'pg_attrdef'::regclass then (select c.relnamespace from pg_attrdef a join pg_class c on c.oid = a.adrelid where a.oid = d.objid)
           when 'pg_constraint'::regclass then (select coalesce(c.relnamespace, t.typnamespace) from pg_constraint k
                                                 left join pg_class c on c.oid = k.conrelid left join pg_type t on t.oid = k.contypid
                                                 where k.oid = d.objid)
           when 'pg_amop'::regclass then (select f.opfnamespace from pg_amop a join pg_opfamily f on f.oid = a.amopfamily where a.oid = d.objid)
           when 'pg_amproc'::regclass then (select f.opfnamespace from pg_amproc a join pg_opfamily f on f.oid = a.amprocfamily where a.oid = d.objid)
           when 'pg_publication_rel'::regclass then null
           when 'pg_event_trigger'::regclass then null
           else (select n.oid from pg_namespace n where n.nspname = (pg_identify_object(d.classid, d.objid, 0)).schema)
         end as dependent_namespace,
         (select n.oid from pg_namespace n where n.nspname = (pg_identify_object(d.refclassid, d.refobjid, 0)).schema) as ref_namespace
  from pg_depend d
  where d.deptype in ('n', 'a') and d.classid <> 'pg_namespace'::regclass
)
select distinct
       case deps.classid when 'pg_trigger'::regclass then 'trigger' when 'pg_policy'::regclass then 'policy'
                         when 'pg_publication_rel'::regclass then 'publication membership'
                         when 'pg_event_trigger'::regclass then 'event trigger'
                         when 'pg_cast'::regclass then 'cast'
                         else (pg_identify_object(deps.classid, deps.objid, 0)).type end as kind,
       pg_describe_object(deps.classid, deps.objid, deps.objsubid) as dependent,
       pg_describe_object(deps.refclassid, deps.refobjid, deps.refobjsubid) as depends_on
from deps
join pg_namespace rn on rn.oid = deps.ref_namespace
where rn.nspname = any ($1::text[])
  and (deps.dependent_namespace is null
       or (select nspname from pg_namespace where oid = deps.dependent_namespace) <> all ($1::text[]))
  and not exists (select 1 from pg_depend x where x.classid = deps.classid and x.objid = deps.objid and x.deptype = 'e')
order by 1, 2
