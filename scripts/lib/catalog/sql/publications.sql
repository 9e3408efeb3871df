-- Publications (database-wide; Supabase Realtime works through supabase_realtime) and the tables
-- named in them, with column lists and row filters: re-creating a table drops it from them.
select p.pubname as publication, pg_get_userbyid(p.pubowner) as owner, p.puballtables as all_tables,
       array_remove(array[case when p.pubinsert then 'insert' end, case when p.pubupdate then 'update' end,
                          case when p.pubdelete then 'delete' end, case when p.pubtruncate then 'truncate' end],
                    null)::text[] as publish,
       p.pubviaroot as via_root,
       n.nspname as schema, c.relname as table,
       case when pr.prattrs is null then null
            else array(select a.attname from pg_attribute a
                       where a.attrelid = pr.prrelid and a.attnum = any (pr.prattrs) order by a.attnum)::text[] end as columns,
       pg_get_expr(pr.prqual, pr.prrelid) as row_filter
from pg_publication p
left join pg_publication_rel pr on pr.prpubid = p.oid
left join pg_class c on c.oid = pr.prrelid
left join pg_namespace n on n.oid = c.relnamespace
order by p.pubname, n.nspname, c.relname
