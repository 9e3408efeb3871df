// bench.json: envsync sync and validate timed against pg_dump | psql and friends on the same
// data in the same run. A result type only: renderers read it from here, never from the job.

import type { SyncResult } from './sync.ts';

/** The figures the bench is held to (docs/bench.md). */
export const BENCH_TARGETS = {
  /** sync's median over `pg_dump | psql --single-transaction`'s, at most (issue 16: 0.85×). */
  syncVsDump: 0.85,
  /** validate's median over sync's, at most (issue 16: 0.35×). */
  validateVsSync: 0.35,
  /** sync's rows per second of wall time (tsx start included), at least. */
  syncRowsPerSecond: 500_000,
  /** Time at 10× the rows over time at 1×, at most (issue 16: linear, 10.5×). */
  growthPerTenfold: 10.5,
} as const;

export type BenchDatasetKey = 'pgbench' | 'demo';

/** One method's wall times, in seconds, run after run. */
export interface BenchMethod {
  /** `(a)` … `(f)`: how the summary and the ratios refer to it. */
  id: 'a' | 'b' | 'c' | 'd' | 'e' | 'f' | 'g' | 'h';
  method: string;
  seconds: number[];
  medianSeconds: number;
}

export interface BenchDataset {
  key: BenchDatasetKey;
  /** What was loaded, e.g. `pgbench -i -s 50`. */
  name: string;
  rows: number;
  methods: BenchMethod[];
  /** Median of sync's own phases (from sync.json), in ms. */
  syncPhases: SyncResult['timings'];
  ratios: {
    /** sync / (a) pg_dump | psql. */
    syncVsDump: number;
    /** sync / (b) pg_dump -Fc + pg_restore. */
    syncVsRestore: number;
    /** validate --digest / sync --digest: the pipeline's pair. */
    validateVsSync: number;
    /** validate reading both servers / sync. */
    validateBothVsSync: number;
    /** sync --digest / (a) pg_dump | psql: what keeping the digest costs the sync. */
    syncDigestVsDump: number;
    syncRowsPerSecond: number;
  };
  /** The growth curve (pgbench only, at a tenth of --pgbench-scale). */
  growth?: BenchGrowth;
}

/** The same methods on the same data set at a tenth of the scale: how the cost grows. */
export interface BenchGrowth {
  /** What was loaded for the small run, e.g. `pgbench -i -s 5`. */
  smallName: string;
  smallRows: number;
  rows: number;
  methods: {
    id: BenchMethod['id'];
    method: string;
    smallSeconds: number;
    seconds: number;
    /** seconds / smallSeconds. */
    ratio: number;
  }[];
  /** sync's in-job phases (medians, ms) at both sizes: COPY and index builds alone, start-up left out. */
  syncPhases: { copyMs: [number, number]; postDataMs: [number, number]; totalMs: [number, number] };
}

export interface BenchResult {
  runs: number;
  cpus: number;
  startedAt: string;
  /** Whether pgcopydb was on PATH (method (c)). */
  pgcopydb: boolean;
  /** Why pgcopydb could not be run (not installed, and not installable here). */
  pgcopydbMissing?: string;
  datasets: BenchDataset[];
}
