// The one description of a database that every job reads: analyze writes it,
// prepare/sync/validate/drift compare and act on it.

export interface DatabaseInfo {
  name: string;
  serverVersion: string;
  serverVersionNum: number;
  currentUser: string;
  isSuperuser: boolean;
  /** BYPASSRLS: reads every row of a FORCE ROW LEVEL SECURITY table (attributes are not inherited). */
  bypassRls: boolean;
  owner: string;
  encoding: string;
  sizeBytes: number;
  /** Roles the connecting role can act as: itself and every role whose privileges it has (inherits). */
  memberOf: string[];
  /** Table and index access methods this database has (heap, btree, gin, …). */
  accessMethods: string[];
}

export interface SchemaInfo {
  name: string;
  owner: string;
  comment: string | null;
  platform: boolean;
}

export interface Column {
  name: string;
  type: string;
  notNull: boolean;
  default: string | null;
  /** Expression of a STORED generated column. */
  generated: string | null;
  identity: 'always' | 'by default' | null;
  collation: string | null;
}

export interface Constraint {
  name: string;
  type: 'primary key' | 'unique' | 'foreign key' | 'check' | 'exclusion';
  definition: string;
  columns: string[];
  /** A partition's copy of its parent's constraint (its key, a cloned FK): not dumped on its own. */
  inherited: boolean;
}

export interface ForeignKey {
  name: string;
  /** `schema.table` of the referencing table. */
  table: string;
  columns: string[];
  /** `schema.table` of the referenced table. */
  references: string;
  refColumns: string[];
  deferrable: boolean;
  /** What deleting a referenced row does to the referencing rows. */
  onDelete: 'cascade' | 'set null' | 'set default' | 'restrict' | 'no action';
  /** Every referencing column is nullable: the FK can be loaded in two passes. */
  nullable: boolean;
  definition: string;
}

export interface Index {
  name: string;
  definition: string;
  accessMethod: string;
}

export interface Table {
  schema: string;
  name: string;
  kind: 'table' | 'partitioned';
  owner: string;
  platform: boolean;
  isPartition: boolean;
  /** `schema.table` of the partitioned parent, for a partition. */
  partitionOf: string | null;
  /** `FOR VALUES …` / `DEFAULT`, for a partition. */
  partitionBound: string | null;
  /** `RANGE (k)`, `LIST (…)`, `HASH (…)`, for a partitioned table. */
  partitionKey: string | null;
  unlogged: boolean;
  /** Table access method (heap, or null for a partitioned table without one). */
  accessMethod: string | null;
  primaryKey: string[];
  columns: Column[];
  generatedColumns: string[];
  identityColumns: string[];
  constraints: Constraint[];
  indexes: Index[];
  /** Exact `count(*)` in the inventory's snapshot; null when the role cannot read the table. */
  rowCount: number | null;
  estimatedRows: number;
  sizeBytes: number;
  rlsEnabled: boolean;
  rlsForced: boolean;
  readable: boolean;
}

export interface View {
  schema: string;
  name: string;
  kind: 'view' | 'matview';
  owner: string;
  platform: boolean;
  definition: string;
  populated: boolean;
  options: string[];
  columns: Column[];
  indexes: Index[];
}

export interface FunctionInfo {
  schema: string;
  name: string;
  arguments: string;
  kind: 'function' | 'procedure' | 'aggregate' | 'window';
  language: string;
  result: string | null;
  securityDefiner: boolean;
  volatility: 'immutable' | 'stable' | 'volatile';
  owner: string;
  platform: boolean;
  definitionMd5: string;
  config: string[];
  leakproof: boolean;
  /** Its language may be used by roles other than superusers (SQL, plpgsql; not internal or C). */
  trustedLanguage: boolean;
}

export interface Trigger {
  schema: string;
  table: string;
  name: string;
  enabled: 'origin' | 'disabled' | 'replica' | 'always';
  function: string;
  definition: string;
  /** On a platform table (e.g. auth.users) but owned by the app: synced as a user object. */
  onPlatformTable: boolean;
  /** The trigger's function is in a platform schema: part of the platform itself. */
  platform: boolean;
}

export interface Policy {
  schema: string;
  table: string;
  name: string;
  command: 'select' | 'insert' | 'update' | 'delete' | 'all';
  permissive: boolean;
  roles: string[];
  using: string | null;
  check: string | null;
  onPlatformTable: boolean;
}

export interface Grant {
  kind: 'schema' | 'table' | 'view' | 'matview' | 'sequence' | 'function';
  schema: string;
  /** The object's name; for a function `name(argument types)`, for people and keys. */
  name: string;
  /** For a function: its name and identity arguments apart, for SQL. */
  routine?: { name: string; arguments: string };
  grantee: string;
  privilege: string;
  grantable: boolean;
  grantor: string;
  /** The object's owner (only roles that can act as it may change its grants). */
  owner: string;
  platform: boolean;
}

export interface DefaultPrivilege {
  role: string;
  schema: string | null;
  objectType: 'tables' | 'sequences' | 'functions' | 'types' | 'schemas';
  grantee: string;
  privilege: string;
  grantable: boolean;
}

export interface Sequence {
  schema: string;
  name: string;
  owner: string;
  dataType: string;
  start: number;
  increment: number;
  min: number;
  max: number;
  cycle: boolean;
  cache: number;
  /** null until the first nextval() (or when the role cannot read it). */
  lastValue: number | null;
  ownedBy: string | null;
  identity: boolean;
  platform: boolean;
}

export interface Extension {
  name: string;
  schema: string;
  version: string;
  owner: string;
  /** Can move to another schema (ALTER EXTENSION … SET SCHEMA). */
  relocatable: boolean;
}

export interface EnumType {
  schema: string;
  name: string;
  labels: string[];
  platform: boolean;
}

export interface EventTrigger {
  name: string;
  event: string;
  owner: string;
  function: string;
  enabled: boolean;
}

/**
 * Any object that lives in a schema, whatever its kind (pg_identify_object's type and quoted
 * identity): what replacing a schema removes. Extension members and parts of other objects
 * (indexes, partitions, row types) are not listed: they go with their owner object.
 */
export interface SchemaObject {
  schema: string;
  /** `table`, `function`, `collation`, `operator class`, `text search configuration`, `domain`, … */
  kind: string;
  /** Schema-qualified and quoted, as DROP takes it: `public."Odd"(integer)`, `app.ops USING btree`. */
  identity: string;
  owner: string;
}

/** A user-defined cast (database-wide): the app's are those naming its schemas' types or functions. */
export interface Cast {
  source: string;
  target: string;
  /** Schemas of the source type, target type and function. */
  schemas: string[];
  /** `WITH FUNCTION s.f(t)`, `WITH INOUT`, `WITHOUT FUNCTION`, then `AS ASSIGNMENT` / `AS IMPLICIT`. */
  how: string;
}

/** SchemaObject kinds the model describes in detail elsewhere (tables, views, functions, …). */
export const DESCRIBED_KINDS: ReadonlySet<string> = new Set([
  'table',
  'view',
  'materialized view',
  'sequence',
  'function',
  'procedure',
  'aggregate',
  'enum',
]);

export interface PublicationTable {
  schema: string;
  table: string;
  /** Column list, or null for every column. */
  columns: string[] | null;
  rowFilter: string | null;
}

export interface Publication {
  name: string;
  owner: string;
  allTables: boolean;
  /** The operations it publishes: insert, update, delete, truncate. */
  publish: string[];
  viaRoot: boolean;
  tables: PublicationTable[];
}

export interface FkCycle {
  /** `schema.table` names in the cycle, sorted. */
  tables: string[];
  /** `schema.table.constraint` of every FK inside the cycle. */
  foreignKeys: string[];
  /** FKs whose columns are nullable or that are deferrable: where the cycle can be broken. */
  breakableAt: string[];
}

export interface Inventory {
  database: DatabaseInfo;
  /** When the snapshot was read (ISO). */
  readAt: string;
  /** Whether `rowCount`s are exact `count(*)` (false: only planner estimates were read). */
  exactCounts: boolean;
  schemas: SchemaInfo[];
  tables: Table[];
  foreignKeys: ForeignKey[];
  views: View[];
  functions: FunctionInfo[];
  triggers: Trigger[];
  policies: Policy[];
  grants: Grant[];
  defaultPrivileges: DefaultPrivilege[];
  sequences: Sequence[];
  extensions: Extension[];
  enums: EnumType[];
  eventTriggers: EventTrigger[];
  objects: SchemaObject[];
  publications: Publication[];
  casts: Cast[];
  /** FK dependency levels: every table's referenced tables sit in earlier levels (or its own cycle). */
  loadOrder: string[][];
  cycles: FkCycle[];
  /** Tables with an FK to themselves (loadable in one pass inside a transaction). */
  selfReferencing: string[];
}

export const qualified = (o: { schema: string; name: string }): string => `${o.schema}.${o.name}`;

/** What a table's owner holds by default (PostgreSQL ≤ 16; 17 adds MAINTAIN). */
export const TABLE_PRIVILEGES: readonly string[] = [
  'SELECT',
  'INSERT',
  'UPDATE',
  'DELETE',
  'TRUNCATE',
  'REFERENCES',
  'TRIGGER',
];

/** Every privilege name PostgreSQL has: the words that may go into GRANT and REVOKE. */
export const PRIVILEGES: readonly string[] = [
  ...TABLE_PRIVILEGES,
  'MAINTAIN',
  'USAGE',
  'CREATE',
  'EXECUTE',
  'CONNECT',
  'TEMPORARY',
];

/** Whether the inventory's connecting role may act as `role` (own, alter or drop its objects). */
export const canActAs = (inv: Inventory, role: string): boolean =>
  inv.database.isSuperuser || inv.database.memberOf.includes(role);
