// content-sync.json: what content-sync compared, planned or wrote per content table, the
// protected rows that blocked a delete, and the proof that no protected table was written.
// A result type only: renderers read it from here, never from the job that produces it.

export type ContentMode = 'compare' | 'dry-run' | 'sync' | 'validate';

export interface ProtectedReference {
  /** The protected table and its FK to the content table. */
  table: string;
  constraint: string;
  onDelete: string;
  /** Its rows that reference content rows the sync would delete. */
  rows: number;
}

export interface ContentTableResult {
  table: string;
  key: string[];
  policy: { delete: 'keep' | 'delete'; triggers: 'skip' | 'fire'; ignoreColumns: string[] };
  sourceRows: number;
  targetRows: number;
  /** Rows only the source has (inserted by a sync). */
  new: number;
  /** Rows on both sides whose compared columns differ (updated by a sync). */
  changed: number;
  /** Rows only the target has (deleted by a sync when the policy is delete; kept otherwise). */
  onlyOnTarget: number;
  equal: number;
  /** How many changed rows differ in each column. */
  changedColumns: Record<string, number>;
  /** A few keys of each kind, as text. */
  samples: { new: string[]; changed: string[]; onlyOnTarget: string[] };
  /** Protected rows referencing rows that would be deleted (a sync refuses when any). */
  protectedReferences: ProtectedReference[];
  /** The target's triggers on the table a sync does not fire (triggers: skip). */
  triggersSkipped: string[];
  /** A sync's writes (zero otherwise). */
  written: { inserted: number; updated: number; deleted: number };
  /** Sequences moved forward to the source's value (never backwards). */
  sequencesAdvanced: string[];
}

export interface ContentSyncResult {
  mode: ContentMode;
  source: { name: string; display: string };
  target: { name: string; display: string };
  config: string;
  tables: ContentTableResult[];
  /** sync: the transaction's own statistics on every protected table — all zero, or nothing was committed. */
  proof: {
    protectedTablesChecked: number;
    writes: { table: string; inserted: number; updated: number; deleted: number }[];
  } | null;
  /** compare, dry-run, validate: whether the target's content equals the source's (under the delete policy). */
  inSync: boolean;
  committed: boolean;
  durationMs: number;
}
