// run-pipeline: the staging pipeline (scripts/lib/jobs/pipeline.ts) in one process, in its
// replica mode, with the artifact directories the CI jobs write; a failure after sync
// committed rolls the target back from prepare's snapshot. (db-sync.yml's migrate mode runs
// on Actions only: `npm run migrate` is its middle step on a laptop.)

import path from 'node:path';
import { InputError, readFlags } from '../base/errors.ts';
import {
  connectTimeoutFlag,
  parseConnectTimeout,
  parseList,
  platformTablesFlag,
  requireSourceAndTarget,
} from '../cli/database-flags.ts';
import type { DatabaseTarget } from '../db/url.ts';
import { renderPipelineSummary } from '../report/pipeline-summary.ts';
import type { JobConclusion } from '../results/report.ts';
import type { PipelineResult } from '../results/run-pipeline.ts';
import type { SyncResult } from '../results/sync.ts';
import { analyzeJob } from './analyze.ts';
import { backupJob } from './backup.ts';
import { healthCheckJob } from './health-check.ts';
import {
  committingStep,
  describeOrder,
  mayRun,
  mustRollBack,
  type PipelineStep,
  rollbackStep,
  type StagingMode,
  type StagingStepName,
  stagingPipeline,
  workSteps,
} from './pipeline.ts';
import { prepareJob } from './prepare.ts';
import { rollbackJob } from './rollback.ts';
import type { Job, JobContext } from './runner.ts';
import { type SealedJob, sealed, stepRunner } from './steps.ts';
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
  /** Passed to prepare (its plan carries them to sync) and validate. */
  platformTables?: string[];
  connectTimeout: number;
  env: NodeJS.ProcessEnv;
}

/** The mode run-pipeline runs: the replica. */
const MODE: StagingMode = 'replica';

/** The report is this job's own result: every other step of the replica mode runs here. */
type LocalStep = Exclude<StagingStepName, 'report' | 'migrate'>;

/** Each step's job: a step added to the definition without one here does not compile. */
const JOBS: Record<LocalStep, SealedJob<unknown>> = {
  analyze: sealed(analyzeJob),
  backup: sealed(backupJob),
  prepare: sealed(prepareJob),
  sync: sealed(syncJob),
  validate: sealed(validateJob),
  'health-check': sealed(healthCheckJob),
  rollback: sealed(rollbackJob),
};

/** Each step's own flags; what it reads from an earlier step comes from the definition. */
function stepArgs(step: LocalStep, o: PipelineOptions): string[] {
  const timeout = ['--connect-timeout', String(o.connectTimeout)];
  const prod = o.allowProduction ? ['--allow-production'] : [];
  const pair = ['--source', o.sourceArg, '--target', o.targetArg];
  // prepare's plan carries the platform tables to sync; validate compares the same ones.
  const platform = o.platformTables ? ['--platform-tables', o.platformTables.join(',')] : [];
  switch (step) {
    case 'analyze':
    case 'backup':
      return ['--db', o.sourceArg, ...timeout];
    case 'prepare':
      return [...pair, ...prod, ...platform, ...timeout];
    case 'sync':
      // The digest: validate, next, then reads only the target's rows.
      return [
        ...pair,
        ...prod,
        '--digest',
        ...(o.terminateBlockers ? ['--terminate-blockers'] : []),
        ...timeout,
      ];
    case 'validate':
      return [...pair, ...platform, ...timeout];
    case 'health-check':
      return [
        '--db',
        o.targetArg,
        ...(o.criticalTables ? ['--critical-tables', o.criticalTables] : []),
        ...o.urls.flatMap((u) => ['--url', u]),
      ];
    case 'rollback':
      return ['--target', o.targetArg, ...prod, ...timeout];
  }
}

export async function runPipeline(ctx: JobContext, o: PipelineOptions): Promise<PipelineResult> {
  const started = ctx.now().getTime();
  const pipeline = stagingPipeline;
  const steps = stepRunner(ctx, o.out, o.env);
  const results: Partial<Record<string, JobConclusion>> = {};
  let failedStep: string | null = null;
  let synced: PipelineResult['synced'] = null;

  const run = async (step: PipelineStep) => {
    const name = step.name as LocalStep;
    const reads = (step.reads ?? []).flatMap((r) => [r.flag, path.join(o.out, r.dir)]);
    const { code, record } = await steps.run(JOBS[name], step.name, [...stepArgs(name, o), ...reads]);
    results[step.name] = code === 0 ? 'success' : 'failure';
    if (name === 'sync' && code === 0) {
      const r = record!.result as SyncResult;
      synced = { tables: r.tables.length, rows: r.totals.rows, bytes: r.totals.bytes, ms: r.timings.totalMs };
    }
    return code;
  };

  // As on GitHub: a step runs when every step it needs (in this mode) succeeded.
  for (const step of workSteps(pipeline, MODE)) {
    if (!mayRun(pipeline, step, results, MODE, false)) {
      results[step.name] = 'skipped';
      continue;
    }
    if ((await run(step)) !== 0) failedStep ??= step.name;
  }
  let rolledBack: boolean | null = null;
  if (mustRollBack(pipeline, results, false)) {
    ctx.log.warn(
      `${failedStep} failed after the ${committingStep(pipeline, MODE).name} committed: rolling ${o.target.display} back to its snapshot`,
    );
    rolledBack = (await run(rollbackStep(pipeline))) === 0;
  }
  return {
    source: { name: o.source.name, display: o.source.display },
    target: { name: o.target.name, display: o.target.display },
    ok: failedStep === null,
    failedStep,
    synced,
    rolledBack,
    steps: steps.steps,
    out: o.out,
    durationMs: ctx.now().getTime() - started,
  };
}

/** `--url` values the health check will accept, checked before anything runs. */
function parseUrls(value: unknown): string[] {
  const urls = Array.isArray(value) ? value.map(String) : [];
  const bad = urls.filter((u) => {
    try {
      return !/^https?:$/.test(new URL(u).protocol);
    } catch {
      return true;
    }
  });
  if (bad.length) {
    throw new InputError(
      `--url ${bad.join(', ')} is not an http(s) URL`,
      'use e.g. --url https://staging.example.com/api/health',
    );
  }
  return urls;
}

export const pipelineJob: Job<PipelineOptions, PipelineResult> = {
  name: 'run-pipeline',
  description:
    `The staging pipeline in one command: ${describeOrder(stagingPipeline, MODE)}, each a real job writing its ` +
    'artifacts to <out>/<job>/ as in CI. If validate or the health check fails after the sync committed, the ' +
    'target is rolled back from prepare’s snapshot and proved identical to it.',
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
    'platform-tables': platformTablesFlag,
    'connect-timeout': connectTimeoutFlag,
  },
  parse(flags, env) {
    const read = readFlags({
      // Both given and readable: not the same database, not production unless allowed.
      databases: () => requireSourceAndTarget(flags, env, 'run-pipeline', true),
      urls: () => parseUrls(flags.url),
      platformTables: () => parseList(flags['platform-tables']),
      connectTimeout: () => parseConnectTimeout(flags['connect-timeout']),
    });
    return {
      ...read.databases,
      sourceArg: String(flags.source),
      targetArg: String(flags.target),
      out: typeof flags.out === 'string' ? flags.out : path.join('artifacts', 'run-pipeline'),
      allowProduction: flags['allow-production'] === true,
      terminateBlockers: flags['terminate-blockers'] === true,
      urls: read.urls,
      ...(read.platformTables ? { platformTables: read.platformTables } : {}),
      ...(typeof flags['critical-tables'] === 'string' ? { criticalTables: flags['critical-tables'] } : {}),
      connectTimeout: read.connectTimeout,
      env,
    };
  },
  run: runPipeline,
  render: renderPipelineSummary,
  verdict: (r) => ({
    ok: r.ok,
    headline: r.ok
      ? `${r.target.display} replicates ${r.source.display}, validated and healthy: ${r.synced?.rows.toLocaleString('en-US')} rows in ${r.synced?.tables} tables (pipeline ${(r.durationMs / 1000).toFixed(1)} s)`
      : `pipeline stopped at ${r.failedStep}${r.rolledBack === null ? '' : r.rolledBack ? `; ${r.target.display} was rolled back to its snapshot` : `; ROLLBACK FAILED — see ${r.out}/rollback`}`,
    problems: r.steps.filter((s) => s.exitCode !== 0).map((s) => `${s.step}: ${s.headline}`),
    warnings: [],
  }),
  outputs: (r) => ({ ok: r.ok, failed_step: r.failedStep ?? '', rolled_back: r.rolledBack ?? false }),
};
