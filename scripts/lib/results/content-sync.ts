// content-sync.json: what content-sync compared, planned or wrote per content table, the
// protected rows that blocked a delete, and the proof that no protected table was written.
// Also content-snapshot.json, what a sync saved of the target's content before writing, which
// --mode rollback restores. Result types only: renderers read them from here, never from the job.

import type { SequenceState, TableChecksum } from './manifest.ts';
import type { DatabaseIdentity } from './plan.ts';

export type ContentMode = 'compare' | 'dry-run' | 'sync' | 'validate' | 'rollback';

export const CONTENT_SNAPSHOT_FORMAT = 'envsync-content-snapshot/1';

/** content-snapshot.json: the target's content tables as they were before a sync wrote them. */
export interface ContentSnapshot {
  format: typeof CONTENT_SNAPSHOT_FORMAT;
  createdAt: string;
  target: { display: string; identity: DatabaseIdentity };
  /** In FK order, parents first; `file` holds the rows (COPY text format of `columns`). */
  tables: { table: string; key: string[]; columns: string[]; rows: number; checksum: string; file: string }[];
  /** The content tables' sequences as they were (a rollback never moves them back). */
  sequences: SequenceState[];
  /**
   * The manifest of the protected tables when the sync began: rows and fast checksum (`hte64`,
   * compared only on this same database), for `validate --manifest`.
   */
  protected: TableChecksum[];
  files: { name: string; bytes: number; sha256: string; encrypted: boolean }[];
  /** HMAC like a backup manifest's (BACKUP_ENCRYPTION_KEY); absent when taken without a key. */
  mac?: string;
}

/** The snapshot a sync wrote (and read back) or a rollback restored. */
export interface ContentSnapshotSummary {
  dir: string;
  createdAt: string;
  tables: number;
  rows: number;
  /** Every file read back and its sha256 (and GCM tag when encrypted) checked. */
  verified: boolean;
  encrypted: boolean;
  signed: boolean;
}

/** rollback: a content table's count and checksum after the restore against the snapshot's. */
export interface ContentRestoreCheck {
  table: string;
  snapshot: TableChecksum;
  restored: TableChecksum;
  equal: boolean;
}

/** The protected tables now; against a manifest, whether each is unchanged since the sync began. */
export interface ProtectedReport {
  /** The content snapshot whose manifest was compared; null: counts only. */
  manifest: string | null;
  tables: {
    table: string;
    rows: number;
    /** Its rows in the manifest (null: no manifest, or the table is new since). */
    before: number | null;
    /**
     * Same checksum as in the manifest. false: written since the sync began — by the
     * application (the sync's proof counted no write of its own); null: no manifest.
     */
    unchanged: boolean | null;
  }[];
}

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
  /** sync, rollback: the transaction's own statistics on every protected table — all zero, or nothing was committed. */
  proof: {
    protectedTablesChecked: number;
    writes: { table: string; inserted: number; updated: number; deleted: number }[];
  } | null;
  /** sync: the snapshot taken before writing; rollback: the snapshot restored. */
  snapshot: ContentSnapshotSummary | null;
  /** sync (after COMMIT, against its own manifest) and validate (against --manifest, or counts only). */
  protected: ProtectedReport | null;
  /** rollback: each table's count and checksum equal the snapshot's (checked before COMMIT). */
  restoreChecks: ContentRestoreCheck[] | null;
  /** rollback: sequences are never moved backwards — left where they are. */
  sequencesLeft: string[];
  /** compare, dry-run, validate: whether the target's content equals the source's (under the delete policy). */
  inSync: boolean;
  committed: boolean;
  durationMs: number;
  /** dry-run: the content of both sides when planned; a sync --plan refuses when either moved on. */
  fingerprints?: { source: string; target: string; createdAt: string };
}
