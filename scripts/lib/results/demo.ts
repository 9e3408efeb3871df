// demo.json: the demo's two environments, every job it ran and the comparison at the end.
// A result type only: renderers read it from here, never from the job that produces it.

import type { ObjectCounts } from './analyze.ts';
import type { StepRecord } from './run-pipeline.ts';

export type TableStatus = 'same' | 'missing on target' | 'only on target' | 'rows differ';

export interface TableComparison {
  table: string;
  platform: boolean;
  sourceRows: number | null;
  targetRows: number | null;
  status: TableStatus;
}

export interface CountDifference {
  kind: keyof ObjectCounts;
  source: number;
  target: number;
}

export interface InventoryComparison {
  tables: TableComparison[];
  counts: CountDifference[];
  identical: boolean;
}

export interface DemoResult {
  scale: number;
  dev: { display: string; tables: number; rows: number };
  staging: { display: string; tables: number; rows: number };
  comparison: InventoryComparison;
  timings: {
    clustersMs: number;
    seedMs: number;
    analyzeMs: number;
    pipelinesAndRollbackMs: number;
    contentMs: number;
    totalMs: number;
  };
  /** Every real job the demo ran, with its artifacts under <out>/<step>. */
  steps: StepRecord[];
  /** The two pipeline runs (stale staging synced, then dev's change carried over). */
  pipelines: { ok: boolean; rows: number; syncMs: number; durationMs: number }[];
  /** The rollback of staging from its snapshot proved identical. */
  stagingRolledBack: boolean;
  /** The content promotion, staging → production, while guests kept booking. */
  content: {
    /** compare: rows new, changed, and only on production, across the content tables. */
    compared: { new: number; changed: number; onlyOnTarget: number };
    /** The first sync's refusal: a guest's booking points at an amenity staging no longer has. */
    refused: string;
    /** The sync (the amenity kept on staging, with --plan): rows written in one transaction. */
    written: { inserted: number; updated: number; deleted: number };
    /** The proof: protected tables with zero writes by the sync's transaction. */
    protectedTablesChecked: number;
    /** Extras the guests booked while the sync ran, and whether every one is still there. */
    guestWrites: number;
    guestWritesKept: boolean;
    /** validate --manifest: protected tables written since the sync began — by the guests, not the sync. */
    writtenSince: string[];
    /** The content rolled back, every table's count and checksum equal to the snapshot's. */
    rolledBack: boolean;
  };
  /** When --keep: where the clusters live and how to stop them. */
  kept?: { dataDirs: string[]; stopCommand: string };
}
