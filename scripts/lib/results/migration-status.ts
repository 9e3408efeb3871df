// migration-status.json: every migration version against every environment at once.
// A result type only: renderers read it from here, never from the job that produces it.

import type { MigrationState } from './migrate.ts';

export interface MigrationStatusRow {
  version: string;
  name: string;
  /** The local file, null when only a database has the version. */
  file: string | null;
  /** The state on each database, in the order of `databases`. */
  states: MigrationState[];
}

export interface MigrationStatusResult {
  dir: string;
  databases: { name: string; display: string }[];
  rows: MigrationStatusRow[];
  /** Databases with an edited, out-of-order or locally missing migration. */
  needAttention: string[];
}
