// run-pipeline.json: each step the local pipeline ran, the sync's totals, the rollback if any.
// A result type only: renderers read it from here, never from the job that produces it.

export interface StepRecord {
  step: string;
  job: string;
  exitCode: number;
  durationMs: number;
  /** The job's own one-line verdict or error. */
  headline: string;
}

export interface PipelineResult {
  source: { name: string; display: string };
  target: { name: string; display: string };
  ok: boolean;
  /** The step that failed first, if any. */
  failedStep: string | null;
  synced: { tables: number; rows: number; bytes: number; ms: number } | null;
  rolledBack: boolean | null;
  steps: StepRecord[];
  out: string;
  durationMs: number;
}
