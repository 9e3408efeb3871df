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
export async function readInventoryIn(tx: Query, options: InventoryOptions = {}): Promise<Inventory> {
  // Definitions (triggers, policies, views, defaults) print fully schema-qualified, as pg_dump's
  // do, so they mean the same thing wherever they are replayed or compared.
  await tx`select set_config('search_path', '', true)`;
  const [db] = await query(tx, 'database');
  const rows = await readCatalog(tx);

  const columnsOf = groupBy(rows.columns, (r) => num(r.table_oid), toColumn);
  const constraintsOf = groupBy(
    rows.constraints,
    (r) => num(r.table_oid),
    (r) => r,
  );
  const indexesOf = groupBy(
    rows.indexes,
    (r) => num(r.table_oid),
    (r): Index => ({ name: str(r.name), definition: str(r.definition), accessMethod: str(r.access_method) }),
  );

  const foreignKeys: ForeignKey[] = [];
  const tables: Table[] = rows.tables.map((r) => {
    const oid = num(r.oid);
    const schema = str(r.schema);
    const name = str(r.name);
    const columns = columnsOf.get(oid) ?? [];
    const cons = constraintsOf.get(oid) ?? [];
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
      indexes: indexesOf.get(oid) ?? [],
      rowCount: null,
      estimatedRows: num(r.estimated_rows),
      sizeBytes: num(r.size_bytes),
      rlsEnabled: Boolean(r.rls_enabled),
      rlsForced: Boolean(r.rls_forced),
      readable: Boolean(r.readable),
    };
  });

  if (options.exactCounts !== false) await countRows(tx, tables, options.onProgress);

  const views: View[] = rows.views.map((r) => ({
    schema: str(r.schema),
    name: str(r.name),
    kind: str(r.kind) as View['kind'],
    owner: str(r.owner),
    platform: isPlatformSchema(str(r.schema)),
    definition: str(r.definition),
    populated: Boolean(r.populated),
    options: strings(r.options),
    columns: columnsOf.get(num(r.oid)) ?? [],
    indexes: indexesOf.get(num(r.oid)) ?? [],
  }));

  const functions: FunctionInfo[] = rows.functions.map((r) => ({
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
  }));

  const triggers: Trigger[] = rows.triggers.map((r) => ({
    schema: str(r.schema),
    table: str(r.table),
    name: str(r.name),
    enabled: str(r.enabled) as Trigger['enabled'],
    function: str(r.function),
    definition: str(r.definition),
    onPlatformTable: isPlatformSchema(str(r.schema)),
    platform: isPlatformSchema(str(r.function).split('.')[0]!),
  }));

  const policies: Policy[] = rows.policies.map((r) => ({
    schema: str(r.schema),
    table: str(r.table),
    name: str(r.name),
    command: str(r.command) as Policy['command'],
    permissive: Boolean(r.permissive),
    roles: strings(r.roles),
    using: strOrNull(r.using_expr),
    check: strOrNull(r.check_expr),
    onPlatformTable: isPlatformSchema(str(r.schema)),
  }));

  const grants: Grant[] = rows.grants.map((r) => ({
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
  }));

  const defaultPrivileges: DefaultPrivilege[] = rows['default-privileges'].map((r) => ({
    role: str(r.role),
    schema: strOrNull(r.schema),
    objectType: str(r.object_type) as DefaultPrivilege['objectType'],
    grantee: str(r.grantee),
    privilege: str(r.privilege),
    grantable: Boolean(r.grantable),
  }));

  const sequences: Sequence[] = rows.sequences.map((r) => ({
    schema: str(r.schema),
    name: str(r.name),
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
  }));

  const extensions: Extension[] = rows.extensions.map((r) => ({
    name: str(r.name),
    schema: str(r.schema),
    version: str(r.version),
    owner: str(r.owner),
    relocatable: Boolean(r.relocatable),
  }));
  const enums: EnumType[] = rows.types.map((r) => ({
    schema: str(r.schema),
    name: str(r.name),
    labels: strings(r.labels),
    platform: isPlatformSchema(str(r.schema)),
  }));
  const eventTriggers: EventTrigger[] = rows['event-triggers'].map((r) => ({
    name: str(r.name),
    event: str(r.event),
    owner: str(r.owner),
    function: str(r.function),
    enabled: Boolean(r.enabled),
  }));
  const objects: SchemaObject[] = rows.objects.map((r) => ({
    schema: str(r.schema),
    kind: str(r.kind),
    identity: str(r.identity),
    owner: str(r.owner),
  }));
  const publications: Publication[] = [];
  for (const r of rows.publications) {
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
  const casts: Cast[] = rows.casts.map((r) => ({
    source: str(r.source),
    target: str(r.target),
    schemas: strings(r.schemas),
    how: str(r.how),
  }));
  const schemas: SchemaInfo[] = rows.schemas.map((r) => ({
    name: str(r.name),
    owner: str(r.owner),
    comment: strOrNull(r.comment),
    platform: isPlatformSchema(str(r.name)),
  }));

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
    database: {
      name: str(db!.name),
      serverVersion: str(db!.server_version),
      serverVersionNum: num(db!.server_version_num),
      currentUser: str(db!.current_user),
      isSuperuser: Boolean(db!.is_superuser),
      bypassRls: Boolean(db!.bypass_rls),
      owner: str(db!.owner),
      encoding: str(db!.encoding),
      sizeBytes: num(db!.size_bytes),
      memberOf: strings(db!.member_of),
      accessMethods: strings(db!.access_methods),
    },
    readAt: new Date().toISOString(),
    exactCounts: options.exactCounts !== false,
    schemas,
    tables,
    foreignKeys,
    views,
    functions,
    triggers,
    policies,
    grants,
    defaultPrivileges,
    sequences,
    extensions,
    enums,
    eventTriggers,
    objects,
    publications,
    casts,
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
