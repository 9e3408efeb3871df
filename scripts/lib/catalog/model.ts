// The one description of a database that every job reads: analyze writes it,
// prepare/sync/validate/drift compare and act on it.

export interface DatabaseInfo {
  name: string;
  serverVersion: string;
  serverVersionNum: number;
  currentUser: string;
  isSuperuser: boolean;
  owner: string;
  encoding: string;
  sizeBytes: number;
}

export interface SchemaInfo {
  name: string;
  owner: string;
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
  /** Every referencing column is nullable: the FK can be loaded in two passes. */
  nullable: boolean;
  definition: string;
}

export interface Index {
  name: string;
  definition: string;
}

export interface Table {
  schema: string;
  name: string;
  kind: 'table' | 'partitioned';
  owner: string;
  platform: boolean;
  isPartition: boolean;
  unlogged: boolean;
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
  name: string;
  grantee: string;
  privilege: string;
  grantable: boolean;
  grantor: string;
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
  /** FK dependency levels: every table's referenced tables sit in earlier levels (or its own cycle). */
  loadOrder: string[][];
  cycles: FkCycle[];
  /** Tables with an FK to themselves (loadable in one pass inside a transaction). */
  selfReferencing: string[];
}

export const qualified = (o: { schema: string; name: string }): string => `${o.schema}.${o.name}`;
