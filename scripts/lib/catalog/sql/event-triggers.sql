-- Event triggers (database-wide; on Supabase they belong to the platform).
select e.evtname as name, e.evtevent as event, pg_get_userbyid(e.evtowner) as owner,
       e.evtfoid::regproc::text as function, e.evtenabled <> 'D' as enabled
from pg_event_trigger e
order by 1
