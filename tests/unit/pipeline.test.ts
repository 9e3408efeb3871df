// The one pipeline definition, and what run-pipeline, report and the demo read from it.
// (db-sync.yml is held to it in tests/workflows/lint-and-contract.test.ts.) No database here.

import { demoJob } from '../../scripts/lib/jobs/demo.ts';
import {
  committingStep,
  describeOrder,
  mayRun,
  mustRollBack,
  type Pipeline,
  productionPipeline,
  reportedSteps,
  requiredSteps,
  snapshotDir,
  stagingPipeline,
  workSteps,
} from '../../scripts/lib/jobs/pipeline.ts';
import { buildReport, type ReportOptions, reportJob } from '../../scripts/lib/jobs/report.ts';
import { pipelineJob } from '../../scripts/lib/jobs/run-pipeline.ts';
import { type Job, runJob, usage } from '../../scripts/lib/jobs/runner.ts';
import { renderRunReport } from '../../scripts/lib/report/run-report-summary.ts';
import type { JobConclusion } from '../../scripts/lib/results/report.ts';
import { expectGolden } from '../helpers/golden.ts';
import { capture } from '../helpers/run-script.ts';

const env = { ENVSYNC_ENV_FILE: 'none' };

describe('the staging pipeline', () => {
  test('its order, for people and for the report', () => {
    expect(describeOrder(stagingPipeline)).toBe(
      'analyze → backup → prepare → sync → validate → health-check',
    );
    expect(reportedSteps(stagingPipeline).map((s) => s.name)).toEqual([
      'analyze',
      'backup',
      'prepare',
      'sync',
      'validate',
      'health-check',
      'rollback',
    ]);
    expect(requiredSteps(stagingPipeline, true).map((s) => s.name)).toEqual([
      'analyze',
      'backup',
      'prepare',
      'sync',
    ]);
    expect(snapshotDir(stagingPipeline)).toBe('prepare/snapshot');
  });

  test.each<[string, Partial<Record<string, JobConclusion>>, boolean, boolean]>([
    ['validate failed after the commit', { sync: 'success', validate: 'failure' }, false, true],
    [
      'the health check failed after the commit',
      { sync: 'success', validate: 'success', 'health-check': 'failure' },
      false,
      true,
    ],
    ['the sync itself failed', { sync: 'failure', validate: 'skipped' }, false, false],
    ['all passed', { sync: 'success', validate: 'success', 'health-check': 'success' }, false, false],
    ['a cancelled check', { sync: 'success', validate: 'cancelled' }, false, false],
    ['a dry run', { sync: 'success', validate: 'failure' }, true, false],
  ])('rollback when %s: %s', (_what, results, dryRun, expected) => {
    expect(mustRollBack(stagingPipeline, results, dryRun)).toBe(expected);
  });

  test('migrate mode: migrate instead of sync, no validate, the same backup, health check and rollback', () => {
    expect(stagingPipeline.modes).toEqual(['replica', 'migrate']);
    expect(describeOrder(stagingPipeline, 'replica')).toBe(describeOrder(stagingPipeline));
    expect(describeOrder(stagingPipeline, 'migrate')).toBe(
      'analyze → backup → prepare → migrate → health-check',
    );
    expect(reportedSteps(stagingPipeline, 'migrate').map((s) => s.name)).toEqual([
      'analyze',
      'backup',
      'prepare',
      'migrate',
      'health-check',
      'rollback',
    ]);
    expect(requiredSteps(stagingPipeline, true, 'migrate').map((s) => s.name)).toEqual([
      'analyze',
      'backup',
      'prepare',
      'migrate',
    ]);
    expect(committingStep(stagingPipeline, 'replica').name).toBe('sync');
    expect(committingStep(stagingPipeline, 'migrate').name).toBe('migrate');
  });

  test('a step needs only the steps of its mode: the health check waits for migrate, not validate', () => {
    const health = workSteps(stagingPipeline).find((s) => s.name === 'health-check')!;
    const before = { analyze: 'success', backup: 'success', prepare: 'success' } as const;
    const migrated = { ...before, sync: 'skipped', migrate: 'success', validate: 'skipped' } as const;
    expect(mayRun(stagingPipeline, health, migrated, 'migrate', false)).toBe(true);
    expect(mayRun(stagingPipeline, health, { ...migrated, migrate: 'failure' }, 'migrate', false)).toBe(
      false,
    );
    expect(mayRun(stagingPipeline, health, migrated, 'replica', false)).toBe(false);
    expect(mayRun(stagingPipeline, health, migrated, 'migrate', true)).toBe(false);
    const sync = workSteps(stagingPipeline).find((s) => s.name === 'sync')!;
    expect(mayRun(stagingPipeline, sync, before, 'migrate', false)).toBe(false);
    expect(mayRun(stagingPipeline, sync, before, 'replica', false)).toBe(true);
  });

  test.each<[string, Partial<Record<string, JobConclusion>>, boolean]>([
    [
      'the health check failed after the migrations committed',
      { migrate: 'success', 'health-check': 'failure' },
      true,
    ],
    ['the migrations failed', { migrate: 'failure', 'health-check': 'skipped' }, false],
    [
      'the migrations passed and the app is healthy',
      { migrate: 'success', 'health-check': 'success' },
      false,
    ],
  ])('rollback in migrate mode when %s', (_what, results, expected) => {
    expect(mustRollBack(stagingPipeline, { sync: 'skipped', validate: 'skipped', ...results }, false)).toBe(
      expected,
    );
  });

  test('usage texts name the order from the definition', () => {
    expect(usage(pipelineJob as Job<unknown, unknown>)).toContain(describeOrder(stagingPipeline));
    expect(usage(demoJob as Job<unknown, unknown>)).toContain(describeOrder(stagingPipeline));
  });
});

describe('report reads the definition', () => {
  const needs = (results: Record<string, JobConclusion>): ReportOptions['needs'] =>
    Object.fromEntries(
      Object.entries(results).map(([job, result]) => [
        job,
        { result, outputs: { headline: `${job} ${result}`, elapsed_ms: '1000', rows: '10', tables: '2' } },
      ]),
    );
  const all = (result: JobConclusion) =>
    Object.fromEntries(reportedSteps(stagingPipeline).map((s) => [s.name, result]));

  test('a run that passed: every job, the rollback skipped', () => {
    const r = buildReport({
      source: 'dev',
      target: 'staging',
      dryRun: false,
      needs: needs({ ...all('success'), rollback: 'skipped' }),
    });
    expect(r).toMatchObject({ ok: true, failedJob: null, rolledBack: null, synced: { rows: 10, tables: 2 } });
    expect(r.jobs.map((j) => j.job)).toEqual(reportedSteps(stagingPipeline).map((s) => s.name));
  });

  test('a dry run needs only the steps that run in one', () => {
    const r = buildReport({
      source: 'dev',
      target: 'staging',
      dryRun: true,
      needs: needs({
        ...all('success'),
        validate: 'skipped',
        'health-check': 'skipped',
        rollback: 'skipped',
      }),
    });
    expect(r).toMatchObject({ ok: true, failedJob: null, rolledBack: null, synced: null });
  });

  test('a rollback that was due but did not run is reported as failed', () => {
    const results = { ...all('success'), validate: 'failure', 'health-check': 'skipped' } as const;
    const ran = buildReport({
      source: 'dev',
      target: 'staging',
      dryRun: false,
      needs: needs({ ...results, rollback: 'success' }),
    });
    expect(ran).toMatchObject({ ok: false, failedJob: 'validate', rolledBack: true });
    const skipped = buildReport({
      source: 'dev',
      target: 'staging',
      dryRun: false,
      needs: needs({ ...results, rollback: 'skipped' }),
    });
    expect(skipped).toMatchObject({ ok: false, failedJob: 'validate', rolledBack: false });
  });

  test('migrate mode: its jobs, what was applied, and a summary that says so', () => {
    const migrated = {
      ...all('success'),
      migrate: 'success',
      rollback: 'skipped',
    } as Record<string, JobConclusion>;
    delete migrated.sync;
    delete migrated.validate;
    const o = { source: 'dev', target: 'staging', dryRun: false, mode: 'migrate', needs: needs(migrated) };
    o.needs.migrate!.outputs.applied = '3';
    const r = buildReport(o);
    expect(r).toMatchObject({
      ok: true,
      failedJob: null,
      rolledBack: null,
      synced: null,
      migrated: { applied: 3 },
    });
    expect(r.jobs.map((j) => j.job)).toEqual([
      'analyze',
      'backup',
      'prepare',
      'migrate',
      'health-check',
      'rollback',
    ]);
    const md = renderRunReport(r);
    expect(md).toMatch(
      /^## envsync db-sync \(migrate\) — dev → staging\n\n\*\*Migrated and healthy\.\*\* 3 migration\(s\) applied to staging\.\n/,
    );
    expect(md).toContain('| migrate | ✅ success |');
    expect(md).not.toMatch(/Synced|rows in/);
    expect(reportJob.verdict(r).headline).toBe('staging migrated: 3 migration(s) applied, healthy');

    // The app failed after the migrations committed: rolled back.
    const failed = buildReport({
      ...o,
      needs: needs({ ...migrated, 'health-check': 'failure', rollback: 'success' }),
    });
    expect(failed).toMatchObject({ ok: false, failedJob: 'health-check', rolledBack: true });
    expect(renderRunReport(failed)).toContain(
      '**Stopped at health-check.** The migrations had committed: **staging was rolled back to its snapshot**',
    );
    // The migrations failed: nothing changed, nothing to roll back.
    const refused = buildReport({
      ...o,
      needs: needs({ ...migrated, migrate: 'failure', 'health-check': 'skipped' }),
    });
    expect(refused).toMatchObject({ ok: false, failedJob: 'migrate', rolledBack: null, migrated: null });
    expect(renderRunReport(refused)).toContain(
      '**Stopped at migrate.** staging was not changed by this run.',
    );
    // A sync that "ran" in migrate mode is not what the run needed: migrate is missing.
    expect(buildReport({ ...o, needs: needs({ ...all('success'), rollback: 'skipped' }) })).toMatchObject({
      ok: false,
      failedJob: 'migrate',
    });
  });

  test('replica mode reads as before: the shared renderer, untouched', () => {
    const r = buildReport({
      source: 'dev',
      target: 'staging',
      dryRun: false,
      mode: 'replica',
      needs: needs({ ...all('success'), rollback: 'skipped' }),
    });
    expect(r.jobs.map((j) => j.job)).not.toContain('migrate');
    expect(renderRunReport(r)).toContain('**Synced, validated, healthy.** 10 rows in 2 tables.');
  });

  test('another pipeline is reported by its own steps', () => {
    const tiny: Pipeline = {
      name: 'tiny',
      workflow: 'tiny.yml',
      steps: [
        { name: 'migrate', job: 'migrate', role: 'work', needs: [], uploads: [], inDryRun: true },
        { name: 'check', job: 'validate', role: 'work', needs: ['migrate'], uploads: [] },
        {
          name: 'undo',
          job: 'rollback',
          role: 'rollback',
          needs: ['migrate', 'check'],
          uploads: [],
          when: { committed: ['migrate'], checks: ['check'] },
        },
        { name: 'report', job: 'report', role: 'report', needs: ['migrate', 'check', 'undo'], uploads: [] },
      ],
    };
    const r = buildReport({
      source: 'dev',
      target: 'staging',
      dryRun: false,
      needs: needs({ migrate: 'success', check: 'failure', undo: 'success' }),
      pipeline: tiny,
    });
    expect(r.jobs.map((j) => j.job)).toEqual(['migrate', 'check', 'undo']);
    expect(r).toMatchObject({ ok: false, failedJob: 'check', rolledBack: true });
  });
});

describe('every bad flag at once', () => {
  test('run-pipeline: a missing --target, a bad --url and a bad --connect-timeout together', async () => {
    const c = capture();
    const code = await runJob(
      pipelineJob,
      ['--source', 'dev', '--url', 'staging.example.com/health', '--connect-timeout', 'soon'],
      { ...env, DEV_DATABASE_URL: 'postgres://u:pw-123456@127.0.0.1:1/db' },
      c.io,
    );
    expect(code).toBe(2);
    expect(c.err[0]).toBe(
      'error: --target is required; --url staging.example.com/health is not an http(s) URL; --connect-timeout soon is not a number of seconds',
    );
    expect(c.err).toHaveLength(2);
  });

  test('report: missing flags and --needs that is not JSON, with an unknown flag', async () => {
    const c = capture();
    expect(await runJob(reportJob, ['--needs', '{nope', '--dry', '--source', 'dev'], env, c.io)).toBe(2);
    expect(c.err[0]).toBe('error: unknown flag --dry; missing --target; --needs is not JSON');
  });

  test('report: a --mode the pipeline does not have', async () => {
    const c = capture();
    const args = ['--source', 'dev', '--target', 'staging', '--needs', '{}', '--mode', 'Migrate'];
    expect(await runJob(reportJob, args, env, c.io)).toBe(2);
    expect(c.err[0]).toBe('error: --mode Migrate is not one of replica, migrate');
  });

  test('demo: a bad --scale', async () => {
    const c = capture();
    expect(await runJob(demoJob, ['--scale', '0', '--keep=1'], env, c.io)).toBe(2);
    expect(c.err[0]).toBe('error: --keep takes no value; --scale 0 is not a whole number from 1 to 1000');
  });
});

describe('the production pipeline: a plan job, then every write as a step of the one approved job', () => {
  /** `needs` as deploy-production.yml hands them to the report: the deploy job's steps as `<step>_…` outputs. */
  const production = (
    plan: { result: JobConclusion; changes: boolean },
    deploy: JobConclusion,
    steps: Partial<Record<string, JobConclusion>>,
    said: Record<string, string> = {},
  ): ReportOptions['needs'] => ({
    plan: {
      result: plan.result,
      outputs: { headline: 'plan', elapsed_ms: '9000', changes: String(plan.changes), hash: 'sha256:x' },
    },
    deploy: {
      result: deploy,
      outputs: {
        ...Object.fromEntries(
          Object.entries(steps).flatMap(([s, outcome]) => [
            [`${s}_outcome`, outcome!],
            [`${s}_headline`, `${s}: ${outcome}`],
            [`${s}_elapsed_ms`, '1000'],
          ]),
        ),
        ...said,
      },
    },
  });
  const report = (needs: ReportOptions['needs'], dryRun = false) =>
    buildReport({
      source: 'staging',
      target: 'production',
      dryRun,
      needs,
      pipeline: productionPipeline,
    });
  const all = (outcome: JobConclusion) =>
    Object.fromEntries(
      ['verify', 'backup', 'migrate', 'content', 'validate', 'health-check'].map((s) => [s, outcome]),
    );

  test('deployed: every step of the deploy job reported as a row, migrations and content counted', () => {
    const r = report(
      production(
        { result: 'success', changes: true },
        'success',
        { ...all('success'), rollback: 'skipped' },
        {
          migrate_applied: '2',
          content_changed_rows: '97',
        },
      ),
    );
    expect(r.jobs.map((j) => `${j.job}:${j.result}`)).toEqual([
      'plan:success',
      'verify:success',
      'backup:success',
      'migrate:success',
      'content:success',
      'validate:success',
      'health-check:success',
      'rollback:skipped',
    ]);
    expect(r).toMatchObject({ ok: true, migrated: { applied: 2 }, promoted: { rows: 97 }, rolledBack: null });
    expectGolden('run-report-summary.production.md', renderRunReport(r));
  });

  test('the health check failed after the content committed: the content rolled back, the migrations stay', () => {
    const r = report(
      production(
        { result: 'success', changes: true },
        'failure',
        { ...all('success'), 'health-check': 'failure', rollback: 'success' },
        { migrate_applied: '1', content_changed_rows: '5' },
      ),
    );
    expect(r).toMatchObject({
      ok: false,
      failedJob: 'health-check',
      rolledBack: true,
      migrated: { applied: 1 },
    });
    const md = renderRunReport(r);
    expectGolden('run-report-summary.production-failed.md', md);
    expect(md).toContain('1 migration(s) committed and **stay**');
    expect(reportJob.verdict(r).headline).toBe(
      'staging → production stopped at health-check; the content was rolled back to its snapshot; 1 migration(s) committed and stay (restore by hand: see the deploy summary)',
    );
  });

  test('nothing to deploy: the deploy job skipped (no approval asked) and the run is fine', () => {
    const r = report(production({ result: 'success', changes: false }, 'skipped', {}));
    expect(r).toMatchObject({ ok: true, nothingToDo: true, failedJob: null });
    expect(r.jobs.filter((j) => j.job !== 'plan').every((j) => j.result === 'skipped')).toBe(true);
    expect(reportJob.verdict(r).headline).toBe(
      "production: nothing to deploy (no pending migration, the content is staging's)",
    );
  });

  test('a refused verify (production moved since the approval) stops before any write', () => {
    const r = report(production({ result: 'success', changes: true }, 'failure', { verify: 'failure' }));
    expect(r).toMatchObject({ ok: false, failedJob: 'verify', rolledBack: null, migrated: null });
    expect(renderRunReport(r)).toContain('production was not changed by this run.');
  });
});
