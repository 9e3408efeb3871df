// db-sync.yml replayed locally against two throwaway clusters: the jobs in `needs` order,
// each in a fresh workspace, artifacts only through upload/download, expressions and
// `if:` evaluated by GitHub's own library (tests/helpers/workflow/replay.ts).
import { lstatSync, readdirSync, readFileSync } from 'node:fs';
import path from 'node:path';
import { dir, sameAs, snapshotOf } from '../helpers/backups.ts';
import { cleanEnv, runScript } from '../helpers/run-script.ts';
import { closeAll, type TestDatabase } from '../helpers/supabase-db.ts';
import { brokenDeploy, devAndStaleStaging, fingerprint } from '../helpers/sync.ts';
import { type ReplayReport, replayWorkflow } from '../helpers/workflow/replay.ts';

const repo = path.resolve(import.meta.dirname, '../..');
const JOBS = ['analyze', 'backup', 'prepare', 'sync', 'validate', 'health-check', 'rollback', 'report'];
/** The snapshot is an artifact: on Actions prepare takes it only encrypted and signed. */
const REPLAY_KEY = 'replay-backup-key-0123456789abcdef';

let dev: TestDatabase;
let staging: TestDatabase;
beforeAll(async () => {
  [dev, staging] = await devAndStaleStaging();
});
afterAll(closeAll);

function replay(root: string, healthUrl = '', dryRun = false) {
  return replayWorkflow({
    workflow: path.join(repo, '.github/workflows/db-sync.yml'),
    repo,
    root,
    eventName: 'workflow_dispatch',
    inputs: {
      source: 'dev',
      target: 'staging',
      environment: 'staging',
      health_url: healthUrl,
      dry_run: dryRun,
    },
    secrets: {
      DEV_DATABASE_URL: dev.url,
      STAGING_DATABASE_URL: staging.url,
      BACKUP_ENCRYPTION_KEY: REPLAY_KEY,
    },
    env: cleanEnv(),
  });
}

const results = (r: ReplayReport) => Object.fromEntries(r.jobs.map((j) => [j.id, j.result]));
const job = (r: ReplayReport, id: string) => r.jobs.find((j) => j.id === id)!;

/** Every file the replay wrote (workspaces hold links to the repository: not followed). */
function writtenText(root: string): string {
  const walk = (p: string): string[] => {
    const s = lstatSync(p);
    if (s.isSymbolicLink()) return [];
    if (s.isDirectory()) return readdirSync(p).flatMap((e) => walk(path.join(p, e)));
    return [readFileSync(p, 'latin1')];
  };
  return walk(root).join('\n');
}

function expectNoPassword(r: ReplayReport, root: string) {
  for (const db of [dev, staging]) {
    expect(r.log.join('\n')).not.toContain(db.password);
    expect(r.jobs.map((j) => j.summary + JSON.stringify(j.outputs)).join('\n')).not.toContain(db.password);
    expect(writtenText(root)).not.toContain(db.password);
  }
}

test('a failure after sync (health URL answers 500): the rollback job restores staging to its snapshot', async () => {
  const app = await brokenDeploy();
  const url = app.url;
  try {
    const before = await snapshotOf(staging);
    const schema = await fingerprint(staging);
    const root = dir('replay-failure');
    const r = await replay(root, url);
    expect(results(r)).toEqual({
      analyze: 'success',
      backup: 'success',
      prepare: 'success',
      sync: 'success',
      validate: 'success',
      'health-check': 'failure',
      rollback: 'success',
      report: 'failure',
    });
    // The rollback job had only what it downloaded: prepare's snapshot artifact.
    expect(r.log).toContain('[rollback] downloaded artifact snapshot');
    expect(job(r, 'health-check').summary).toContain('HTTP 500');
    expect(job(r, 'rollback').summary).toContain('**Identical to the backup:**');
    expect(job(r, 'report').outputs).toMatchObject({ ok: 'false', rolled_back: 'true' });
    expect(job(r, 'report').summary).toContain('**Stopped at health-check.**');
    expect(job(r, 'report').summary).toContain('rolled back to its snapshot');
    expect(await sameAs(staging, before)).toEqual({ identical: true, tables: [] });
    expect(await fingerprint(staging)).toBe(schema);
    expectNoPassword(r, root);
  } finally {
    app.close();
  }
});

test('a dry run plans and lists the differences, changes nothing, takes no snapshot', async () => {
  const schema = await fingerprint(staging);
  const root = dir('replay-dry');
  const r = await replay(root, '', true);
  expect(results(r)).toEqual({
    analyze: 'success',
    backup: 'success',
    prepare: 'success',
    sync: 'success',
    validate: 'skipped',
    'health-check': 'skipped',
    rollback: 'skipped',
    report: 'success',
  });
  expect(r.artifacts.map((a) => a.name)).not.toContain('snapshot');
  expect(job(r, 'report').summary).toContain('**Dry run: planned, nothing changed.**');
  expect(await fingerprint(staging)).toBe(schema);
});

test('the happy path: staging ends identical to dev, every job writes its summary', async () => {
  const root = dir('replay');
  const r = await replay(root);
  expect(r.jobs.map((j) => j.id)).toEqual(JOBS);
  expect(results(r)).toEqual({
    analyze: 'success',
    backup: 'success',
    prepare: 'success',
    sync: 'success',
    validate: 'success',
    'health-check': 'success',
    rollback: 'skipped',
    report: 'success',
  });
  // Each job's step summary is its job's summary.md; the last one is the overview.
  for (const id of JOBS.filter((j) => j !== 'rollback')) {
    expect({ id, summary: job(r, id).summary }).toEqual({ id, summary: expect.stringMatching(/^## /) });
  }
  expect(job(r, 'report').summary).toContain('**Synced, validated, healthy.**');
  expect(job(r, 'report').outputs).toEqual({ ok: 'true', rolled_back: 'false' });
  expect(job(r, 'sync').outputs).toMatchObject({ status: 'ok', tables: expect.stringMatching(/^\d+$/) });
  expect(new Set(r.jobs.map((j) => j.environment))).toEqual(new Set(['staging', null]));
  // The target's data lives in a short-lived, encrypted artifact; the source's backup in none.
  expect(Object.fromEntries(r.artifacts.map((a) => [a.name, a.retentionDays]))).toEqual({
    analyze: 14,
    prepare: 14,
    snapshot: 3,
    sync: 14,
    validate: 14,
    'health-check': 14,
  });
  // What only GitHub has, skipped by name: checkout and the Node + PostgreSQL client set-up.
  expect([...new Set(r.githubOnly.map((s) => s.split(': ')[1]))]).toEqual([
    'actions/checkout@v4',
    './.github/actions/setup',
  ]);
  expect(r.githubOnly).toHaveLength(2 * (JOBS.length - 1));

  const check = await runScript('validate', [
    '--source',
    dev.url,
    '--target',
    staging.url,
    '--out',
    dir('check'),
  ]);
  expect(check.code).toBe(0);
  expect(await fingerprint(staging)).toBe(await fingerprint(dev));
  expectNoPassword(r, root);
});
