// report.json: the whole workflow run, job by job, as GitHub concluded it.
// A result type only: renderers read it from here, never from the job that produces it.

/** What GitHub reports for a needed job. */
export type JobConclusion = 'success' | 'failure' | 'cancelled' | 'skipped' | 'missing';

export interface RunReport {
  /** Which pipeline ran: `staging` (db-sync) or `production` (deploy-production). */
  pipeline: string;
  /** production: the plan found nothing to deploy, so nothing after it ran (and that is fine). */
  nothingToDo: boolean;
  /** The run's mode: `replica` (the target made a replica of the source) or `migrate`. */
  mode: string;
  source: string;
  target: string;
  dryRun: boolean;
  runUrl: string | null;
  ok: boolean;
  /** The first job that failed or was cancelled (rollback excepted). */
  failedJob: string | null;
  /** null: no rollback was needed; true: the target was put back and proved; false: the rollback failed. */
  rolledBack: boolean | null;
  synced: { rows: number; tables: number } | null;
  /** Migrate mode: the migrations the migrate step applied (or rehearsed); null when it did not succeed. */
  migrated: { applied: number } | null;
  /** production: the content rows the content step wrote; null when it did not commit. */
  promoted: { rows: number } | null;
  jobs: { job: string; result: JobConclusion; headline: string; elapsedMs: number | null }[];
  totalMs: number;
}
