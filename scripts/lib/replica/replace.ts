// Replacing the app schemas of a database — the one definition `sync` and `rollback`
// share: what is removed before the new objects and rows are loaded (every object of the
// replaced schemas whatever its kind, read from the catalog; the app's objects on platform
// tables; default privileges; platform rows) and what is put back after (the app's tables
// in publications). Only what the connecting role may change is touched: objects and
// default privileges of roles it cannot act as are left alone (validate compares them).

import {
  canActAs,
  type DefaultPrivilege,
  type Grant,
  type Inventory,
  type Publication,
  TABLE_PRIVILEGES,
} from '../catalog/model.ts';
import { ident, literal, qname } from '../db/sql-text.ts';
import type { ReplicaState } from '../results/manifest.ts';
import { appCasts } from './outside-objects.ts';

/** DROP keyword for each pg_identify_object type a schema can hold. */
const DROP_KEYWORD: Record<string, string> = {
  table: 'TABLE',
  view: 'VIEW',
  'materialized view': 'MATERIALIZED VIEW',
  sequence: 'SEQUENCE',
  function: 'FUNCTION',
  procedure: 'PROCEDURE',
  aggregate: 'AGGREGATE',
  type: 'TYPE',
  enum: 'TYPE',
  'composite type': 'TYPE',
  'range type': 'TYPE',
  domain: 'DOMAIN',
  collation: 'COLLATION',
  conversion: 'CONVERSION',
  operator: 'OPERATOR',
  'operator class': 'OPERATOR CLASS',
  'operator family': 'OPERATOR FAMILY',
  'text search configuration': 'TEXT SEARCH CONFIGURATION',
  'text search dictionary': 'TEXT SEARCH DICTIONARY',
  'text search parser': 'TEXT SEARCH PARSER',
  'text search template': 'TEXT SEARCH TEMPLATE',
  'statistics object': 'STATISTICS',
};

/** Whether replacing a schema knows how to remove objects of this kind. */
export const removableKind = (kind: string): boolean => kind in DROP_KEYWORD;

const DEFAULT_ACL_TYPE: Record<string, string> = {
  tables: 'TABLES',
  sequences: 'SEQUENCES',
  functions: 'FUNCTIONS',
  types: 'TYPES',
  schemas: 'SCHEMAS',
};

const grantee = (role: string) => (role === 'public' ? 'PUBLIC' : ident(role));

/**
 * What a replica must have that the app schemas' dump does not carry: taken from the source
 * by sync, kept in a backup's manifest for rollback.
 */

export function replicaState(inv: Inventory, schemas: string[]): ReplicaState {
  return {
    extensions: inv.extensions,
    publications: inv.publications,
    schemas: inv.schemas.filter((s) => schemas.includes(s.name)),
    schemaGrants: inv.grants.filter((g) => g.kind === 'schema' && schemas.includes(g.schema)),
    globalDefaultPrivileges: inv.defaultPrivileges.filter((d) => d.schema === null),
  };
}

export interface Replacement {
  /** The database as it is now (read inside the replacing transaction for sync). */
  current: Inventory;
  /** App schemas whose contents are replaced (those that exist are emptied, never dropped). */
  schemas: string[];
  /** App schemas removed whole (the target's own, or created after a backup). */
  dropSchemas: string[];
  /** Platform tables whose rows are replaced (deleted children first, by the current load order). */
  platformTables: string[];
  /**
   * What the replica must have outside the dump (null: unknown, for a backup older than the
   * manifest's `state`): its extensions are created or moved, those in replaced schemas that it
   * lacks dropped; its database-wide default privileges set before anything is created.
   */
  wanted: ReplicaState | null;
}

/**
 * Statements that clear what the replacement re-creates, in order, inside the transaction.
 * DROP … CASCADE also removes what depends on a dropped object elsewhere (the app's trigger
 * on auth.users, a table's publication membership): those are put back from the source
 * (platform objects, `publicationStatements`); `prepare` refuses anything else it would take.
 */
export function clearStatements(r: Replacement): string[] {
  const inv = r.current;
  const replaced = new Set(r.schemas);
  const existing = new Set(inv.schemas.map((s) => s.name));
  const out: string[] = [];
  for (const s of r.dropSchemas) if (existing.has(s)) out.push(`DROP SCHEMA ${ident(s)} CASCADE`);
  for (const o of inv.objects) {
    if (!replaced.has(o.schema) || !canActAs(inv, o.owner)) continue;
    const keyword = DROP_KEYWORD[o.kind];
    if (keyword) out.push(`DROP ${keyword} IF EXISTS ${o.identity} CASCADE`);
  }
  const extensions = r.wanted?.extensions;
  if (extensions) {
    // An extension the replica has in another schema moves there, before anything uses it
    // (only a superuser can: a trusted extension's objects belong to the bootstrap superuser).
    // Extensions in schemas dropped whole go with them: they count as absent.
    const surviving = inv.extensions.filter((e) => !r.dropSchemas.includes(e.schema));
    const here = new Map(surviving.map((e) => [e.name, e]));
    for (const e of extensions) {
      const t = here.get(e.name);
      if (
        t &&
        t.schema !== e.schema &&
        (replaced.has(e.schema) || replaced.has(t.schema)) &&
        inv.database.isSuperuser
      ) {
        out.push(`CREATE SCHEMA IF NOT EXISTS ${ident(e.schema)}`);
        out.push(`ALTER EXTENSION ${ident(e.name)} SET SCHEMA ${ident(e.schema)}`);
      }
    }
    // One in a replaced schema that the replica does not have at all goes.
    for (const e of surviving) {
      if (replaced.has(e.schema) && !extensions.some((x) => x.name === e.name) && canActAs(inv, e.owner)) {
        out.push(`DROP EXTENSION IF EXISTS ${ident(e.name)} CASCADE`);
      }
    }
  }
  // The app's objects outside its schemas are re-created from the source afterwards.
  for (const c of appCasts(inv, [...r.schemas, ...r.dropSchemas])) {
    out.push(`DROP CAST IF EXISTS (${c.source} AS ${c.target}) CASCADE`);
  }
  for (const t of inv.triggers.filter((t) => t.onPlatformTable && !t.platform)) {
    out.push(`DROP TRIGGER IF EXISTS ${ident(t.name)} ON ${qname(t.schema, t.table)}`);
  }
  for (const p of inv.policies.filter((p) => p.onPlatformTable)) {
    out.push(`DROP POLICY IF EXISTS ${ident(p.name)} ON ${qname(p.schema, p.table)}`);
  }
  // Default privileges in the replaced schemas (database-wide ones are made the wanted ones
  // below, before the load too): otherwise every object the load creates picks
  // them up (on Supabase: everything to anon and authenticated) and the dump's GRANTs, relative
  // to the built-in defaults, never take them back. The dump re-creates the source's.
  for (const d of inv.defaultPrivileges) {
    if (d.schema === null || !replaced.has(d.schema) || !canActAs(inv, d.role)) continue;
    out.push(
      `ALTER DEFAULT PRIVILEGES FOR ROLE ${ident(d.role)} IN SCHEMA ${ident(d.schema)} REVOKE ${d.privilege} ON ${DEFAULT_ACL_TYPE[d.objectType]} FROM ${grantee(d.grantee)}`,
    );
  }
  const held = new Set(r.platformTables);
  for (const t of [...inv.loadOrder.flat()].reverse().filter((t) => held.has(t))) {
    const [s, n] = t.split(/\.(.+)/) as [string, string];
    out.push(`DELETE FROM ${qname(s, n)}`);
  }
  // Database-wide default privileges back to PostgreSQL's built-in ones while the load creates
  // objects (pg_dump's GRANTs are relative to those); the wanted ones are set after the load.
  if (r.wanted) out.push(...globalDefaultPrivilegeStatements([], inv));
  if (extensions) {
    const installed = new Set(
      inv.extensions.filter((e) => !r.dropSchemas.includes(e.schema)).map((e) => e.name),
    );
    for (const e of extensions.filter((e) => !installed.has(e.name))) {
      out.push(`CREATE SCHEMA IF NOT EXISTS ${ident(e.schema)}`);
      out.push(
        `CREATE EXTENSION IF NOT EXISTS ${ident(e.name)} WITH SCHEMA ${ident(e.schema)} VERSION ${literal(e.version)}`,
      );
    }
  }
  return out;
}

/**
 * Puts the replaced schemas' tables back into the publications that named them (re-creating
 * a table drops it from every publication, and a schema dump does not carry membership);
 * a publication of the app's tables that the database lacks is created first, as the
 * connecting role (publications are database-wide: pg_dump -n leaves them out).
 */
export function publicationStatements(
  wanted: Publication[],
  existing: Publication[],
  schemas: string[],
): string[] {
  const here = new Set(existing.map((p) => p.name));
  const out: string[] = [];
  for (const p of wanted.filter((p) => !p.allTables)) {
    const tables = p.tables.filter((t) => schemas.includes(t.schema));
    if (!tables.length) continue;
    if (!here.has(p.name)) {
      const publish = literal(p.publish.join(', '));
      out.push(
        `CREATE PUBLICATION ${ident(p.name)} WITH (publish = ${publish}, publish_via_partition_root = ${p.viaRoot})`,
      );
    }
    for (const t of tables) {
      const columns = t.columns ? ` (${t.columns.map(ident).join(', ')})` : '';
      const where = t.rowFilter ? ` WHERE (${t.rowFilter})` : '';
      out.push(
        `ALTER PUBLICATION ${ident(p.name)} ADD TABLE ONLY ${qname(t.schema, t.table)}${columns}${where}`,
      );
    }
  }
  return out;
}

const GRANT_TARGET: Record<Grant['kind'], string> = {
  schema: 'SCHEMA',
  table: 'TABLE',
  view: 'TABLE',
  matview: 'TABLE',
  sequence: 'SEQUENCE',
  // ROUTINE: functions, procedures and aggregates alike (ON FUNCTION refuses a procedure).
  function: 'ROUTINE',
};

function grantObject(g: Grant): string {
  if (g.kind === 'schema') return ident(g.name);
  // Name and argument list apart: a function named `f(x` must not put raw text into the SQL.
  if (g.routine) return `${qname(g.schema, g.routine.name)}(${g.routine.arguments})`;
  return qname(g.schema, g.name);
}

/**
 * Grants made exactly the wanted ones: objects created on the target pick up the target's
 * default privileges (on Supabase: everything to anon/authenticated), which pg_dump's
 * GRANTs do not take back — a security matter, so every extra grant is revoked. Objects of
 * roles the connecting role cannot act as are left alone (validate compares them).
 */
export function grantCorrections(
  wanted: Grant[],
  current: Inventory,
  schemas: string[],
  kinds?: Grant['kind'][],
): string[] {
  const inScope = (g: Grant) =>
    schemas.includes(g.schema) && canActAs(current, g.owner) && (!kinds || kinds.includes(g.kind));
  const key = (g: Grant) => `${g.kind}|${g.schema}|${g.name}|${g.grantee}|${g.privilege}|${g.grantable}`;
  const want = new Set(wanted.filter(inScope).map(key));
  const present = new Set(current.grants.filter(inScope).map(key));
  return [
    ...current.grants
      .filter((g) => inScope(g) && !want.has(key(g)))
      .map(
        (g) =>
          `REVOKE ${g.privilege} ON ${GRANT_TARGET[g.kind]} ${grantObject(g)} FROM ${grantee(g.grantee)} CASCADE`,
      ),
    ...wanted
      .filter((g) => inScope(g) && !present.has(key(g)))
      .map(
        (g) =>
          `GRANT ${g.privilege} ON ${GRANT_TARGET[g.kind]} ${grantObject(g)} TO ${grantee(g.grantee)}${g.grantable ? ' WITH GRANT OPTION' : ''}`,
      ),
  ];
}

/** What a role's new objects get when it has no default-privilege entry (PostgreSQL's built-in). */
function builtInDefaults(
  role: string,
  type: DefaultPrivilege['objectType'],
  serverVersionNum: number,
): string[] {
  const own = (privileges: string[]) => privileges.map((p) => `${role}|${p}|false`);
  switch (type) {
    case 'tables':
      return own([...TABLE_PRIVILEGES, ...(serverVersionNum >= 170000 ? ['MAINTAIN'] : [])]);
    case 'sequences':
      return own(['USAGE', 'SELECT', 'UPDATE']);
    case 'functions':
      return [...own(['EXECUTE']), 'public|EXECUTE|false'];
    case 'types':
      return [...own(['USAGE']), 'public|USAGE|false'];
    default:
      return own(['USAGE', 'CREATE']);
  }
}

/**
 * Database-wide default privileges (no IN SCHEMA) made exactly the wanted ones, for the roles
 * the connecting role can act as: what every new object of the app will get.
 */
function globalDefaultPrivilegeStatements(wanted: DefaultPrivilege[], current: Inventory): string[] {
  const global = (d: DefaultPrivilege) => d.schema === null && canActAs(current, d.role);
  const mine = current.defaultPrivileges.filter(global);
  const theirs = wanted.filter(global);
  const pairs = new Set([...mine, ...theirs].map((d) => `${d.role}|${d.objectType}`));
  const out: string[] = [];
  for (const pair of pairs) {
    const [role, type] = pair.split('|') as [string, DefaultPrivilege['objectType']];
    const entries = (list: DefaultPrivilege[]) => {
      const rows = list.filter((d) => d.role === role && d.objectType === type);
      return new Set(
        rows.length
          ? rows.map((d) => `${d.grantee}|${d.privilege}|${d.grantable}`)
          : builtInDefaults(role, type, current.database.serverVersionNum),
      );
    };
    const [want, have] = [entries(theirs), entries(mine)];
    const prefix = `ALTER DEFAULT PRIVILEGES FOR ROLE ${ident(role)}`;
    for (const e of have) {
      if (want.has(e)) continue;
      const [who, privilege] = e.split('|') as [string, string];
      out.push(`${prefix} REVOKE ${privilege} ON ${DEFAULT_ACL_TYPE[type]} FROM ${grantee(who)}`);
    }
    for (const e of want) {
      if (have.has(e)) continue;
      const [who, privilege, grantable] = e.split('|') as [string, string, string];
      out.push(
        `${prefix} GRANT ${privilege} ON ${DEFAULT_ACL_TYPE[type]} TO ${grantee(who)}${grantable === 'true' ? ' WITH GRANT OPTION' : ''}`,
      );
    }
  }
  return out;
}

/**
 * After the load: the replaced schemas' comments and grants, publication membership and the
 * database-wide default privileges made the wanted ones. `current` is the target as it was
 * before the load (what the load does not touch is still so).
 */
export function finishStatements(wanted: ReplicaState, current: Inventory, schemas: string[]): string[] {
  const comments = new Map(current.schemas.map((s) => [s.name, s.comment]));
  return [
    ...publicationStatements(wanted.publications, current.publications, schemas),
    ...wanted.schemas
      .filter(
        (s) => schemas.includes(s.name) && comments.get(s.name) !== s.comment && canActAs(current, s.owner),
      )
      .map(
        (s) => `COMMENT ON SCHEMA ${ident(s.name)} IS ${s.comment === null ? 'NULL' : literal(s.comment)}`,
      ),
    ...grantCorrections(wanted.schemaGrants, current, schemas, ['schema']),
    // clearStatements left the database-wide ones built-in (for the roles we can act as).
    ...globalDefaultPrivilegeStatements(wanted.globalDefaultPrivileges, {
      ...current,
      defaultPrivileges: current.defaultPrivileges.filter(
        (d) => !(d.schema === null && canActAs(current, d.role)),
      ),
    }),
  ];
}
