// The checks prepare reports and sync runs before it touches anything: each named,
// passed or failed, with the fix. Reads only; the target is never changed.

import path from 'node:path';
import { fileURLToPath } from 'node:url';
import type postgres from 'postgres';
import { EnvsyncError } from '../base/errors.ts';
import { type OutsideDependent, outsideDependents } from '../catalog/inventory.ts';
import { canActAs, type Inventory } from '../catalog/model.ts';
import { isPlatformSchema } from '../catalog/platform.ts';
import type { Query, Sql } from '../db/connect.ts';
import { sameDatabase } from '../db/identity.ts';
import { ENVSYNC_LOCK_KEY } from '../db/lock.ts';
import { findClientProgram } from '../db/pg-binaries.ts';
import { removableKind, replicaState } from '../replica/replace.ts';
import type { ReplicaState } from '../results/manifest.ts';
import type { DatabaseIdentity, PreflightCheck } from '../results/plan.ts';

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
  /** App schemas only the target has: removed. */
  dropSchemas: string[];
  env: NodeJS.ProcessEnv;
  /** Both databases as their servers identify them. */
  identities: { source: DatabaseIdentity; target: DatabaseIdentity };
  /** Why the target is production (null: it is not), and whether --allow-production was given. */
  production: { reason: string | null; allowed: boolean };
}

const sqlDir = path.join(path.dirname(fileURLToPath(import.meta.url)), 'sql');

/** One of ./sql's queries, its parameters as $1…. */
const query = async (tx: Query, name: string, parameters: postgres.ParameterOrJSON<never>[] = []) =>
  (await tx.file(path.join(sqlDir, `${name}.sql`), parameters)) as Record<string, unknown>[];

const major = (inv: Inventory) => Math.floor(inv.database.serverVersionNum / 10000);
const list = (xs: string[], max = 8) =>
  xs.slice(0, max).join(', ') + (xs.length > max ? ` and ${xs.length - max} more` : '');

/** Sessions on the target that hold locks on the app schemas' relations or sit idle in a transaction. */
export async function blockingSessions(tgt: Query, schemas: string[]): Promise<Blocker[]> {
  const rows = await query(tgt, 'blocking-sessions', [schemas]);
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

/** Every check prepare reports, in the order people read them: what is at risk first. */
export async function preflight(i: PreflightInput): Promise<PreflightCheck[]> {
  return [
    notTheSource(i.identities.source, i.identities.target),
    productionCheck(i.production),
    serverVersions(i.srcInv, i.tgtInv),
    pgDumpCheck(i.srcInv, i.env),
    await privilegesCheck(i.tgt, i.tgtInv, i.schemas),
    await extensionsCheck(i.tgt, i.srcInv, i.tgtInv),
    ...(await replacementChecks(i)),
    await rolesCheck(i.tgt, rolesNamed(i.srcInv, new Set(i.schemas))),
    await envsyncLockCheck(i.tgt),
    await blockersCheck(i.tgt, i.schemas),
  ];
}

function serverVersions(src: Inventory, tgt: Inventory): PreflightCheck {
  return major(tgt) >= major(src)
    ? { name: 'server versions', status: 'pass', detail: `target ${major(tgt)} ≥ source ${major(src)}` }
    : {
        name: 'server versions',
        status: 'fail',
        detail: `the target runs PostgreSQL ${major(tgt)}, older than the source's ${major(src)}`,
        hint: 'upgrade the target: a dump of a newer server may not load into an older one',
      };
}

function pgDumpCheck(src: Inventory, env: NodeJS.ProcessEnv): PreflightCheck {
  try {
    const p = findClientProgram('pg_dump', major(src), env);
    return { name: 'pg_dump', status: 'pass', detail: `${p.path} (${p.version})` };
  } catch (error) {
    const e = error as EnvsyncError;
    return {
      name: 'pg_dump',
      status: 'fail',
      detail: e.message,
      ...(e instanceof EnvsyncError ? { hint: e.hint } : {}),
    };
  }
}

/** Extensions the source uses: installed on the target, or installable by the sync. */
async function extensionsCheck(tgt: Query, src: Inventory, tgtInv: Inventory): Promise<PreflightCheck> {
  const creatable = new Map(
    (await query(tgt, 'creatable-extensions')).map((r) => [String(r.name), Boolean(r.creatable)]),
  );
  const superuser = tgtInv.database.isSuperuser;
  const installed = new Map(tgtInv.extensions.map((e) => [e.name, e]));
  const absent = src.extensions.filter((e) => !installed.has(e.name));
  const unavailable = absent.filter((e) => !creatable.has(e.name) || (!superuser && !creatable.get(e.name)));
  const toCreate = absent.filter((e) => !unavailable.includes(e));
  const versions = src.extensions.filter(
    (e) => installed.has(e.name) && installed.get(e.name)!.version !== e.version,
  );
  if (unavailable.length)
    return {
      name: 'extensions',
      status: 'fail',
      detail: `missing on the target and not creatable by ${tgtInv.database.currentUser}: ${list(unavailable.map((e) => `${e.name} ${e.version}`))}`,
      hint: `install it on the target first (CREATE EXTENSION ${unavailable[0]?.name} SCHEMA ${unavailable[0]?.schema}; on Supabase: Database → Extensions)`,
    };
  if (versions.length)
    return {
      name: 'extensions',
      status: 'warn',
      detail: `other versions on the target: ${list(versions.map((e) => `${e.name} ${installed.get(e.name)!.version} (source ${e.version})`))}`,
      hint: 'ALTER EXTENSION … UPDATE on the older side; validate reports the difference',
    };
  return {
    name: 'extensions',
    status: 'pass',
    detail: `${src.extensions.length} used by the source${toCreate.length ? `; the sync creates ${list(toCreate.map((e) => e.name))}` : ', all installed on the target'}`,
  };
}

/** Roles that grants, policies and owners name must exist on the target: roles are cluster-wide, never in a dump. */
async function rolesCheck(tgt: Query, named: string[]): Promise<PreflightCheck> {
  const existing = new Set((await query(tgt, 'existing-roles', [named])).map((r) => String(r.rolname)));
  const missing = named.filter((r) => !existing.has(r));
  return missing.length
    ? {
        name: 'roles',
        status: 'fail',
        detail: `the source's owners, grants or policies name roles the target lacks: ${list(missing)}`,
        hint: `create them on the target first (CREATE ROLE ${missing[0]} NOLOGIN; roles are cluster-wide, not in a dump)`,
      }
    : {
        name: 'roles',
        status: 'pass',
        detail: `${named.length} role(s) named by the source exist on the target`,
      };
}

async function envsyncLockCheck(tgt: Query): Promise<PreflightCheck> {
  const holders = await query(tgt, 'envsync-lock-holders', [ENVSYNC_LOCK_KEY]);
  return holders.length
    ? {
        name: 'no other envsync run',
        status: 'fail',
        detail: `another envsync run holds the target (pid ${holders.map((h) => h.pid).join(', ')})`,
        hint: 'wait for it to finish; runs on one target never interleave',
      }
    : { name: 'no other envsync run', status: 'pass', detail: 'the target’s envsync lock is free' };
}

async function blockersCheck(tgt: Query, schemas: string[]): Promise<PreflightCheck> {
  const blockers = await blockingSessions(tgt, schemas);
  return blockers.length
    ? {
        name: 'blocking sessions',
        status: 'warn',
        detail: `${blockers.length} session(s) would block the replacement: ${list(blockers.map(describeBlocker), 5)}`,
        hint: 'end them, or pass --terminate-blockers to sync to end them when it starts',
      }
    : { name: 'blocking sessions', status: 'pass', detail: 'no session holds the app schemas' };
}

const describeIdentity = (d: DatabaseIdentity) =>
  `database ${d.database} (oid ${d.databaseOid}) on system ${d.systemIdentifier ?? 'unknown'}, ${d.serverAddress ?? 'local socket'}:${d.serverPort}`;

/** The two connections reach different databases, as their servers say (not as the URLs are spelled). */
export function notTheSource(source: DatabaseIdentity, target: DatabaseIdentity): PreflightCheck {
  return sameDatabase(source, target)
    ? {
        name: 'target is not the source',
        status: 'fail',
        detail: `both reach ${describeIdentity(target)}`,
        hint: 'give two different databases',
      }
    : {
        name: 'target is not the source',
        status: 'pass',
        detail: `source ${describeIdentity(source)}; target ${describeIdentity(target)}`,
      };
}

/** Production, by name, marker or PRODUCTION_DATABASE_URL (db/guards.ts), is written to only when allowed. */
export function productionCheck(p: { reason: string | null; allowed: boolean }): PreflightCheck {
  if (p.reason === null)
    return {
      name: 'production guard',
      status: 'pass',
      detail: 'the target is not production: not named so, no production marker, not PRODUCTION_DATABASE_URL',
    };
  return p.allowed
    ? {
        name: 'production guard',
        status: 'warn',
        detail: `the target is production (${p.reason}), allowed by --allow-production`,
      }
    : {
        name: 'production guard',
        status: 'fail',
        detail: `the target is production (${p.reason})`,
        hint: 'pass --allow-production to write to production on purpose',
      };
}

const a = (kind: string) => `${/^[aeiou]/.test(kind) ? 'an' : 'a'} ${kind}`;

/** Kinds only a superuser may create (PostgreSQL refuses them to other roles). */
const SUPERUSER_KINDS = new Set([
  'operator class',
  'operator family',
  'text search parser',
  'text search template',
]);

/**
 * What replacing the app schemas needs beyond plain privileges, found before anything is
 * touched: every object kind carried, objects and default privileges of roles the target
 * role cannot act as (left alone), dependents outside the schemas that the replacement
 * would take along, publications, extensions' schemas.
 */
async function replacementChecks(i: PreflightInput): Promise<PreflightCheck[]> {
  const out: PreflightCheck[] = [];
  const role = i.tgtInv.database.currentUser;
  const schemas = new Set(i.schemas);
  const src = i.srcInv.objects.filter((o) => schemas.has(o.schema));
  const tgt = i.tgtInv.objects.filter((o) => schemas.has(o.schema));
  const key = (o: { kind: string; identity: string }) => `${o.kind} ${o.identity}`;
  const tgtByKey = new Map(tgt.map((o) => [key(o), o]));
  const srcKeys = new Set(src.map(key));
  const act = (r: string) => canActAs(i.tgtInv, r);

  const superuser = i.tgtInv.database.isSuperuser;
  // Kinds without an owner (text search parsers and templates) belong to a superuser.
  const mayCreate = (o: { kind: string; owner: string }) =>
    superuser || (!SUPERUSER_KINDS.has(o.kind) && act(o.owner));
  const unknown = [...src, ...tgt].filter((o) => !removableKind(o.kind));
  const superOnly = src.filter((o) => !mayCreate(o) && (SUPERUSER_KINDS.has(o.kind) || o.owner === ''));
  const superFunctions = superuser
    ? []
    : i.srcInv.functions.filter(
        // An aggregate's language is `internal` whatever it aggregates with: not a function body.
        (f) =>
          schemas.has(f.schema) &&
          act(f.owner) &&
          f.kind !== 'aggregate' &&
          (f.leakproof || !f.trustedLanguage),
      );
  const unremovable = superuser ? [] : tgt.filter((o) => o.owner === '' && !srcKeys.has(key(o)));
  const blocked = src.filter(
    (o) => act(o.owner) && tgtByKey.has(key(o)) && !act(tgtByKey.get(key(o))!.owner),
  );
  const used = new Set([
    ...i.srcInv.tables.filter((t) => schemas.has(t.schema) && t.accessMethod).map((t) => t.accessMethod!),
    ...[...i.srcInv.tables, ...i.srcInv.views]
      .filter((t) => schemas.has(t.schema))
      .flatMap((t) => t.indexes.map((x) => x.accessMethod)),
  ]);
  const missingMethods = [...used].filter((m) => !i.tgtInv.database.accessMethods.includes(m));
  const kindProblems = [
    ...new Set(unknown.map((o) => `${key(o)} (envsync cannot replace ${a(o.kind)})`)),
    ...superOnly.map((o) => `${key(o)} (only a superuser may create ${a(o.kind)})`),
    ...superFunctions.map(
      (f) =>
        `function ${f.schema}.${f.name}(${f.arguments}) (only a superuser may create ${f.leakproof ? 'a LEAKPROOF function' : `a function in language ${f.language}`})`,
    ),
    ...unremovable.map((o) => `${key(o)} on the target (only a superuser may drop ${a(o.kind)})`),
    ...blocked.map(
      (o) =>
        `${key(o)} (the target's is owned by ${tgtByKey.get(key(o))!.owner}, which ${role} cannot act as)`,
    ),
    ...missingMethods.map(
      (m) => `access method ${m} (the target has none of that name: CREATE ACCESS METHOD is database-wide)`,
    ),
  ];
  const kinds = new Set(src.map((o) => o.kind));
  out.push(
    kindProblems.length
      ? {
          name: 'object kinds',
          status: 'fail',
          detail: `cannot be carried to the target: ${list(kindProblems, 12)}`,
          hint:
            superOnly.length || superFunctions.length || unremovable.length
              ? 'connect as a superuser, or leave them out of the source (a superuser can create them on the target by hand)'
              : 'drop or re-own them on the target, or leave them out of the source (foreign tables and access methods need database-wide objects envsync does not replicate)',
        }
      : {
          name: 'object kinds',
          status: 'pass',
          detail: `${src.length} object(s) of ${kinds.size} kind(s) in the app schemas, every kind carried`,
        },
  );

  // Objects and default privileges of roles the target role cannot act as: left alone.
  const aloneSrc = src.filter((o) => !act(o.owner));
  const aloneTgt = tgt.filter((o) => !act(o.owner));
  const aloneDiffer = [
    ...aloneSrc
      .filter((o) => !tgtByKey.has(key(o)))
      .map((o) => `${key(o)} (owner ${o.owner}) is missing on the target`),
    ...aloneTgt
      .filter((o) => !srcKeys.has(key(o)))
      .map((o) => `${key(o)} (owner ${o.owner}) is only on the target`),
  ];
  const dp = (inv: Inventory) =>
    new Set(
      inv.defaultPrivileges
        .filter((d) => d.schema !== null && schemas.has(d.schema) && !act(d.role))
        .map(
          (d) =>
            `for role ${d.role} in schema ${d.schema}: ${d.privilege} on ${d.objectType} to ${d.grantee}`,
        ),
    );
  const [dpSrc, dpTgt] = [dp(i.srcInv), dp(i.tgtInv)];
  const dpDiffer = [
    ...[...dpSrc].filter((d) => !dpTgt.has(d)).map((d) => `default privileges ${d} missing on the target`),
    ...[...dpTgt].filter((d) => !dpSrc.has(d)).map((d) => `default privileges ${d} only on the target`),
  ];
  const leftAlone = [...aloneDiffer, ...dpDiffer];
  out.push(
    leftAlone.length
      ? {
          name: 'left alone',
          status: 'warn',
          detail: `${role} cannot act as their owners, so the sync leaves them as the target has them and validate will report them: ${list(leftAlone, 6)}`,
          hint: 'have their owner (on Supabase: the platform) make them equal, or ignore them if they do not matter to the app',
        }
      : {
          name: 'left alone',
          status: 'pass',
          detail: `${aloneSrc.length + dpSrc.size} object(s)/default privilege(s) of roles ${role} cannot act as, equal on both sides`,
        },
  );

  out.push(
    ...(await targetChecks(i.tgt, i.tgtInv, i.schemas, i.dropSchemas, replicaState(i.srcInv, i.schemas))),
  );
  return out;
}

/**
 * Privileges the replacement needs on the target, whatever it loads: create missing schemas,
 * create in the existing ones, load without firing triggers.
 */
export async function privilegesCheck(
  tgt: Sql,
  tgtInv: Inventory,
  schemas: string[],
): Promise<PreflightCheck> {
  const [p] = await query(tgt, 'replace-privileges', [schemas]);
  const problems: string[] = [];
  const missingSchemas = schemas.filter((s) => !tgtInv.schemas.some((x) => x.name === s));
  if (missingSchemas.length && !p!.create_db)
    problems.push(`cannot create schemas (${list(missingSchemas)}): no CREATE on the database`);
  const closed = (p!.closed_schemas as string[]) ?? [];
  if (closed.length) problems.push(`has no CREATE on schema ${list(closed)}`);
  // FORCE ROW LEVEL SECURITY applies to the owner too: without BYPASSRLS the snapshot, the
  // checksums and validate would see only the rows a policy lets it see.
  const forced = tgtInv.tables.filter((t) => t.rlsForced && schemas.includes(t.schema));
  if (forced.length && !tgtInv.database.bypassRls && !tgtInv.database.isSuperuser)
    problems.push(
      `cannot read every row of ${list(forced.map((t) => `${t.schema}.${t.name}`))} (FORCE ROW LEVEL SECURITY) without BYPASSRLS`,
    );
  let replicaRole = true;
  try {
    await tgt.begin('read only', (tx) => tx`select set_config('session_replication_role', 'replica', true)`);
  } catch {
    replicaRole = false;
    problems.push('may not SET session_replication_role');
  }
  const role = tgtInv.database.currentUser;
  return problems.length === 0
    ? {
        name: 'target role privileges',
        status: 'pass',
        detail: `${role} can replace the app schemas and SET session_replication_role`,
      }
    : {
        name: 'target role privileges',
        status: 'fail',
        detail: `${role} ${problems.join('; ')}`,
        hint: replicaRole
          ? 'connect as the role that owns the app schemas (on Supabase: postgres, which has BYPASSRLS)'
          : 'GRANT SET ON PARAMETER session_replication_role TO <role> (PostgreSQL 15+), or connect as the app owner',
      };
}

/**
 * What replacing `schemas` on the target with `wanted` needs beyond privileges, from the
 * target's side alone (rollback runs these too, with a backup's state): nothing outside the
 * schemas lost with them, publications it can fill, extensions in the right schema.
 */
export async function targetChecks(
  tgt: Sql,
  tgtInv: Inventory,
  schemas: string[],
  dropSchemas: string[],
  wanted: ReplicaState,
): Promise<PreflightCheck[]> {
  const out: PreflightCheck[] = [];
  const role = tgtInv.database.currentUser;
  const replaced = new Set(schemas);
  const act = (r: string) => canActAs(tgtInv, r);

  // Whatever outside the replaced schemas depends on them would go with DROP … CASCADE.
  // Re-created afterwards: the app's triggers and policies on platform tables, its casts, its
  // tables' publication membership. Anything else outside would be lost.
  const handled = (d: OutsideDependent) =>
    d.kind === 'publication membership' ||
    d.kind === 'cast' ||
    ((d.kind === 'trigger' || d.kind === 'policy') &&
      d.dependentSchema !== null &&
      isPlatformSchema(d.dependentSchema));
  const outside = (await outsideDependents(tgt, [...schemas, ...dropSchemas])).filter((d) => !handled(d));
  const dependents = [
    ...new Map(outside.map((d) => [d.dependent, `${d.dependent} (on ${d.dependsOn})`])).values(),
  ];
  out.push(
    dependents.length
      ? {
          name: 'dependents outside the app schemas',
          status: 'fail',
          detail: `replacing the app schemas would remove, and not re-create: ${list(dependents, 5)}`,
          hint: 'move them into an app schema or drop them on the target first (event triggers and objects in platform schemas are not replicated)',
        }
      : {
          name: 'dependents outside the app schemas',
          status: 'pass',
          detail:
            'nothing outside the app schemas depends on what is replaced (apart from triggers, policies, casts and publications, re-created)',
        },
  );

  // Publication membership of the app's tables is re-created; the publication must exist and be ours to alter.
  const tgtPubs = new Map(tgtInv.publications.map((p) => [p.name, p]));
  const [privileges] = await query(tgt, 'replace-privileges', [schemas]);
  const createDb = Boolean(privileges!.create_db);
  const pubProblems: string[] = [];
  const created: string[] = [];
  const inApp = (p: { tables: { schema: string }[] }) =>
    p.tables.filter((t) => replaced.has(t.schema)).length;
  for (const p of wanted.publications.filter((p) => !p.allTables && inApp(p))) {
    const here = tgtPubs.get(p.name);
    if (!here) {
      if (createDb) created.push(p.name);
      else pubProblems.push(`publication ${p.name} is missing and ${role} may not create it`);
    } else if (!act(here.owner))
      pubProblems.push(`publication ${p.name} is owned by ${here.owner}: ${role} cannot add tables to it`);
  }
  out.push(
    pubProblems.length
      ? {
          name: 'publications',
          status: 'fail',
          detail: list(pubProblems, 4),
          hint: `create it, or ALTER PUBLICATION … OWNER TO ${role}, on the target as its owner; or connect as the owner`,
        }
      : {
          name: 'publications',
          status: 'pass',
          detail: `${wanted.publications.reduce((n, p) => n + inApp(p), 0)} app table(s) in publications, re-added after the load${created.length ? `; created on the target: ${list(created, 4)}` : ''}`,
        },
  );

  // An extension must live in the same schema on both sides when either is an app schema.
  const tgtExt = new Map(tgtInv.extensions.map((e) => [e.name, e]));
  const moved = wanted.extensions.filter((e) => {
    const t = tgtExt.get(e.name);
    return (
      t &&
      t.schema !== e.schema &&
      (replaced.has(e.schema) || replaced.has(t.schema)) &&
      !(t.relocatable && tgtInv.database.isSuperuser)
    );
  });
  if (moved.length) {
    out.push({
      name: 'extension schemas',
      status: 'fail',
      detail: `in another schema on the target, and ${role} cannot move it: ${list(moved.map((e) => `${e.name} (source ${e.schema}, target ${tgtExt.get(e.name)!.schema})`))}`,
      hint: `move it on the target as a superuser (ALTER EXTENSION ${moved[0]!.name} SET SCHEMA ${moved[0]!.schema}), or move it on the source: a trusted extension's objects belong to the bootstrap superuser`,
    });
  }
  return out;
}
