// Runs real jobs in one process the way CI runs them one per job: same flags, same
// artifact directories. Shared by run-pipeline and the demo.

import { existsSync, readFileSync } from 'node:fs';
import path from 'node:path';
import type { JobRecord } from '../results/job-record.ts';
import type { StepRecord } from '../results/run-pipeline.ts';
import type { Job, JobContext } from './runner.ts';
import { runJob } from './runner.ts';

export interface StepRunner {
  steps: StepRecord[];
  /** Runs `job` with `args` and `--out <root>/<dir>`; returns its exit code and record. */
  run<R>(
    job: Job<never, R>,
    dir: string,
    args: string[],
  ): Promise<{ code: number; record: JobRecord<R> | null; out: string }>;
}

export function stepRunner(ctx: JobContext, root: string, env: NodeJS.ProcessEnv): StepRunner {
  const steps: StepRecord[] = [];
  return {
    steps,
    async run<R>(job: Job<never, R>, dir: string, args: string[]) {
      const out = path.join(root, dir);
      let headline = '';
      const say = (l: string) => {
        if (/^(ok|failed|error): /.test(l)) headline = headline || l;
        ctx.log.info(`  [${dir}] ${l}`);
      };
      const code = await runJob(job as Job<unknown, R>, [...args, '--out', out], env, {
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
