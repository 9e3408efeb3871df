// One function per statement rule: given a statement and what the migrations before it did, what
// in it the rule objects to (one short clause each; the rule's why and fix are added from lint-rules.ts).

import type { LintRuleCode } from '../results/lint-migrations.ts';
import {
  type AlterEnumStmt,
  type AlterObjectSchemaStmt,
  type AlterTableCmd,
  type AlterTableStmt,
  type CreateFunctionStmt,
  type DropStmt,
  droppedNames,
  type GrantStmt,
  type PgNode,
  type RangeVar,
  type RenameStmt,
  relationName,
  stringLiterals,
  volatileFill,
} from './parse-nodes.ts';
import type { ParsedStatement } from './parser.ts';
import { nonTransactional } from './plan.ts';

export interface StatementContext {
  statement: ParsedStatement;
  /** Every statement of the file, in order; `statement` is at `index`. */
  fileStatements: ParsedStatement[];
  index: number;
  /**
   * Whether the table was created where it cannot hold rows yet — earlier in this file, or in
   * a migration this change adds — so locks, rewrites and drops cost nothing there.
   */
  isNewTable(name: string): boolean;
  isNewSchema(name: string): boolean;
}

export type StatementCheck = (ctx: StatementContext) => string[];

const node = <T>(ctx: StatementContext, kind: string): T | null =>
  ctx.statement.kind === kind ? (ctx.statement.node as T) : null;

/** The ALTER TABLE's commands of one subtype, when the table may hold rows. */
function alterCommands(
  ctx: StatementContext,
  ...subtypes: string[]
): { table: string; cmd: AlterTableCmd }[] {
  const a = node<AlterTableStmt>(ctx, 'AlterTableStmt');
  if (a?.objtype !== 'OBJECT_TABLE') return [];
  const table = relationName(a.relation);
  if (ctx.isNewTable(table)) return [];
  return a.cmds
    .map((c) => c.AlterTableCmd)
    .filter((cmd) => subtypes.includes(cmd.subtype))
    .map((cmd) => ({ table, cmd }));
}

const addedConstraints = (ctx: StatementContext, ...contypes: string[]) =>
  alterCommands(ctx, 'AT_AddConstraint').filter(({ cmd }) =>
    contypes.includes(cmd.def?.Constraint?.contype ?? ''),
  );

const addedColumns = (ctx: StatementContext) =>
  alterCommands(ctx, 'AT_AddColumn').flatMap(({ table, cmd }) =>
    cmd.def?.ColumnDef ? [{ table, column: cmd.def.ColumnDef }] : [],
  );

const constraintKind: Record<string, string> = {
  CONSTR_FOREIGN: 'foreign key',
  CONSTR_CHECK: 'check constraint',
  CONSTR_UNIQUE: 'unique constraint',
  CONSTR_PRIMARY: 'primary key',
};

function dropTable(ctx: StatementContext): string[] {
  const d = node<DropStmt>(ctx, 'DropStmt');
  if (d?.removeType !== 'OBJECT_TABLE') return [];
  return droppedNames(d)
    .filter((t) => !ctx.isNewTable(t))
    .map((t) => `drops table ${t}`);
}

function dropColumn(ctx: StatementContext): string[] {
  return alterCommands(ctx, 'AT_DropColumn').map(({ table, cmd }) => `drops column ${cmd.name} of ${table}`);
}

function dropSchema(ctx: StatementContext): string[] {
  const d = node<DropStmt>(ctx, 'DropStmt');
  if (d?.removeType !== 'OBJECT_SCHEMA') return [];
  const cascade = (d as { behavior?: string }).behavior === 'DROP_CASCADE' ? ' with CASCADE' : '';
  return droppedNames(d)
    .filter((s) => !ctx.isNewSchema(s))
    .map((s) => `drops schema ${s}${cascade}`);
}

function truncate(ctx: StatementContext): string[] {
  const t = node<{ relations: { RangeVar: RangeVar }[] }>(ctx, 'TruncateStmt');
  if (!t) return [];
  return t.relations
    .map((r) => relationName(r.RangeVar))
    .filter((name) => !ctx.isNewTable(name))
    .map((name) => `truncates ${name}`);
}

function withoutWhere(kind: 'DeleteStmt' | 'UpdateStmt', verb: string): StatementCheck {
  return (ctx) => {
    const s = node<{ relation: RangeVar; whereClause?: PgNode }>(ctx, kind);
    if (!s || s.whereClause) return [];
    const table = relationName(s.relation);
    return ctx.isNewTable(table) ? [] : [`${verb} every row of ${table} (no WHERE)`];
  };
}

const RENAMED: Record<string, string> = {
  OBJECT_TABLE: 'table',
  OBJECT_VIEW: 'view',
  OBJECT_MATVIEW: 'materialized view',
  OBJECT_COLUMN: 'column',
};

function rename(ctx: StatementContext): string[] {
  const r = node<RenameStmt>(ctx, 'RenameStmt');
  if (r) {
    if (r.renameType === 'OBJECT_SCHEMA') {
      return r.subname && !ctx.isNewSchema(r.subname) ? [`renames schema ${r.subname} to ${r.newname}`] : [];
    }
    const what = RENAMED[r.renameType];
    if (!what || !r.relation) return [];
    const table = relationName(r.relation);
    if (ctx.isNewTable(table)) return [];
    return [
      r.renameType === 'OBJECT_COLUMN'
        ? `renames column ${r.subname} of ${table} to ${r.newname}`
        : `renames ${what} ${table} to ${r.newname}`,
    ];
  }
  const m = node<AlterObjectSchemaStmt>(ctx, 'AlterObjectSchemaStmt');
  const what = m && RENAMED[m.objectType];
  if (!m?.relation || !what) return [];
  const table = relationName(m.relation);
  return ctx.isNewTable(table) ? [] : [`moves ${what} ${table} to schema ${m.newschema}`];
}

function securityDefinerSearchPath(ctx: StatementContext): string[] {
  const f = node<CreateFunctionStmt>(ctx, 'CreateFunctionStmt');
  if (!f) return [];
  const options = (f.options ?? []).map((o) => o.DefElem);
  const definer = options.some(
    (o) =>
      o.defname === 'security' && (o.arg?.Boolean as { boolval?: boolean } | undefined)?.boolval === true,
  );
  const setsPath = options.some(
    (o) =>
      o.defname === 'set' &&
      (o.arg?.VariableSetStmt as { name?: string } | undefined)?.name?.toLowerCase() === 'search_path',
  );
  if (!definer || setsPath) return [];
  const name = f.funcname.map((n) => n.String.sval).join('.');
  return [`${f.is_procedure ? 'procedure' : 'function'} ${name} is SECURITY DEFINER without SET search_path`];
}

const WRITES = new Set(['insert', 'update', 'delete', 'truncate']);

function anonWriteGrant(ctx: StatementContext): string[] {
  const direct = node<GrantStmt>(ctx, 'GrantStmt');
  const defaults = node<{ action: GrantStmt }>(ctx, 'AlterDefaultPrivilegesStmt');
  const g = direct ?? defaults?.action;
  if (!g?.is_grant || g.objtype !== 'OBJECT_TABLE') return [];
  const to = g.grantees
    .map((r) => r.RoleSpec)
    .filter((r) => r.rolename === 'anon' || r.roletype === 'ROLESPEC_PUBLIC')
    .map((r) => (r.rolename === 'anon' ? 'anon' : 'PUBLIC'));
  if (!to.length) return [];
  const privileges = g.privileges
    ? g.privileges.map((p) => p.AccessPriv.priv_name ?? '').filter((p) => WRITES.has(p))
    : ['all'];
  if (!privileges.length) return [];
  const on =
    g.targtype === 'ACL_TARGET_OBJECT'
      ? (g.objects ?? []).map((o) => relationName(o.RangeVar as RangeVar)).join(', ')
      : g.targtype === 'ACL_TARGET_ALL_IN_SCHEMA'
        ? `all tables in schema ${(g.objects ?? []).map((o) => (o.String as { sval: string }).sval).join(', ')}`
        : 'tables created from now on (default privileges)';
  return [`grants ${privileges.map((p) => p.toUpperCase()).join(', ')} on ${on} to ${to.join(', ')}`];
}

const NON_TRANSACTIONAL: Record<string, string> = {
  IndexStmt: 'CREATE INDEX CONCURRENTLY',
  DropStmt: 'DROP INDEX CONCURRENTLY',
  ReindexStmt: 'REINDEX CONCURRENTLY',
  VacuumStmt: 'VACUUM',
  AlterSystemStmt: 'ALTER SYSTEM',
  CreatedbStmt: 'CREATE DATABASE',
  DropdbStmt: 'DROP DATABASE',
  CreateTableSpaceStmt: 'CREATE TABLESPACE',
  DropTableSpaceStmt: 'DROP TABLESPACE',
  CreateSubscriptionStmt: 'CREATE SUBSCRIPTION',
  DropSubscriptionStmt: 'DROP SUBSCRIPTION',
};

function nonTransactionalMixed(ctx: StatementContext): string[] {
  const others = ctx.fileStatements.length - 1;
  if (others === 0 || nonTransactional([ctx.statement]).length === 0) return [];
  const what =
    ctx.statement.kind === 'TransactionStmt'
      ? ctx.statement.text.split(/\s/)[0]!.toUpperCase()
      : (NON_TRANSACTIONAL[ctx.statement.kind] ?? ctx.statement.kind);
  return [`${what} in a file with ${others} other statement${others === 1 ? '' : 's'}`];
}

function enumValueUsedInSameFile(ctx: StatementContext): string[] {
  if (ctx.statement.kind === 'AlterEnumStmt') return [];
  const added = new Map<string, string>();
  for (const s of ctx.fileStatements.slice(0, ctx.index)) {
    const e = s.kind === 'AlterEnumStmt' ? (s.node as unknown as AlterEnumStmt) : null;
    if (e?.newVal !== undefined && e.oldVal === undefined) {
      added.set(e.newVal, `${e.typeName.map((n) => n.String.sval).join('.')} at line ${s.start.line}`);
    }
  }
  if (!added.size) return [];
  return [...stringLiterals(ctx.statement.node)]
    .filter((v) => added.has(v))
    .map((v) => `uses '${v}', added to ${added.get(v)} in the same transaction`);
}

function addRequiredColumn(ctx: StatementContext): string[] {
  return addedColumns(ctx)
    .filter(({ column }) => {
      const types = (column.constraints ?? []).map((c) => c.Constraint.contype);
      return (
        types.includes('CONSTR_NOTNULL') &&
        !types.some((t) => t === 'CONSTR_DEFAULT' || t === 'CONSTR_IDENTITY' || t === 'CONSTR_GENERATED')
      );
    })
    .map(({ table, column }) => `adds column ${column.colname} to ${table} NOT NULL without a default`);
}

function indexNotConcurrently(ctx: StatementContext): string[] {
  const i = node<{ relation: RangeVar; concurrent?: boolean; idxname?: string; unique?: boolean }>(
    ctx,
    'IndexStmt',
  );
  if (!i || i.concurrent) return [];
  const table = relationName(i.relation);
  if (ctx.isNewTable(table)) return [];
  return [
    `creates ${i.unique ? 'unique ' : ''}index ${i.idxname ?? '(unnamed)'} on ${table} without CONCURRENTLY`,
  ];
}

function constraintNotValid(ctx: StatementContext): string[] {
  const added = addedConstraints(ctx, 'CONSTR_FOREIGN', 'CONSTR_CHECK')
    .filter(({ cmd }) => !cmd.def!.Constraint!.skip_validation)
    .map(({ table, cmd }) => {
      const c = cmd.def!.Constraint!;
      return `adds ${constraintKind[c.contype]} ${c.conname ?? '(unnamed)'} to ${table} without NOT VALID`;
    });
  // NOT VALID earlier in this file, VALIDATE now: the same transaction still holds the first lock.
  const validated = alterCommands(ctx, 'AT_ValidateConstraint')
    .filter(({ table, cmd }) => addedNotValidEarlier(ctx, table, cmd.name))
    .map(({ table, cmd }) => `validates ${cmd.name} on ${table} in the file that added it NOT VALID`);
  return [...added, ...validated];
}

function addedNotValidEarlier(ctx: StatementContext, table: string, name: string | undefined): boolean {
  return ctx.fileStatements.slice(0, ctx.index).some((s) => {
    if (s.kind !== 'AlterTableStmt') return false;
    const a = s.node as unknown as AlterTableStmt;
    return (
      relationName(a.relation) === table &&
      a.cmds.some(
        ({ AlterTableCmd: c }) =>
          c.subtype === 'AT_AddConstraint' &&
          c.def?.Constraint?.skip_validation &&
          c.def.Constraint.conname === name,
      )
    );
  });
}

function setNotNull(ctx: StatementContext): string[] {
  return alterCommands(ctx, 'AT_SetNotNull').map(({ table, cmd }) => `sets ${table}.${cmd.name} NOT NULL`);
}

function columnTypeChange(ctx: StatementContext): string[] {
  return alterCommands(ctx, 'AT_AlterColumnType').map(({ table, cmd }) => {
    const type = cmd.def?.ColumnDef?.typeName?.names
      .map((n) => n.String.sval)
      .filter((n) => n !== 'pg_catalog');
    return `changes the type of ${table}.${cmd.name}${type ? ` to ${type.join('.')}` : ''}`;
  });
}

function volatileDefault(ctx: StatementContext): string[] {
  return addedColumns(ctx).flatMap(({ table, column }) => {
    const why = volatileFill(column);
    return why ? [`adds column ${column.colname} to ${table}: ${why}`] : [];
  });
}

function addUniqueOrPk(ctx: StatementContext): string[] {
  const constraints = addedConstraints(ctx, 'CONSTR_UNIQUE', 'CONSTR_PRIMARY')
    .filter(({ cmd }) => !cmd.def!.Constraint!.indexname)
    .map(({ table, cmd }) => {
      const c = cmd.def!.Constraint!;
      return `adds ${constraintKind[c.contype]}${c.conname ? ` ${c.conname}` : ''} to ${table}, building its index`;
    });
  const columns = addedColumns(ctx).flatMap(({ table, column }) =>
    (column.constraints ?? [])
      .map((c) => c.Constraint.contype)
      .filter((t) => t === 'CONSTR_UNIQUE' || t === 'CONSTR_PRIMARY')
      .map((t) => `adds column ${column.colname} to ${table} as ${constraintKind[t]}, building its index`),
  );
  return [...constraints, ...columns];
}

/** The statement rules (table-without-rls is judged at the end of each file: lint.ts). */
export const STATEMENT_CHECKS: Partial<Record<LintRuleCode, StatementCheck>> = {
  'drop-table': dropTable,
  'drop-column': dropColumn,
  'drop-schema': dropSchema,
  truncate,
  'delete-without-where': withoutWhere('DeleteStmt', 'deletes'),
  'update-without-where': withoutWhere('UpdateStmt', 'updates'),
  rename,
  'security-definer-search-path': securityDefinerSearchPath,
  'anon-write-grant': anonWriteGrant,
  'non-transactional-mixed': nonTransactionalMixed,
  'enum-value-used-in-same-file': enumValueUsedInSameFile,
  'add-required-column': addRequiredColumn,
  'index-not-concurrently': indexNotConcurrently,
  'constraint-not-valid': constraintNotValid,
  'set-not-null': setNotNull,
  'column-type-change': columnTypeChange,
  'volatile-default': volatileDefault,
  'add-unique-or-pk': addUniqueOrPk,
};
