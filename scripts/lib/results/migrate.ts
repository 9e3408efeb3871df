// migrate.json: the migrations a run applied (or rehearsed with --dry-run), how they were grouped
// into transactions, what they changed, and where each migration stood before.
// A result type only: renderers read it from here, never from the job that produces it.

export type MigrationState = 'applied' | 'pending' | 'edited' | 'missing locally' | 'out of order';

export interface MigrationStatus {
  version: string;
  name: string;
  /** null for a version applied on the database that no local file has. */
  file: string | null;
  state: MigrationState;
}

export interface MigrationGroup {
  files: string[];
  /** false: a file PostgreSQL refuses inside a transaction block, run on its own. */
  transaction: boolean;
  /** Why the group ends where it does, when not simply the end of the pending files. */
  reason?: string;
}

export interface AppliedMigrationFile {
  version: string;
  name: string;
  file: string;
  ms: number;
  /** Each statement's line in the file and its time. */
  statements: { line: number; ms: number }[];
  /** --dry-run: statements that cannot run inside the rehearsal's transaction, not rehearsed. */
  notRehearsed?: { line: number; reason: string }[];
}

export interface SchemaChange {
  kind: string;
  object: string;
  change: 'created' | 'dropped' | 'altered';
}

export interface MigrateResult {
  database: { name: string; display: string };
  dir: string;
  dryRun: boolean;
  perFile: boolean;
  /** Files in the directory that are not migrations (skipped, as the CLI skips them). */
  skipped: string[];
  /** Every version before the run. */
  status: MigrationStatus[];
  groups: MigrationGroup[];
  applied: AppliedMigrationFile[];
  /** --repair: the history rows written or deleted, as `supabase migration repair` does. */
  repaired: { status: 'applied' | 'reverted'; versions: string[] } | null;
  /** What the migrations created, dropped or altered, through the catalog model. */
  changes: SchemaChange[];
  /** Lock timeouts met and retried. */
  lockRetries: number;
  durationMs: number;
}
