// run-pipeline: the staging pipeline in one process — analyze → backup(source) →
// prepare → sync → validate → health-check — with the artifact directories the CI jobs
// write; a failure after sync committed rolls the target back from prepare's snapshot.

import path from 'node:path';
import { connectTimeoutFlag, parseConnectTimeout, requireSourceAndTarget } from '../cli/database-flags.ts';
import type { DatabaseTarget } from '../db/url.ts';
import { renderPipelineSummary } from '../report/pipeline-summary.ts';
import type { PipelineResult } from '../results/run-pipeline.ts';
import type { SyncResult } from '../results/sync.ts';
import { analyzeJob } from './analyze.ts';
import { backupJob } from './backup.ts';
import { healthCheckJob } from './health-check.ts';
import { prepareJob } from './prepare.ts';
import { rollbackJob } from './rollback.ts';
import type { Job, JobContext } from './runner.ts';
import { stepRunner } from './steps.ts';
import { syncJob } from './sync.ts';
import { validateJob } from './validate.ts';

export interface PipelineOptions {
  source: DatabaseTarget;
  target: DatabaseTarget;
  /** The flags as given: the steps get them verbatim (names stay names). */
  sourceArg: string;
  targetArg: string;
  out: string;
  allowProduction: boolean;
  terminateBlockers: boolean;
  urls: string[];
  criticalTables?: string;
  connectTimeout: number;
  env: NodeJS.ProcessEnv;
}

export async function runPipeline(ctx: JobContext, o: PipelineOptions): Promise<PipelineResult> {
  const started = ctx.now().getTime();
  const steps = stepRunner(ctx, o.out, o.env);
  const common = ['--connect-timeout', String(o.connectTimeout)];
  const prod = o.allowProduction ? ['--allow-production'] : [];
  const pair = ['--source', o.sourceArg, '--target', o.targetArg];
  let failedStep: string | null = null;
  let synced: PipelineResult['synced'] = null;
  let rolledBack: boolean | null = null;

  const sequence: [Job<never, unknown>, string, string[]][] = [
    [analyzeJob as never, 'analyze', ['--db', o.sourceArg]],
    [backupJob as never, 'backup', ['--db', o.sourceArg]],
    [prepareJob as never, 'prepare', [...pair, ...prod]],
  ];
  for (const [job, dir, args] of sequence) {
    const { code } = await steps.run(job, dir, [...args, ...common]);
    if (code !== 0) {
      failedStep = dir;
      break;
    }
  }
  if (!failedStep) {
    const s = await steps.run(syncJob as never, 'sync', [
      ...pair,
      '--plan',
      path.join(o.out, 'prepare'),
      ...prod,
      ...(o.terminateBlockers ? ['--terminate-blockers'] : []),
      ...common,
    ]);
    if (s.code !== 0) failedStep = 'sync';
    else {
      const r = s.record!.result as SyncResult;
      synced = { tables: r.tables.length, rows: r.totals.rows, bytes: r.totals.bytes, ms: r.timings.totalMs };
      // After the commit: anything failing now means staging must go back to its snapshot.
      const checks: [Job<never, unknown>, string, string[]][] = [
        [validateJob as never, 'validate', pair],
        [
          healthCheckJob as never,
          'health-check',
          [
            '--db',
            o.targetArg,
            ...(o.criticalTables ? ['--critical-tables', o.criticalTables] : []),
            ...o.urls.flatMap((u) => ['--url', u]),
          ],
        ],
      ];
      for (const [job, dir, args] of checks) {
        const { code } = await steps.run(job, dir, job === validateJob ? [...args, ...common] : args);
        if (code !== 0) {
          failedStep = dir;
          break;
        }
      }
      if (failedStep) {
        ctx.log.warn(
          `${failedStep} failed after the sync committed: rolling ${o.target.display} back to its snapshot`,
        );
        const rb = await steps.run(rollbackJob as never, 'rollback', [
          '--target',
          o.targetArg,
          '--from',
          path.join(o.out, 'prepare', 'snapshot'),
          ...prod,
          ...common,
        ]);
        rolledBack = rb.code === 0;
      }
    }
  }
  return {
    source: o.source.display,
    target: o.target.display,
    ok: failedStep === null,
    failedStep,
    synced,
    rolledBack,
    steps: steps.steps,
    out: o.out,
    durationMs: ctx.now().getTime() - started,
  };
}

export const pipelineJob: Job<PipelineOptions, PipelineResult> = {
  name: 'run-pipeline',
  description:
    'The staging pipeline in one command: analyze → backup(source) → prepare → sync → validate → health-check, ' +
    'each a real job writing its artifacts to <out>/<job>/ as in CI. If validate or the health check fails after ' +
    'the sync committed, the target is rolled back from prepare’s snapshot and proved identical to it.',
  examples: [
    'npm run pipeline -- --source dev --target staging',
    'npm run pipeline -- --source dev --target staging --url https://staging.example.com/health',
  ],
  flags: {
    source: { type: 'string', value: '<env|url>', description: 'the database to replicate' },
    target: { type: 'string', value: '<env|url>', description: 'the database to replace' },
    url: {
      type: 'string',
      multiple: true,
      value: '<url>',
      description: 'an app endpoint the health check must see answer 2xx (repeatable)',
    },
    'critical-tables': { type: 'string', value: '<a,b>', description: 'tables the health check requires' },
    'allow-production': { type: 'boolean', description: 'allow a production target' },
    'terminate-blockers': { type: 'boolean', description: 'end sessions that block the sync on the target' },
    'connect-timeout': connectTimeoutFlag,
  },
  parse(flags, env) {
    const { source, target } = requireSourceAndTarget(flags, env, 'run-pipeline', true);
    return {
      source,
      target,
      sourceArg: String(flags.source),
      targetArg: String(flags.target),
      out: typeof flags.out === 'string' ? flags.out : path.join('artifacts', 'run-pipeline'),
      allowProduction: flags['allow-production'] === true,
      terminateBlockers: flags['terminate-blockers'] === true,
      urls: Array.isArray(flags.url) ? flags.url.map(String) : [],
      ...(typeof flags['critical-tables'] === 'string' ? { criticalTables: flags['critical-tables'] } : {}),
      connectTimeout: parseConnectTimeout(flags['connect-timeout']),
      env,
    };
  },
  run: runPipeline,
  render: renderPipelineSummary,
  verdict: (r) => ({
    ok: r.ok,
    headline: r.ok
      ? `${r.target} replicates ${r.source}, validated and healthy: ${r.synced?.rows.toLocaleString('en-US')} rows in ${r.synced?.tables} tables (pipeline ${(r.durationMs / 1000).toFixed(1)} s)`
      : `pipeline stopped at ${r.failedStep}${r.rolledBack === null ? '' : r.rolledBack ? `; ${r.target} was rolled back to its snapshot` : `; ROLLBACK FAILED — see ${r.out}/rollback`}`,
    problems: r.steps.filter((s) => s.exitCode !== 0).map((s) => `${s.step}: ${s.headline}`),
    warnings: [],
  }),
  outputs: (r) => ({ ok: r.ok, failed_step: r.failedStep ?? '', rolled_back: r.rolledBack ?? false }),
};
