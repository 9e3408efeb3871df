// db-sync.yml replayed locally against two throwaway clusters: the jobs in `needs` order,
// each in a fresh workspace, artifacts only through upload/download, expressions and
// `if:` evaluated by GitHub's own library (tests/helpers/workflow/replay.ts).
import { lstatSync, readdirSync, readFileSync } from 'node:fs';
import path from 'node:path';
import { dir, sameAs, snapshotOf } from '../helpers/backups.ts';
import { cleanEnv, runScript } from '../helpers/run-script.ts';
import { closeAll, supabaseDatabase, type TestDatabase } from '../helpers/supabase-db.ts';
import { brokenDeploy, devAndStaleStaging, fingerprint } from '../helpers/sync.ts';
import { type ReplayReport, replayWorkflow } from '../helpers/workflow/replay.ts';

const repo = path.resolve(import.meta.dirname, '../..');
const JOBS = [
  'analyze',
  'backup',
  'prepare',
  'sync',
  'migrate',
  'validate',
  'health-check',
  'rollback',
  'report',
];
/** The jobs of the other mode (migrate): skipped in these replays, which run the default, replica. */
const OTHER_MODE = ['migrate'];
/** The snapshot is an artifact: on Actions prepare takes it only encrypted and signed. */
const REPLAY_KEY = 'replay-backup-key-0123456789abcdef';

let dev: TestDatabase;
let staging: TestDatabase;
beforeAll(async () => {
  [dev, staging] = await devAndStaleStaging();
});
afterAll(closeAll);

function replay(root: string, healthUrl = '', dryRun = false, mode = 'replica', target = staging) {
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
      mode,
    },
    secrets: {
      DEV_DATABASE_URL: dev.url,
      STAGING_DATABASE_URL: target.url,
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
      migrate: 'skipped',
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
    migrate: 'skipped',
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
    migrate: 'skipped',
    validate: 'success',
    'health-check': 'success',
    rollback: 'skipped',
    report: 'success',
  });
  // Each job's step summary is its job's summary.md; the last one is the overview.
  for (const id of JOBS.filter((j) => j !== 'rollback' && !OTHER_MODE.includes(j))) {
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
  expect(r.githubOnly).toHaveLength(2 * (JOBS.length - 1 - OTHER_MODE.length));

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

test('migrate mode: every pending migration applied in the migrate job, then a health URL answering 500: rolled back to before them', async () => {
  // A staging without the app's migrations: migrate has them all to apply.
  const fresh = await supabaseDatabase({ migrations: false });
  const pending = readdirSync(path.join(repo, 'supabase/migrations')).filter((f) => /^\d+_.+\.sql$/.test(f));
  const app = await brokenDeploy();
  try {
    const before = await snapshotOf(fresh);
    const schema = await fingerprint(fresh);
    const root = dir('replay-migrate');
    const r = await replay(root, app.url, false, 'migrate', fresh);
    expect(results(r)).toEqual({
      analyze: 'success',
      backup: 'success',
      prepare: 'success',
      sync: 'skipped',
      migrate: 'success',
      validate: 'skipped',
      'health-check': 'failure',
      rollback: 'success',
      report: 'failure',
    });
    expect(job(r, 'migrate').outputs).toMatchObject({ status: 'ok', applied: String(pending.length) });
    expect(job(r, 'migrate').summary).toMatch(/^## /);
    expect(r.log).toContain('[rollback] downloaded artifact snapshot');
    expect(job(r, 'report').outputs).toMatchObject({ ok: 'false', rolled_back: 'true' });
    expect(job(r, 'report').summary).toContain('## envsync db-sync (migrate)');
    expect(job(r, 'report').summary).toContain('**Stopped at health-check.** The migrations had committed');
    // Back to before the migrations, their history rows included.
    expect(await sameAs(fresh, before)).toEqual({ identical: true, tables: [] });
    expect(await fingerprint(fresh)).toBe(schema);
    const sql = fresh.app();
    try {
      const [row] = await sql`select count(*)::int as n from supabase_migrations.schema_migrations`;
      expect(row!.n).toBe(0);
    } finally {
      await sql.end();
    }
    expectNoPassword(r, root);
    expect(writtenText(root)).not.toContain(fresh.password);
  } finally {
    app.close();
  }
});
