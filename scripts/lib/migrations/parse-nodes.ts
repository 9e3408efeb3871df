// The few PostgreSQL parse nodes the lint rules read, typed as libpg-query's JSON gives them,
// and the small questions asked of them (a relation's name, a default's volatility).

/** Any node: `{ <NodeType>: { …fields } }` wraps each child. */
export type PgNode = Record<string, unknown>;

export interface RangeVar {
  schemaname?: string;
  relname: string;
  relpersistence?: string;
}

export interface RoleSpec {
  roletype: 'ROLESPEC_CSTRING' | 'ROLESPEC_PUBLIC' | string;
  rolename?: string;
}

export interface Constraint {
  contype: string;
  conname?: string;
  /** `NOT VALID`. */
  skip_validation?: boolean;
  /** `USING INDEX name`. */
  indexname?: string;
  raw_expr?: PgNode;
}

export interface ColumnDef {
  colname?: string;
  typeName?: { names: { String: { sval: string } }[] };
  constraints?: { Constraint: Constraint }[];
}

export interface AlterTableCmd {
  subtype: string;
  name?: string;
  def?: { Constraint?: Constraint; ColumnDef?: ColumnDef };
}

export interface AlterTableStmt {
  relation: RangeVar;
  cmds: { AlterTableCmd: AlterTableCmd }[];
  objtype: string;
}

export interface CreateStmt {
  relation: RangeVar;
  if_not_exists?: boolean;
}

export interface CreateTableAsStmt {
  into: { rel: RangeVar };
  objtype: string;
  if_not_exists?: boolean;
}

export interface DropStmt {
  objects: PgNode[];
  removeType: string;
  concurrent?: boolean;
}

export interface RenameStmt {
  renameType: string;
  relation?: RangeVar;
  subname?: string;
  newname: string;
}

export interface AlterObjectSchemaStmt {
  objectType: string;
  relation?: RangeVar;
  newschema: string;
}

export interface GrantStmt {
  is_grant?: boolean;
  targtype: string;
  objtype: string;
  objects?: PgNode[];
  /** Absent for `ALL [PRIVILEGES]`. */
  privileges?: { AccessPriv: { priv_name?: string } }[];
  grantees: { RoleSpec: RoleSpec }[];
}

export interface DefElem {
  defname: string;
  arg?: PgNode;
}

export interface CreateFunctionStmt {
  is_procedure?: boolean;
  funcname: { String: { sval: string } }[];
  options?: { DefElem: DefElem }[];
}

export interface AlterEnumStmt {
  typeName: { String: { sval: string } }[];
  oldVal?: string;
  newVal?: string;
}

/** `schema.name` as PostgreSQL resolves it with the default search_path: no schema means `public`. */
export function relationName(r: RangeVar): string {
  return `${r.schemaname ?? 'public'}.${r.relname}`;
}

/** `a.b` from a list of name strings (`{ String: { sval } }`), `public.` added to a bare name. */
export function qualifiedName(names: { String: { sval: string } }[]): string {
  const parts = names.map((n) => n.String.sval);
  return parts.length === 1 ? `public.${parts[0]}` : parts.join('.');
}

/** The schema of a qualified name. */
export const schemaOf = (qualified: string) => qualified.slice(0, qualified.indexOf('.'));

/** The name lists of a DROP's objects (`{ List: { items } }` or a bare `{ String }` for schemas). */
export function droppedNames(stmt: DropStmt): string[] {
  return stmt.objects.map((o) => {
    const list = o.List as { items: { String: { sval: string } }[] } | undefined;
    if (list) return qualifiedName(list.items);
    return (o.String as { sval: string }).sval;
  });
}

/** Every string literal (`'text'`) anywhere under `node`. */
export function stringLiterals(node: unknown, out: Set<string> = new Set()): Set<string> {
  if (Array.isArray(node)) {
    for (const child of node) stringLiterals(child, out);
  } else if (node && typeof node === 'object') {
    const constant = (node as PgNode).A_Const as { sval?: { sval?: string } } | undefined;
    if (constant?.sval?.sval !== undefined) out.add(constant.sval.sval);
    for (const child of Object.values(node)) stringLiterals(child, out);
  }
  return out;
}

// Functions a column default may call without making it volatile: PostgreSQL fills existing rows
// with one value computed once (no rewrite) only when the default is not VOLATILE.
const NON_VOLATILE_FUNCTIONS = new Set([
  'now',
  'transaction_timestamp',
  'statement_timestamp',
  'current_setting',
  'current_schema',
  'date_trunc',
  'timezone',
  'make_interval',
  'make_date',
  'make_timestamp',
  'make_timestamptz',
  'to_timestamp',
  'to_char',
  'to_jsonb',
  'to_json',
  'jsonb_build_object',
  'jsonb_build_array',
  'json_build_object',
  'json_build_array',
  'lower',
  'upper',
  'btrim',
  'concat',
  'array_fill',
  'auth.uid',
  'auth.role',
  'auth.jwt',
  'auth.email',
]);

/** Sequences behind these types fill every existing row one by one, as a volatile default does. */
const SERIAL_TYPES = new Set(['smallserial', 'serial', 'bigserial', 'serial2', 'serial4', 'serial8']);

/** A called function's name as written, `pg_catalog.` left out. */
const funcName = (names: { String: { sval: string } }[]) =>
  names
    .map((n) => n.String.sval)
    .filter((n) => n !== 'pg_catalog')
    .join('.');

/**
 * Why a column added with this default makes PostgreSQL write every existing row (a volatile
 * function, a sequence), or null when the default is computed once: constants, casts,
 * `current_timestamp`-like values and the functions known not to be VOLATILE.
 */
export function volatileFill(column: ColumnDef): string | null {
  const type = column.typeName?.names.map((n) => n.String.sval).at(-1);
  if (type && SERIAL_TYPES.has(type)) return `as ${type} it fills every existing row from a sequence`;
  for (const { Constraint: c } of column.constraints ?? []) {
    if (c.contype === 'CONSTR_IDENTITY')
      return 'as an identity column it fills every existing row from a sequence';
    if (c.contype === 'CONSTR_DEFAULT' && c.raw_expr) {
      const volatile = volatileCall(c.raw_expr);
      if (volatile) return volatile;
    }
  }
  return null;
}

/** The first call in an expression that may be VOLATILE, described; null when there is none. */
function volatileCall(node: unknown): string | null {
  if (Array.isArray(node)) {
    for (const child of node) {
      const found = volatileCall(child);
      if (found) return found;
    }
    return null;
  }
  if (!node || typeof node !== 'object') return null;
  const call = (node as PgNode).FuncCall as { funcname: { String: { sval: string } }[] } | undefined;
  if (call) {
    const name = funcName(call.funcname);
    if (!NON_VOLATILE_FUNCTIONS.has(name)) {
      // uuid-ossp and pgcrypto live in whichever schema they were installed in.
      return KNOWN_VOLATILE.has(name.slice(name.lastIndexOf('.') + 1))
        ? `its default calls ${name}(), which is VOLATILE`
        : `its default calls ${name}(), not known to be STABLE or IMMUTABLE`;
    }
  }
  // A subquery in a default is refused by PostgreSQL anyway; anything else nests.
  for (const child of Object.values(node)) {
    const found = volatileCall(child);
    if (found) return found;
  }
  return null;
}

const KNOWN_VOLATILE = new Set([
  'random',
  'gen_random_uuid',
  'uuid_generate_v1',
  'uuid_generate_v1mc',
  'uuid_generate_v4',
  'clock_timestamp',
  'timeofday',
  'nextval',
  'gen_random_bytes',
  'uuidv7',
  'uuidv4',
]);
