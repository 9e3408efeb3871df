// The checks prepare reports and sync runs before it touches anything: each named,
// passed or failed, with the fix. Reads only; the target is never changed.

import type { Inventory } from '../catalog/model.ts';
import { EnvsyncError } from '../cli/errors.ts';
import type { Sql } from '../db/connect.ts';
import { ENVSYNC_LOCK_KEY } from '../db/lock.ts';
import { findClientProgram } from '../db/pg-binaries.ts';

export interface PreflightCheck {
  name: string;
  status: 'pass' | 'fail' | 'warn';
  detail: string;
  hint?: string;
}

export interface Blocker {
  pid: number;
  user: string;
  application: string;
  state: string;
  since: string | null;
}

export interface PreflightInput {
  tgt: Sql;
  srcInv: Inventory;
  tgtInv: Inventory;
  /** App schemas the sync replaces. */
  schemas: string[];
  env: NodeJS.ProcessEnv;
  productionAllowed: boolean | null;
}

const major = (inv: Inventory) => Math.floor(inv.database.serverVersionNum / 10000);
const list = (xs: string[], max = 8) =>
  xs.slice(0, max).join(', ') + (xs.length > max ? ` and ${xs.length - max} more` : '');

/** Sessions on the target that hold locks on the app schemas' relations or sit idle in a transaction. */
export async function blockingSessions(tgt: Sql, schemas: string[]): Promise<Blocker[]> {
  const rows = await tgt`
    select distinct a.pid, coalesce(a.usename, '') as user, coalesce(a.application_name, '') as application,
           coalesce(a.state, '') as state, a.xact_start::text as since
    from pg_stat_activity a
    where a.datname = current_database() and a.pid <> pg_backend_pid() and a.backend_type = 'client backend'
      and (a.state like 'idle in transaction%'
           or exists (select 1 from pg_locks l join pg_class c on c.oid = l.relation
                      join pg_namespace n on n.oid = c.relnamespace
                      where l.pid = a.pid and n.nspname = any(${schemas}::text[])))
    order by a.pid`;
  return rows.map((r) => ({
    pid: Number(r.pid),
    user: String(r.user),
    application: String(r.application),
    state: String(r.state),
    since: r.since === null ? null : String(r.since),
  }));
}

export const describeBlocker = (b: Blocker) =>
  `pid ${b.pid} (${b.user}${b.application ? `, ${b.application}` : ''}, ${b.state || 'active'})`;

/** The roles the source's app objects name: owners, grantees, policy roles, default-privilege roles. */
function rolesNamed(inv: Inventory, schemas: Set<string>): string[] {
  const names = new Set<string>();
  const app = (s: string | null) => s !== null && schemas.has(s);
  for (const s of inv.schemas) if (app(s.name)) names.add(s.owner);
  for (const t of inv.tables) if (app(t.schema)) names.add(t.owner);
  for (const v of inv.views) if (app(v.schema)) names.add(v.owner);
  for (const f of inv.functions) if (app(f.schema)) names.add(f.owner);
  for (const g of inv.grants) if (app(g.schema)) names.add(g.grantee);
  for (const p of inv.policies) if (app(p.schema) || p.onPlatformTable) for (const r of p.roles) names.add(r);
  for (const d of inv.defaultPrivileges) {
    if (d.schema === null || app(d.schema)) {
      names.add(d.role);
      names.add(d.grantee);
    }
  }
  names.delete('public');
  return [...names].sort();
}

export async function preflight(i: PreflightInput): Promise<PreflightCheck[]> {
  const checks: PreflightCheck[] = [];
  const add = (c: PreflightCheck) => checks.push(c);
  const schemas = new Set(i.schemas);
  add({
    name: 'both databases reachable',
    status: 'pass',
    detail: `source PostgreSQL ${i.srcInv.database.serverVersion}, target PostgreSQL ${i.tgtInv.database.serverVersion}`,
  });
  add(
    major(i.tgtInv) >= major(i.srcInv)
      ? {
          name: 'server versions',
          status: 'pass',
          detail: `target ${major(i.tgtInv)} ≥ source ${major(i.srcInv)}`,
        }
      : {
          name: 'server versions',
          status: 'fail',
          detail: `the target runs PostgreSQL ${major(i.tgtInv)}, older than the source's ${major(i.srcInv)}`,
          hint: 'upgrade the target: a dump of a newer server may not load into an older one',
        },
  );
  try {
    const p = findClientProgram('pg_dump', major(i.srcInv), i.env);
    add({ name: 'pg_dump', status: 'pass', detail: `${p.path} (${p.version})` });
  } catch (error) {
    const e = error as EnvsyncError;
    add({
      name: 'pg_dump',
      status: 'fail',
      detail: e.message,
      ...(e instanceof EnvsyncError ? { hint: e.hint } : {}),
    });
  }

  // Privileges: create schemas, replace every object in the app schemas, load without triggers.
  const [p] = await i.tgt`
    select has_database_privilege(current_user, current_database(), 'CREATE') as create_db,
           (select coalesce(array_agg(format('%I.%I', n.nspname, c.relname) order by 1), '{}')
            from pg_class c join pg_namespace n on n.oid = c.relnamespace
            where n.nspname = any(${i.schemas}::text[]) and not pg_has_role(c.relowner, 'USAGE')
              and not exists (select 1 from pg_depend d where d.classid = 'pg_class'::regclass and d.objid = c.oid and d.deptype = 'e')) as foreign_objects,
           (select coalesce(array_agg(n.nspname order by 1), '{}') from pg_namespace n
            where n.nspname = any(${i.schemas}::text[]) and not pg_has_role(n.nspowner, 'USAGE')
              and not has_schema_privilege(n.oid, 'CREATE')) as closed_schemas`;
  const problems: string[] = [];
  const missingSchemas = i.schemas.filter((s) => !i.tgtInv.schemas.some((x) => x.name === s));
  if (missingSchemas.length && !p!.create_db)
    problems.push(`cannot create schemas (${list(missingSchemas)}): no CREATE on the database`);
  const foreign = (p!.foreign_objects as string[]) ?? [];
  if (foreign.length) problems.push(`does not own ${list(foreign)}`);
  const closed = (p!.closed_schemas as string[]) ?? [];
  if (closed.length) problems.push(`has no CREATE on schema ${list(closed)}`);
  let replicaRole = true;
  try {
    await i.tgt.begin(
      'read only',
      (tx) => tx`select set_config('session_replication_role', 'replica', true)`,
    );
  } catch {
    replicaRole = false;
    problems.push('may not SET session_replication_role');
  }
  add(
    problems.length === 0
      ? {
          name: 'target role privileges',
          status: 'pass',
          detail: `${i.tgtInv.database.currentUser} can replace the app schemas and SET session_replication_role`,
        }
      : {
          name: 'target role privileges',
          status: 'fail',
          detail: `${i.tgtInv.database.currentUser} ${problems.join('; ')}`,
          hint: replicaRole
            ? 'connect as the role that owns the app schemas (on Supabase: postgres)'
            : 'GRANT SET ON PARAMETER session_replication_role TO <role> (PostgreSQL 15+), or connect as the app owner',
        },
  );

  // Extensions the source uses: installed on the target, or installable by the sync.
  const availableRows = await i.tgt`
    select name, bool_or(trusted or not superuser) as creatable
    from pg_available_extension_versions group by name`;
  const available = new Map(availableRows.map((r) => [String(r.name), Boolean(r.creatable)]));
  const superuser = i.tgtInv.database.isSuperuser;
  const installed = new Map(i.tgtInv.extensions.map((e) => [e.name, e]));
  const absent = i.srcInv.extensions.filter((e) => !installed.has(e.name));
  const unavailable = absent.filter((e) => !available.has(e.name) || (!superuser && !available.get(e.name)));
  const toCreate = absent.filter((e) => !unavailable.includes(e));
  const versions = i.srcInv.extensions.filter(
    (e) => installed.has(e.name) && installed.get(e.name)!.version !== e.version,
  );
  add(
    unavailable.length
      ? {
          name: 'extensions',
          status: 'fail',
          detail: `missing on the target and not creatable by ${i.tgtInv.database.currentUser}: ${list(unavailable.map((e) => `${e.name} ${e.version}`))}`,
          hint: `install it on the target first (CREATE EXTENSION ${unavailable[0]?.name} SCHEMA ${unavailable[0]?.schema}; on Supabase: Database → Extensions)`,
        }
      : versions.length
        ? {
            name: 'extensions',
            status: 'warn',
            detail: `other versions on the target: ${list(versions.map((e) => `${e.name} ${installed.get(e.name)!.version} (source ${e.version})`))}`,
            hint: 'ALTER EXTENSION … UPDATE on the older side; validate reports the difference',
          }
        : {
            name: 'extensions',
            status: 'pass',
            detail: `${i.srcInv.extensions.length} used by the source${toCreate.length ? `; the sync creates ${list(toCreate.map((e) => e.name))}` : ', all installed on the target'}`,
          },
  );

  // Roles that grants, policies and owners name must exist on the target.
  const named = rolesNamed(i.srcInv, schemas);
  const existing = new Set(
    (await i.tgt`select rolname from pg_roles where rolname = any(${named}::text[])`).map((r) =>
      String(r.rolname),
    ),
  );
  const missingRoles = named.filter((r) => !existing.has(r));
  add(
    missingRoles.length
      ? {
          name: 'roles',
          status: 'fail',
          detail: `the source's owners, grants or policies name roles the target lacks: ${list(missingRoles)}`,
          hint: `create them on the target first (CREATE ROLE ${missingRoles[0]} NOLOGIN; roles are cluster-wide, not in a dump)`,
        }
      : {
          name: 'roles',
          status: 'pass',
          detail: `${named.length} role(s) named by the source exist on the target`,
        },
  );

  add({
    name: 'target is not the source',
    status: 'pass',
    detail: 'different server or database (checked server-side)',
  });
  add({
    name: 'production guard',
    status: 'pass',
    detail:
      i.productionAllowed === true
        ? 'the target is production, allowed by --allow-production'
        : 'the target is not production',
  });

  const holders = await i.tgt`
    select pid from pg_locks
    where locktype = 'advisory' and database = (select oid from pg_database where datname = current_database())
      and ((classid::int8 << 32) | objid::int8) = ${ENVSYNC_LOCK_KEY}::int8 and pid <> pg_backend_pid()`;
  add(
    holders.length
      ? {
          name: 'no other envsync run',
          status: 'fail',
          detail: `another envsync run holds the target (pid ${holders.map((h) => h.pid).join(', ')})`,
          hint: 'wait for it to finish; runs on one target never interleave',
        }
      : { name: 'no other envsync run', status: 'pass', detail: 'the target’s envsync lock is free' },
  );

  const blockers = await blockingSessions(i.tgt, i.schemas);
  add(
    blockers.length
      ? {
          name: 'blocking sessions',
          status: 'warn',
          detail: `${blockers.length} session(s) would block the replacement: ${list(blockers.map(describeBlocker), 5)}`,
          hint: 'end them, or pass --terminate-blockers to sync to end them when it starts',
        }
      : { name: 'blocking sessions', status: 'pass', detail: 'no session holds the app schemas' },
  );
  return checks;
}
