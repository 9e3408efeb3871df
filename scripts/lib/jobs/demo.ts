// demo: the main job on local throwaway databases. Starts `dev`, `staging` and `production`,
// loads the demo app, seeds dev, leaves staging stale, shows the gap, runs the pipeline, then
// promotes content to production.

import path from 'node:path';
import postgres from 'postgres';
import { InputError, readFlags } from '../base/errors.ts';
import { compareInventories } from '../catalog/compare.ts';
import { redactUrl } from '../db/url.ts';
import {
  makeOlderProduction,
  makeStaleStaging,
  migrate,
  type SupabaseCluster,
  startSupabaseCluster,
} from '../demo/environment.ts';
import { describeSeedProgress, seedDemoData } from '../demo/seed-data.ts';
import { renderDemoSummary } from '../report/demo-summary.ts';
import type { AnalyzeResult } from '../results/analyze.ts';
import type { DemoResult, InventoryComparison } from '../results/demo.ts';
import type { JobRecord } from '../results/job-record.ts';
import type { RollbackResult } from '../results/rollback.ts';
import { analyzeJob } from './analyze.ts';
import { promoteContent } from './demo-content.ts';
import { describeOrder, snapshotDir, stagingPipeline } from './pipeline.ts';
import { rollbackJob } from './rollback.ts';
import { pipelineJob } from './run-pipeline.ts';
import type { Job, JobContext } from './runner.ts';
import { sealed, stepRunner } from './steps.ts';

export interface DemoOptions {
  scale: number;
  keep: boolean;
  out: string;
  /** The environment the nested analyze runs see (plus the demo's own URLs). */
  env: NodeJS.ProcessEnv;
}

export function parseScale(value: unknown): number {
  if (value === undefined) return 1;
  const n = Number(value);
  if (!Number.isInteger(n) || n < 1 || n > 1000) {
    throw new InputError(
      `--scale ${String(value)} is not a whole number from 1 to 1000`,
      'use e.g. --scale 1 (≈50k rows) or --scale 100 (≈5M rows)',
    );
  }
  return n;
}

export async function runDemo(ctx: JobContext, options: DemoOptions): Promise<DemoResult> {
  const t0 = ctx.now().getTime();
  ctx.log.info('starting three local Supabase-shaped clusters: dev, staging and production');
  const [dev, staging, production] = await Promise.all([
    startSupabaseCluster('dev', options.keep),
    startSupabaseCluster('staging', options.keep),
    startSupabaseCluster('production', options.keep),
  ]);
  try {
    const t1 = ctx.now().getTime();
    const devSql = postgres(dev.url, { max: 1, onnotice: () => {} });
    const stagingSql = postgres(staging.url, { max: 1, onnotice: () => {} });
    const productionSql = postgres(production.url, { max: 1, onnotice: () => {} });
    try {
      ctx.log.info(`dev: applying migrations and seeding at scale ${options.scale}`);
      ctx.log.info('staging: older migrations, partial data, a leftover table (as the seed notes found it)');
      await Promise.all([
        migrate(devSql).then(() =>
          seedDemoData(devSql, {
            scale: options.scale,
            onProgress: (p) => ctx.log.info(`  dev: ${describeSeedProgress(p)}`),
            onTable: (t, rows, ms) =>
              ctx.log.info(`  dev: seeded ${t}: ${rows.toLocaleString('en-US')} rows in ${ms} ms`),
          }),
        ),
        makeStaleStaging(stagingSql, options.scale),
        makeOlderProduction(productionSql, options.scale),
      ]);
    } finally {
      await Promise.all([devSql.end(), stagingSql.end(), productionSql.end()]);
    }
    const t2 = ctx.now().getTime();

    const env = {
      ...options.env,
      DEV_DATABASE_URL: dev.url,
      STAGING_DATABASE_URL: staging.url,
      PRODUCTION_DATABASE_URL: production.url,
      ENVSYNC_ENV_FILE: 'none',
    };
    const runner = stepRunner(ctx, options.out, env);
    const steps = runner.steps;
    /** Runs a real job as CI would, with its artifacts in <out>/<dir>; a failure stops the demo. */
    const step = async <O, R>(job: Job<O, R>, dir: string, args: string[]): Promise<JobRecord<R>> => {
      const { code, record, out } = await runner.run(sealed(job), dir, args);
      if (code !== 0 || !record) throw new Error(`${dir} exited ${code}; see ${out}`);
      return record;
    };
    const analyzed = [
      (await step(analyzeJob, 'analyze-dev', ['--db', 'dev'])).result!,
      (await step(analyzeJob, 'analyze-staging', ['--db', 'staging'])).result!,
    ];
    const [devInv, stagingInv] = analyzed as [AnalyzeResult, AnalyzeResult];
    for (const line of comparisonLines(compareInventories(devInv, stagingInv))) ctx.log.info(line);
    const t3 = ctx.now().getTime();
    const criticalTables = 'public.tenant_registry,public.guest_reservations,public.chat_messages,auth.users';
    const pipeline = ['--source', 'dev', '--target', 'staging', '--critical-tables', criticalTables];
    ctx.log.info(`the pipeline, dev → staging: ${describeOrder(stagingPipeline)}`);
    const first = (await step(pipelineJob, 'pipeline-1', pipeline)).result!;
    ctx.log.info('dev moves on (a new column, new rows); the pipeline runs again and carries the change');
    const devSql2 = postgres(dev.url, { max: 1, onnotice: () => {} });
    try {
      await devSql2.unsafe(`
        alter table public.sire_cities add column region text;
        update public.sire_cities set region = 'north' where city_code < 'K00500';
        insert into public.sync_history (source, target, started_at, finished_at, ok)
          values ('dev', 'staging', now(), now(), true);`);
    } finally {
      await devSql2.end();
    }
    const second = (await step(pipelineJob, 'pipeline-2', pipeline)).result!;
    ctx.log.info(
      'a bad change lands on staging (messages deleted, a table dropped); rolling it back from the snapshot',
    );
    const broken = postgres(staging.url, { max: 1, onnotice: () => {} });
    try {
      await broken.unsafe(
        'delete from public.chat_messages where id % 3 = 0; drop table hotels.policies cascade;',
      );
    } finally {
      await broken.end();
    }
    const rollback = await step(rollbackJob, 'rollback-staging', [
      '--target',
      'staging',
      '--from',
      path.join(options.out, 'pipeline-2', snapshotDir(stagingPipeline)),
    ]);
    const rolledBack = (rollback.result as RollbackResult).comparison.identical;
    const t4 = ctx.now().getTime();
    const content = await promoteContent(ctx, runner, staging, production);
    const t5 = ctx.now().getTime();
    const result: DemoResult = {
      scale: options.scale,
      dev: { display: redactUrl(dev.url), tables: devInv.counts.app.tables, rows: devInv.counts.app.rows },
      staging: {
        display: redactUrl(staging.url),
        tables: stagingInv.counts.app.tables,
        rows: stagingInv.counts.app.rows,
      },
      comparison: compareInventories(devInv, stagingInv),
      timings: {
        clustersMs: t1 - t0,
        seedMs: t2 - t1,
        analyzeMs: t3 - t2,
        pipelinesAndRollbackMs: t4 - t3,
        contentMs: t5 - t4,
        totalMs: ctx.now().getTime() - t0,
      },
      steps,
      pipelines: [first, second].map((p) => ({
        ok: p.ok,
        rows: p.synced?.rows ?? 0,
        syncMs: p.synced?.ms ?? 0,
        durationMs: p.durationMs,
      })),
      stagingRolledBack: rolledBack,
      content,
    };
    if (options.keep) {
      result.kept = keepInstructions([dev, staging, production]);
      ctx.log.info('clusters kept running; paste these lines into .env to use them:');
      // Deliberately printed: these are this demo's own throwaway local databases.
      ctx.log.info(`DEV_DATABASE_URL=${dev.url}`);
      ctx.log.info(`STAGING_DATABASE_URL=${staging.url}`);
      ctx.log.info(`PRODUCTION_DATABASE_URL=${production.url}`);
      ctx.log.info(`stop them with: ${result.kept.stopCommand}`);
    }
    return result;
  } finally {
    if (!options.keep)
      await Promise.all([dev.cluster.destroy(), staging.cluster.destroy(), production.cluster.destroy()]);
  }
}

/** What differs, as plain lines for the console (the Markdown summary has the same as a table). */
function comparisonLines(c: InventoryComparison): string[] {
  const differing = c.tables.filter((t) => t.status !== 'same');
  if (differing.length === 0) return ['dev and staging hold the same tables and row counts'];
  const width = Math.max(...differing.map((t) => t.table.length));
  const n = (v: number | null) => (v === null ? '—' : v.toLocaleString('en-US')).padStart(8);
  return [
    `what differs between dev and staging (${differing.length} of ${c.tables.length} tables):`,
    `  ${'table'.padEnd(width)}  ${'dev'.padStart(8)}  ${'staging'.padStart(8)}  status`,
    ...differing.map(
      (t) => `  ${t.table.padEnd(width)}  ${n(t.sourceRows)}  ${n(t.targetRows)}  ${t.status}`,
    ),
    ...c.counts.map(
      (d) =>
        `  app ${d.kind}: dev ${d.source.toLocaleString('en-US')}, staging ${d.target.toLocaleString('en-US')}`,
    ),
  ];
}

function keepInstructions(clusters: SupabaseCluster[]): { dataDirs: string[]; stopCommand: string } {
  const dirs = clusters.map((c) => c.cluster.baseDir);
  const stop = dirs.map((d) => `kill -INT $(head -1 ${d}/data/postmaster.pid)`).join('; ');
  return { dataDirs: dirs, stopCommand: `${stop}; sleep 1; rm -rf ${dirs.join(' ')}` };
}

export const demoJob: Job<DemoOptions, DemoResult> = {
  name: 'demo',
  description:
    'Starts two local throwaway Supabase-shaped clusters (dev and staging), loads the demo hotel app, seeds dev, ' +
    'leaves staging stale (missing tables, partial data), analyzes both and shows what differs; then runs the ' +
    `pipeline (${describeOrder(stagingPipeline)}) to make staging an exact replica, changes dev and ` +
    'runs it again, and breaks staging and rolls it back from the pipeline’s snapshot. Then a third cluster, ' +
    '`production`, gets the hotels’ catalogue from staging with content-sync while its guests keep booking: compared, ' +
    'a delete refused, planned, synced with the proof, validated against the manifest, and rolled back.',
  examples: ['npm run demo', 'npm run demo -- --scale 20', 'npm run demo -- --keep'],
  flags: {
    scale: { type: 'string', value: '<n>', description: 'data size: 1 ≈ 50k rows (default), 100 ≈ 5M rows' },
    keep: {
      type: 'boolean',
      description: 'leave the clusters running and print DEV_/STAGING_/PRODUCTION_DATABASE_URL lines',
    },
  },
  parse: (flags, env) => ({
    ...readFlags({ scale: () => parseScale(flags.scale) }),
    keep: flags.keep === true,
    out: typeof flags.out === 'string' ? flags.out : path.join('artifacts', 'demo'),
    env,
  }),
  run: runDemo,
  render: renderDemoSummary,
  verdict: (r) => ({
    ok: true,
    headline: `staging had ${r.comparison.tables.filter((t) => t.status !== 'same').length} tables that differ from dev; ${r.pipelines.filter((p) => p.ok).length} of ${r.pipelines.length} pipeline runs made it an exact replica${r.stagingRolledBack ? '; a bad change was rolled back' : ''}; content promoted to production while guests booked (${r.content.written.inserted + r.content.written.updated} rows, a delete refused, users' tables untouched), then rolled back (${(r.timings.totalMs / 1000).toFixed(1)} s)`,
    problems: [],
    warnings: [],
  }),
  outputs: (r) => ({ differing_tables: r.comparison.tables.filter((t) => t.status !== 'same').length }),
};
