// The envelope of every `<job>.json`: status, exit code, timings, and the result or the error.
// A result type only: renderers read it from here, never from the job that produces it.

import type { ErrorDetail, ExitCode } from '../base/errors.ts';

export interface JobRecord<Result> {
  job: string;
  status: 'ok' | 'failed' | 'error';
  exitCode: ExitCode;
  startedAt: string;
  finishedAt: string;
  durationMs: number;
  result?: Result;
  error?: { message: string; hint: string; detail?: ErrorDetail };
}
