// plan.json: what prepare found and what sync will do — checks, changes, tables, fingerprints.
// A result type only: renderers read it from here, never from the job that produces it.

export interface DatabaseIdentity {
  systemIdentifier: string | null;
  /** The server's own address and port (null/0 over a unix socket). */
  serverAddress: string | null;
  serverPort: number;
  database: string;
  databaseOid: number;
}

export type ObjectKind =
  | 'schema'
  | 'table'
  | 'view'
  | 'function'
  | 'trigger'
  | 'policy'
  | 'grant'
  | 'default privilege'
  | 'sequence'
  | 'enum'
  | 'extension';

export interface ObjectDifference {
  /** One of ObjectKind, or any other kind a schema holds (`collation`, `operator`, …), `cast`, `publication`. */
  kind: ObjectKind | string;
  object: string;
  change: 'missing on target' | 'only on target' | 'differs';
  /** For `differs`: which properties differ, with both values. */
  fields?: { field: string; source: unknown; target: unknown }[];
}

export interface PreflightCheck {
  name: string;
  status: 'pass' | 'fail' | 'warn';
  detail: string;
  hint?: string;
}

export const PLAN_FORMAT = 'envsync-plan/1';

export interface PlanSide {
  /** The environment name (`dev`, `staging`) or `url`. */
  name: string;
  display: string;
  identity: DatabaseIdentity;
  serverVersion: string;
  /** sha256 of every replicated object's signature (schema only: data changes keep it). */
  fingerprint: string;
}

export interface PlannedTable {
  table: string;
  estimatedRows: number;
  bytes: number;
  platform: boolean;
}

export interface SyncPlan {
  format: typeof PLAN_FORMAT;
  createdAt: string;
  source: PlanSide;
  target: PlanSide;
  checks: PreflightCheck[];
  /** App schemas whose DDL and data are replaced. */
  schemas: string[];
  /** Platform tables whose rows are replaced. */
  platformTables: string[];
  /** The app's triggers and policies on platform tables, re-created from the source. */
  platformObjects: string[];
  /**
   * Rows of the target that deleting the platform rows also deletes or changes through FKs
   * (auth.users → sessions, refresh tokens, MFA factors, one-time tokens): not carried from the
   * source, so lost on the target (every user signed out); the snapshot keeps them.
   */
  cascades?: { table: string; rows: number }[];
  tables: PlannedTable[];
  /** What exists only on the target and is removed by the sync. */
  removes: ObjectDifference[];
  /** Objects the sync creates or changes on the target. */
  changes: ObjectDifference[];
  estimatedSeconds: number;
  /** The target's rollback snapshot (a backup directory), relative to the plan's directory. */
  snapshot: string | null;
}
