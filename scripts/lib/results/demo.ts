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
    totalMs: number;
  };
  /** Every real job the demo ran, with its artifacts under <out>/<step>. */
  steps: StepRecord[];
  /** The two pipeline runs (stale staging synced, then dev's change carried over). */
  pipelines: { ok: boolean; rows: number; syncMs: number; durationMs: number }[];
  /** The rollback of staging from its snapshot proved identical. */
  stagingRolledBack: boolean;
  /** When --keep: where the clusters live and how to stop them. */
  kept?: { dataDirs: string[]; stopCommand: string };
}
