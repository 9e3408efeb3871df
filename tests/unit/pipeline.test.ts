// The one pipeline definition, and what run-pipeline, report and the demo read from it.
// (db-sync.yml is held to it in tests/workflows/lint-and-contract.test.ts.) No database here.

import { demoJob } from '../../scripts/lib/jobs/demo.ts';
import {
  describeOrder,
  mustRollBack,
  type Pipeline,
  reportedSteps,
  requiredSteps,
  snapshotDir,
  stagingPipeline,
} from '../../scripts/lib/jobs/pipeline.ts';
import { buildReport, type ReportOptions, reportJob } from '../../scripts/lib/jobs/report.ts';
import { pipelineJob } from '../../scripts/lib/jobs/run-pipeline.ts';
import { type Job, runJob, usage } from '../../scripts/lib/jobs/runner.ts';
import type { JobConclusion } from '../../scripts/lib/results/report.ts';
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
          when: { committed: 'migrate', checks: ['check'] },
        },
        { name: 'report', job: 'report', role: 'report', needs: ['migrate', 'check', 'undo'], uploads: [] },
      ],
    };
    const r = buildReport(
      {
        source: 'dev',
        target: 'staging',
        dryRun: false,
        needs: needs({ migrate: 'success', check: 'failure', undo: 'success' }),
      },
      tiny,
    );
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

  test('demo: a bad --scale', async () => {
    const c = capture();
    expect(await runJob(demoJob, ['--scale', '0', '--keep=1'], env, c.io)).toBe(2);
    expect(c.err[0]).toBe('error: --keep takes no value; --scale 0 is not a whole number from 1 to 1000');
  });
});
