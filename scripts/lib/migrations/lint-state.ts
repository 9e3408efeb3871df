// What the migrations so far did to the objects the rules ask about, followed statement by
// statement in version order: which file created each table and schema, whether a table has RLS,
// and which API roles (`anon`, `authenticated`) may still reach it.

import {
  type AlterObjectSchemaStmt,
  type AlterTableStmt,
  type CreateStmt,
  type CreateTableAsStmt,
  type DefElem,
  type DropStmt,
  droppedNames,
  type GrantStmt,
  type PgNode,
  type RangeVar,
  type RenameStmt,
  relationName,
  schemaOf,
} from './parse-nodes.ts';
import type { ParsedStatement, SourcePosition } from './parser.ts';

/** The roles the Data API answers as; `service_role` bypasses RLS and is meant to. */
export const API_ROLES = ['anon', 'authenticated'] as const;

export interface TrackedTable {
  /** Materialized views are followed for where they were created; RLS does not apply to them. */
  kind: 'table' | 'matview';
  /** The index (in version order) of the file that created it. */
  file: number;
  /** Where its CREATE TABLE starts. */
  at: SourcePosition;
  rls: boolean;
  /** The last `DISABLE ROW LEVEL SECURITY` on it, if RLS is off because of one. */
  disabled: { file: number; at: SourcePosition } | null;
  /** API roles holding privileges on it. */
  apiRoles: Set<string>;
}

export class SchemaState {
  readonly tables = new Map<string, TrackedTable>();
  /** Schema → the index of the file that created it. */
  readonly schemas = new Map<string, number>();
  /**
   * API roles a new table of the schema is granted by default privileges: on Supabase, the
   * platform grants everything in `public` to both (`ALTER DEFAULT PRIVILEGES` changes it here).
   */
  private readonly defaultRoles = new Map<string, Set<string>>([['public', new Set(API_ROLES)]]);

  /** Follows one statement of file `file`. */
  apply(s: ParsedStatement, file: number): void {
    const n = s.node;
    switch (s.kind) {
      case 'CreateStmt': {
        const c = n as unknown as CreateStmt;
        this.createTable(c.relation, 'table', c.if_not_exists === true, file, s.start);
        break;
      }
      case 'CreateTableAsStmt': {
        const c = n as unknown as CreateTableAsStmt;
        const kind = c.objtype === 'OBJECT_MATVIEW' ? 'matview' : 'table';
        this.createTable(c.into.rel, kind, c.if_not_exists === true, file, s.start);
        break;
      }
      case 'CreateSchemaStmt': {
        const name = (n as { schemaname?: string }).schemaname;
        if (name && !this.schemas.has(name)) this.schemas.set(name, file);
        break;
      }
      case 'AlterTableStmt':
        this.alterTable(n as unknown as AlterTableStmt, file, s.start);
        break;
      case 'DropStmt':
        this.drop(n as unknown as DropStmt);
        break;
      case 'RenameStmt':
        this.rename(n as unknown as RenameStmt);
        break;
      case 'AlterObjectSchemaStmt': {
        const m = n as unknown as AlterObjectSchemaStmt;
        if (m.objectType === 'OBJECT_TABLE' && m.relation) {
          this.moveTable(relationName(m.relation), `${m.newschema}.${m.relation.relname}`);
        }
        break;
      }
      case 'GrantStmt':
        this.grant(n as unknown as GrantStmt);
        break;
      case 'AlterDefaultPrivilegesStmt':
        this.defaultPrivileges(n as { options?: { DefElem: DefElem }[]; action: GrantStmt });
        break;
    }
  }

  private createTable(
    r: RangeVar,
    kind: TrackedTable['kind'],
    ifNotExists: boolean,
    file: number,
    at: SourcePosition,
  ): void {
    if (r.relpersistence === 't') return;
    const name = relationName(r);
    if (ifNotExists && this.tables.has(name)) return;
    const apiRoles = new Set(this.defaultRoles.get(schemaOf(name)) ?? []);
    this.tables.set(name, { kind, file, at, rls: false, disabled: null, apiRoles });
  }

  private alterTable(a: AlterTableStmt, file: number, at: SourcePosition): void {
    const table = this.tables.get(relationName(a.relation));
    if (!table) return;
    for (const { AlterTableCmd: cmd } of a.cmds) {
      if (cmd.subtype === 'AT_EnableRowSecurity') {
        table.rls = true;
        table.disabled = null;
      } else if (cmd.subtype === 'AT_DisableRowSecurity') {
        table.rls = false;
        table.disabled = { file, at };
      }
    }
  }

  private drop(d: DropStmt): void {
    if (d.removeType === 'OBJECT_TABLE' || d.removeType === 'OBJECT_MATVIEW') {
      for (const name of droppedNames(d)) this.tables.delete(name);
    }
    if (d.removeType === 'OBJECT_SCHEMA') {
      for (const schema of droppedNames(d)) {
        this.schemas.delete(schema);
        for (const name of [...this.tables.keys()]) if (schemaOf(name) === schema) this.tables.delete(name);
      }
    }
  }

  private rename(r: RenameStmt): void {
    if ((r.renameType === 'OBJECT_TABLE' || r.renameType === 'OBJECT_MATVIEW') && r.relation) {
      this.moveTable(relationName(r.relation), `${r.relation.schemaname ?? 'public'}.${r.newname}`);
    } else if (r.renameType === 'OBJECT_SCHEMA' && r.subname) {
      const from = r.subname;
      const created = this.schemas.get(from);
      if (created !== undefined) {
        this.schemas.delete(from);
        this.schemas.set(r.newname, created);
      }
      for (const name of [...this.tables.keys()]) {
        if (schemaOf(name) === from) this.moveTable(name, `${r.newname}${name.slice(from.length)}`);
      }
    }
  }

  private moveTable(from: string, to: string): void {
    const table = this.tables.get(from);
    if (!table) return;
    this.tables.delete(from);
    this.tables.set(to, table);
  }

  /** GRANT / REVOKE on tables to API roles: any grant lets a role in; only REVOKE ALL shuts it out. */
  private grant(g: GrantStmt): void {
    if (g.objtype !== 'OBJECT_TABLE') return;
    const roles = apiRolesOf(g);
    if (!roles.length) return;
    const targets =
      g.targtype === 'ACL_TARGET_OBJECT'
        ? (g.objects ?? []).map((o) => this.tables.get(relationName(o.RangeVar as RangeVar)))
        : g.targtype === 'ACL_TARGET_ALL_IN_SCHEMA'
          ? [...this.tables].filter(([name]) => inSchemas(g.objects, name)).map(([, t]) => t)
          : [];
    for (const table of targets) {
      if (!table) continue;
      if (g.is_grant) for (const role of roles) table.apiRoles.add(role);
      else if (!g.privileges) for (const role of roles) table.apiRoles.delete(role);
    }
  }

  private defaultPrivileges(d: { options?: { DefElem: DefElem }[]; action: GrantStmt }): void {
    const g = d.action;
    if (g.objtype !== 'OBJECT_TABLE') return;
    const roles = apiRolesOf(g);
    const schemas = d.options
      ?.filter((o) => o.DefElem.defname === 'schemas')
      .flatMap((o) => ((o.DefElem.arg as PgNode).List as { items: { String: { sval: string } }[] }).items)
      .map((i) => i.String.sval) ?? ['public'];
    for (const schema of schemas) {
      const current = this.defaultRoles.get(schema) ?? new Set<string>();
      if (g.is_grant) for (const role of roles) current.add(role);
      else if (!g.privileges) for (const role of roles) current.delete(role);
      this.defaultRoles.set(schema, current);
    }
  }
}

/** The API roles a GRANT or REVOKE names; `PUBLIC` stands for both on a grant (a revoke from PUBLIC leaves their own). */
function apiRolesOf(g: GrantStmt): string[] {
  const named = g.grantees.map((r) => r.RoleSpec);
  if (g.is_grant && named.some((r) => r.roletype === 'ROLESPEC_PUBLIC')) return [...API_ROLES];
  return API_ROLES.filter((role) => named.some((r) => r.rolename === role));
}

function inSchemas(objects: PgNode[] | undefined, table: string): boolean {
  return (objects ?? []).some((o) => (o.String as { sval: string }).sval === schemaOf(table));
}
