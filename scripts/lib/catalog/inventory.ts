// Reads the catalog inventory of one database from one read-only snapshot: every
// catalog query in ./sql, exact row counts, load order and cycles.

import path from 'node:path';
import { fileURLToPath } from 'node:url';
import type { Query, Sql } from '../db/connect.ts';
import { computeLoadOrder } from './load-order.ts';
import type {
  Cast,
  Column,
  Constraint,
  DefaultPrivilege,
  EnumType,
  EventTrigger,
  Extension,
  ForeignKey,
  FunctionInfo,
  Grant,
  Index,
  Inventory,
  Policy,
  Publication,
  SchemaInfo,
  SchemaObject,
  Sequence,
  Table,
  Trigger,
  View,
} from './model.ts';
import { isPlatformSchema } from './platform.ts';

const sqlDir = path.join(path.dirname(fileURLToPath(import.meta.url)), 'sql');
type Row = Record<string, unknown>;

const query = (tx: Query, name: string): Promise<Row[]> =>
  tx.file(path.join(sqlDir, `${name}.sql`)) as unknown as Promise<Row[]>;

const num = (v: unknown): number => (v === null || v === undefined ? 0 : Number(v));
const str = (v: unknown): string => String(v);
const strOrNull = (v: unknown): string | null => (v === null || v === undefined ? null : String(v));
const strings = (v: unknown): string[] => (Array.isArray(v) ? v.map(String) : []);

/** The catalog queries of ./sql, each named by its file: one row list per query, read in parallel. */
const CATALOG_QUERIES = [
  'schemas',
  'tables',
  'columns',
  'constraints',
  'indexes',
  'views',
  'functions',
  'triggers',
  'policies',
  'grants',
  'default-privileges',
  'extensions',
  'sequences',
  'types',
  'event-triggers',
  'objects',
  'publications',
  'casts',
] as const;

type CatalogRows = Record<(typeof CATALOG_QUERIES)[number], Row[]>;

async function readCatalog(tx: Query): Promise<CatalogRows> {
  const read = await Promise.all(CATALOG_QUERIES.map(async (name) => [name, await query(tx, name)] as const));
  return Object.fromEntries(read) as CatalogRows;
}

export interface InventoryOptions {
  /** Count rows exactly (the default); estimates only when false. */
  exactCounts?: boolean;
  onProgress?: (message: string) => void;
}

/** Reads the inventory in its own READ ONLY, REPEATABLE READ transaction. */
export async function readInventory(sql: Sql, options: InventoryOptions = {}): Promise<Inventory> {
  return (await sql.begin('read only isolation level repeatable read', (tx) =>
    readInventoryIn(tx, options),
  )) as Inventory;
}

/** Reads the inventory inside a transaction the caller opened (to share its snapshot). */
/** What tables and views are made of, grouped by the table's oid. */
interface TableParts {
  columns: Map<number, Column[]>;
  constraints: Map<number, Row[]>;
  indexes: Map<number, Index[]>;
}

function tablePartsOf(rows: CatalogRows): TableParts {
  return {
    columns: groupBy(rows.columns, (r) => num(r.table_oid), toColumn),
    constraints: groupBy(
      rows.constraints,
      (r) => num(r.table_oid),
      (r) => r,
    ),
    indexes: groupBy(
      rows.indexes,
      (r) => num(r.table_oid),
      (r): Index => ({
        name: str(r.name),
        definition: str(r.definition),
        accessMethod: str(r.access_method),
      }),
    ),
  };
}

/** Tables with their columns, constraints and indexes; the foreign keys among their constraints. */
function toTables(rows: Row[], parts: TableParts): { tables: Table[]; foreignKeys: ForeignKey[] } {
  const foreignKeys: ForeignKey[] = [];
  const tables = rows.map((r): Table => {
    const oid = num(r.oid);
    const schema = str(r.schema);
    const name = str(r.name);
    const columns = parts.columns.get(oid) ?? [];
    const cons = parts.constraints.get(oid) ?? [];
    const constraints: Constraint[] = cons.map((c) => ({
      name: str(c.name),
      type: str(c.type) as Constraint['type'],
      definition: str(c.definition),
      columns: strings(c.columns),
      inherited: Boolean(c.inherited),
    }));
    for (const c of cons.filter((c) => c.type === 'foreign key' && !c.inherited)) {
      foreignKeys.push({
        name: str(c.name),
        table: `${schema}.${name}`,
        columns: strings(c.columns),
        references: `${str(c.ref_schema)}.${str(c.ref_table)}`,
        refColumns: strings(c.ref_columns),
        deferrable: Boolean(c.deferrable),
        onDelete: str(c.on_delete) as ForeignKey['onDelete'],
        nullable: Boolean(c.nullable),
        definition: str(c.definition),
      });
    }
    return {
      schema,
      name,
      kind: str(r.kind) as Table['kind'],
      owner: str(r.owner),
      platform: isPlatformSchema(schema),
      isPartition: Boolean(r.is_partition),
      partitionOf: strOrNull(r.partition_of),
      partitionBound: strOrNull(r.partition_bound),
      partitionKey: strOrNull(r.partition_key),
      accessMethod: strOrNull(r.access_method),
      unlogged: Boolean(r.unlogged),
      primaryKey: constraints.find((c) => c.type === 'primary key')?.columns ?? [],
      columns,
      generatedColumns: columns.filter((c) => c.generated !== null).map((c) => c.name),
      identityColumns: columns.filter((c) => c.identity !== null).map((c) => c.name),
      constraints,
      indexes: parts.indexes.get(oid) ?? [],
      rowCount: null,
      estimatedRows: num(r.estimated_rows),
      sizeBytes: num(r.size_bytes),
      rlsEnabled: Boolean(r.rls_enabled),
      rlsForced: Boolean(r.rls_forced),
      readable: Boolean(r.readable),
    };
  });
  return { tables, foreignKeys };
}

const toView = (r: Row, parts: TableParts): View => ({
  schema: str(r.schema),
  name: str(r.name),
  kind: str(r.kind) as View['kind'],
  owner: str(r.owner),
  platform: isPlatformSchema(str(r.schema)),
  definition: str(r.definition),
  populated: Boolean(r.populated),
  options: strings(r.options),
  columns: parts.columns.get(num(r.oid)) ?? [],
  indexes: parts.indexes.get(num(r.oid)) ?? [],
});

const toFunctionInfo = (r: Row): FunctionInfo => ({
  schema: str(r.schema),
  name: str(r.name),
  arguments: str(r.arguments),
  kind: str(r.kind) as FunctionInfo['kind'],
  language: str(r.language),
  result: strOrNull(r.result),
  securityDefiner: Boolean(r.security_definer),
  volatility: str(r.volatility) as FunctionInfo['volatility'],
  owner: str(r.owner),
  platform: isPlatformSchema(str(r.schema)),
  definitionMd5: str(r.definition_md5),
  config: strings(r.config),
  leakproof: Boolean(r.leakproof),
  trustedLanguage: Boolean(r.trusted_language),
});

const toTrigger = (r: Row): Trigger => ({
  schema: str(r.schema),
  table: str(r.table),
  name: str(r.name),
  enabled: str(r.enabled) as Trigger['enabled'],
  function: str(r.function),
  definition: str(r.definition),
  onPlatformTable: isPlatformSchema(str(r.schema)),
  platform: isPlatformSchema(str(r.function).split('.')[0]!),
});

const toPolicy = (r: Row): Policy => ({
  schema: str(r.schema),
  table: str(r.table),
  name: str(r.name),
  command: str(r.command) as Policy['command'],
  permissive: Boolean(r.permissive),
  roles: strings(r.roles),
  using: strOrNull(r.using_expr),
  check: strOrNull(r.check_expr),
  onPlatformTable: isPlatformSchema(str(r.schema)),
});

const toGrant = (r: Row): Grant => ({
  kind: str(r.kind) as Grant['kind'],
  schema: str(r.schema),
  name: str(r.name),
  grantee: str(r.grantee),
  privilege: str(r.privilege),
  grantable: Boolean(r.grantable),
  grantor: str(r.grantor),
  owner: str(r.owner),
  ...(r.routine !== null ? { routine: { name: str(r.routine), arguments: str(r.arguments) } } : {}),
  platform: isPlatformSchema(str(r.schema)),
});

const toDefaultPrivilege = (r: Row): DefaultPrivilege => ({
  role: str(r.role),
  schema: strOrNull(r.schema),
  objectType: str(r.object_type) as DefaultPrivilege['objectType'],
  grantee: str(r.grantee),
  privilege: str(r.privilege),
  grantable: Boolean(r.grantable),
});

const toSequence = (r: Row): Sequence => ({
  schema: str(r.schema),
  name: str(r.name),
  owner: str(r.owner),
  dataType: str(r.data_type),
  start: num(r.start_value),
  increment: num(r.increment),
  min: num(r.min_value),
  max: num(r.max_value),
  cycle: Boolean(r.cycle),
  cache: num(r.cache_size),
  lastValue: r.last_value === null ? null : num(r.last_value),
  ownedBy: strOrNull(r.owned_by),
  identity: Boolean(r.identity),
  platform: isPlatformSchema(str(r.schema)),
});

const toExtension = (r: Row): Extension => ({
  name: str(r.name),
  schema: str(r.schema),
  version: str(r.version),
  owner: str(r.owner),
  relocatable: Boolean(r.relocatable),
});

const toEventTrigger = (r: Row): EventTrigger => ({
  name: str(r.name),
  event: str(r.event),
  owner: str(r.owner),
  function: str(r.function),
  enabled: Boolean(r.enabled),
});

const toCast = (r: Row): Cast => ({
  source: str(r.source),
  target: str(r.target),
  schemas: strings(r.schemas),
  how: str(r.how),
});

const toEnumType = (r: Row): EnumType => ({
  schema: str(r.schema),
  name: str(r.name),
  labels: strings(r.labels),
  platform: isPlatformSchema(str(r.schema)),
});

const toSchemaObject = (r: Row): SchemaObject => ({
  schema: str(r.schema),
  kind: str(r.kind),
  identity: str(r.identity),
  owner: str(r.owner),
});

const toSchemaInfo = (r: Row): SchemaInfo => ({
  name: str(r.name),
  owner: str(r.owner),
  comment: strOrNull(r.comment),
  platform: isPlatformSchema(str(r.name)),
});

/** One row per publication and table: folded into publications with their tables. */
function toPublications(rows: Row[]): Publication[] {
  const publications: Publication[] = [];
  for (const r of rows) {
    let p = publications.find((x) => x.name === str(r.publication));
    if (!p) {
      p = {
        name: str(r.publication),
        owner: str(r.owner),
        allTables: Boolean(r.all_tables),
        publish: strings(r.publish),
        viaRoot: Boolean(r.via_root),
        tables: [],
      };
      publications.push(p);
    }
    if (r.table !== null) {
      p.tables.push({
        schema: str(r.schema),
        table: str(r.table),
        columns: r.columns === null ? null : strings(r.columns),
        rowFilter: strOrNull(r.row_filter),
      });
    }
  }
  return publications;
}

const toDatabase = (r: Row): Inventory['database'] => ({
  name: str(r.name),
  serverVersion: str(r.server_version),
  serverVersionNum: num(r.server_version_num),
  currentUser: str(r.current_user),
  isSuperuser: Boolean(r.is_superuser),
  bypassRls: Boolean(r.bypass_rls),
  owner: str(r.owner),
  encoding: str(r.encoding),
  sizeBytes: num(r.size_bytes),
  memberOf: strings(r.member_of),
  accessMethods: strings(r.access_methods),
});

export async function readInventoryIn(tx: Query, options: InventoryOptions = {}): Promise<Inventory> {
  // Definitions (triggers, policies, views, defaults) print fully schema-qualified, as pg_dump's
  // do, so they mean the same thing wherever they are replayed or compared.
  await tx`select set_config('search_path', '', true)`;
  const [db] = await query(tx, 'database');
  const rows = await readCatalog(tx);

  const parts = tablePartsOf(rows);
  const { tables, foreignKeys } = toTables(rows.tables, parts);

  if (options.exactCounts !== false) await countRows(tx, tables, options.onProgress);

  const order = computeLoadOrder(
    tables.map((t) => `${t.schema}.${t.name}`),
    foreignKeys.map((fk) => ({
      id: `${fk.table}.${fk.name}`,
      from: fk.table,
      to: fk.references,
      breakable: fk.nullable || fk.deferrable,
    })),
  );

  return {
    database: toDatabase(db!),
    readAt: new Date().toISOString(),
    exactCounts: options.exactCounts !== false,
    schemas: rows.schemas.map(toSchemaInfo),
    tables,
    foreignKeys,
    views: rows.views.map((r) => toView(r, parts)),
    functions: rows.functions.map(toFunctionInfo),
    triggers: rows.triggers.map(toTrigger),
    policies: rows.policies.map(toPolicy),
    grants: rows.grants.map(toGrant),
    defaultPrivileges: rows['default-privileges'].map(toDefaultPrivilege),
    sequences: rows.sequences.map(toSequence),
    extensions: rows.extensions.map(toExtension),
    enums: rows.types.map(toEnumType),
    eventTriggers: rows['event-triggers'].map(toEventTrigger),
    objects: rows.objects.map(toSchemaObject),
    publications: toPublications(rows.publications),
    casts: rows.casts.map(toCast),
    loadOrder: order.levels,
    cycles: order.cycles,
    selfReferencing: order.selfReferencing,
  };
}

export interface OutsideDependent {
  kind: string;
  dependent: string;
  /** The schema it lives in (a trigger's or policy's: its table's); null for database-wide objects. */
  dependentSchema: string | null;
  dependsOn: string;
}

/** Objects outside `schemas` that DROP … CASCADE of something inside them would take along. */
export async function outsideDependents(sql: Sql, schemas: string[]): Promise<OutsideDependent[]> {
  const rows = (await sql.begin('read only', async (tx) => {
    await tx`select set_config('search_path', '', true)`;
    return tx.file(path.join(sqlDir, 'outside-dependents.sql'), [schemas]);
  })) as unknown as Row[];
  return rows.map((r) => ({
    kind: str(r.kind),
    dependent: str(r.dependent),
    dependentSchema: strOrNull(r.dependent_schema),
    dependsOn: str(r.depends_on),
  }));
}

/** Exact `count(*)` of every readable table, a few hundred tables per round trip. */
async function countRows(tx: Query, tables: Table[], onProgress?: (m: string) => void): Promise<void> {
  const readable = tables.filter((t) => t.readable && t.kind === 'table');
  const estimated = readable.reduce((s, t) => s + t.estimatedRows, 0);
  onProgress?.(
    `counting rows exactly in ${readable.length} tables (about ${estimated.toLocaleString('en-US')} rows)`,
  );
  const batchSize = 200;
  for (let i = 0; i < readable.length; i += batchSize) {
    const batch = readable.slice(i, i + batchSize);
    const parts = batch.map(
      // ONLY: an inheritance parent's own rows (its children are counted as themselves).
      (t, k) => tx`select ${i + k}::int as i, count(*)::int8 as n from only ${tx(t.schema)}.${tx(t.name)}`,
    );
    const unioned = parts.reduce((acc, part) => tx`${acc} union all ${part}`);
    const rows = (await unioned) as unknown as { i: number; n: string | number }[];
    for (const r of rows) readable[r.i - i]!.rowCount = Number(r.n);
  }
  // A partitioned parent's count is its partitions' rows: count it for completeness.
  for (const t of tables.filter((t) => t.readable && t.kind === 'partitioned')) {
    const [r] = await tx`select count(*)::int8 as n from ${tx(t.schema)}.${tx(t.name)}`;
    t.rowCount = Number(r!.n);
  }
}

function groupBy<T>(rows: Row[], key: (r: Row) => number, map: (r: Row) => T): Map<number, T[]> {
  const out = new Map<number, T[]>();
  for (const r of rows) {
    const k = key(r);
    const list = out.get(k) ?? [];
    list.push(map(r));
    out.set(k, list);
  }
  return out;
}

function toColumn(r: Row): Column {
  return {
    name: str(r.name),
    type: str(r.type),
    notNull: Boolean(r.not_null),
    default: strOrNull(r.default_expr),
    generated: strOrNull(r.generated_expr),
    identity: (strOrNull(r.identity) as Column['identity']) ?? null,
    collation: strOrNull(r.collation),
  };
}
