// sync.json: what the sync checked, changed and copied, and whether it committed.
// A result type only: renderers read it from here, never from the job that produces it.

import type { SequenceState, TableChecksum } from './manifest.ts';
import type { DatabaseIdentity, ObjectDifference, PreflightCheck } from './plan.ts';

export interface CopiedTable {
  table: string;
  rows: number;
  bytes: number;
  ms: number;
  format: 'binary' | 'text';
}

export interface RowDelta {
  table: string;
  source: number | null;
  target: number | null;
}

/**
 * What the sync read from the source: every copied table's count and checksum and every
 * sequence's state, from the snapshot it copied. `validate --digest` compares the target with it
 * and so reads only the target's rows.
 */
export interface SourceDigest {
  source: DatabaseIdentity;
  target: DatabaseIdentity;
  /** When the source's snapshot was taken (the sync's start). */
  takenAt: string;
  tables: TableChecksum[];
  sequences: SequenceState[];
  /** How long the checksums took on the source (while the target built its indexes). */
  ms: number;
}

/** What a masked copy did to personal data: each masked column, its strategy and the rule that chose it. */
export interface SyncMasking {
  /** `--mask`, or why the source counts as production. */
  reason: string;
  tables: { table: string; columns: { column: string; strategy: string; rule: string }[] }[];
}

/** A side effect of the copy neutralized (or knowingly kept) on the target. */
export interface NeutralizedSideEffect {
  kind: 'webhook' | 'cron' | 'subscription';
  name: string;
  action: 'disabled' | 'rewritten' | 'kept';
  detail: string;
}

export interface SyncResult {
  source: { name: string; display: string };
  target: { name: string; display: string };
  dryRun: boolean;
  plan: string | null;
  checks: PreflightCheck[];
  schemas: string[];
  removedSchemas: string[];
  platformTables: string[];
  /** Schema differences before the sync (what it changed, or would change with --dry-run). */
  changes: ObjectDifference[];
  /** The masking applied on the way (null: an exact replica). */
  masking: SyncMasking | null;
  /** The side effects neutralized on the target (masked copies only). */
  neutralized: NeutralizedSideEffect[];
  /** --dry-run: every copied table's row count on both sides. */
  rowDeltas: RowDelta[];
  tables: CopiedTable[];
  sequences: number;
  terminated: number[];
  /** Dump entries owned by roles the connecting role cannot act as: left as the target has them. */
  leftAlone: string[];
  totals: { rows: number; bytes: number };
  timings: {
    preparationMs: number;
    schemaMs: number;
    copyMs: number;
    postDataMs: number;
    commitMs: number;
    totalMs: number;
  };
  committed: boolean;
  /** The source's digest (null for a dry run, or when it could not be read: the sync is unaffected). */
  digest: SourceDigest | null;
  /** The COMMIT's reply was lost with the connection; the target said afterwards that it committed. */
  commitConfirmedAfterLoss: boolean;
}
