// Runs real jobs in one process the way CI runs them one per job: same flags, same
// artifact directories. Shared by run-pipeline and the demo.

import { existsSync, readFileSync } from 'node:fs';
import path from 'node:path';
import type { ExitCode } from '../base/errors.ts';
import type { JobRecord } from '../results/job-record.ts';
import type { StepRecord } from '../results/run-pipeline.ts';
import { type Job, type JobContext, type RunnerIO, runJob } from './runner.ts';

/** A job with its options sealed in (they never leave parse → run): what a list of jobs holds. */
export interface SealedJob<R> {
  name: string;
  run(argv: string[], env: NodeJS.ProcessEnv, io: RunnerIO): Promise<ExitCode>;
  /** The result type, carried for the record read back (never set). */
  readonly result?: R;
}

export const sealed = <O, R>(job: Job<O, R>): SealedJob<R> => ({
  name: job.name,
  run: (argv, env, io) => runJob(job, argv, env, io),
});

export interface StepRunner {
  steps: StepRecord[];
  /** Runs `job` with `args` and `--out <root>/<dir>`; returns its exit code and record. */
  run<R>(
    job: SealedJob<R>,
    dir: string,
    args: string[],
  ): Promise<{ code: number; record: JobRecord<R> | null; out: string }>;
}

export function stepRunner(ctx: JobContext, root: string, env: NodeJS.ProcessEnv): StepRunner {
  const steps: StepRecord[] = [];
  return {
    steps,
    async run<R>(job: SealedJob<R>, dir: string, args: string[]) {
      const out = path.join(root, dir);
      let headline = '';
      const say = (l: string) => {
        if (/^(ok|failed|error): /.test(l)) headline = headline || l;
        ctx.log.info(`  [${dir}] ${l}`);
      };
      const code = await job.run([...args, '--out', out], env, {
        stdout: say,
        stderr: say,
      });
      const file = path.join(out, `${job.name}.json`);
      const record = existsSync(file) ? (JSON.parse(readFileSync(file, 'utf8')) as JobRecord<R>) : null;
      steps.push({ step: dir, job: job.name, exitCode: code, durationMs: record?.durationMs ?? 0, headline });
      return { code, record, out };
    },
  };
}
