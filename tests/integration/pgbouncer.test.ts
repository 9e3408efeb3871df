// Through a real PgBouncer, the way GitHub's runners reach Supabase (the direct host is
// IPv6-only, so the pooler, with the user spelled postgres.<project-ref>): in session mode
// every job works end to end; in transaction mode every job refuses up front (exit 2, one
// line naming the session-mode URL) instead of a run that only seems to work.
import path from 'node:path';
import { dir, sameAs } from '../helpers/backups.ts';
import { type Bouncer, pgbouncerBinary, startPgBouncer, stopAllBouncers } from '../helpers/pgbouncer.ts';
import { cleanEnv, runScript } from '../helpers/run-script.ts';
import { closeAll, supabaseDatabase, type TestDatabase } from '../helpers/supabase-db.ts';
import { devAndStaleStaging } from '../helpers/sync.ts';

// CI installs pgbouncer (.ci/run); elsewhere, without it, these tests say so and skip.
const available = pgbouncerBinary() !== null || process.env.CI === 'true';
const withBouncer = available && !process.env.TEST_DATABASE_URL ? describe : describe.skip;
if (!available)
  console.warn('pgbouncer is not installed: the pooler tests are skipped (apt-get install pgbouncer)');

let dev: TestDatabase;
let staging: TestDatabase;
afterAll(async () => {
  stopAllBouncers();
  await closeAll();
});

withBouncer('through PgBouncer', () => {
  let devPool: Bouncer;
  let stagingPool: Bouncer;
  let stagingTx: Bouncer;
  beforeAll(async () => {
    [dev, staging] = await devAndStaleStaging();
    [devPool, stagingPool, stagingTx] = await Promise.all([
      startPgBouncer(dev, 'session'),
      startPgBouncer(staging, 'session'),
      startPgBouncer(staging, 'transaction'),
    ]);
  });

  test('session mode, user postgres.<project-ref>: every job works end to end', async () => {
    const env = cleanEnv({ DEV_DATABASE_URL: devPool.url, STAGING_DATABASE_URL: stagingPool.url });
    const root = dir('pooled');
    const job = async (name: string, script: string, args: string[]) => {
      const run = await runScript(script, [...args, '--out', path.join(root, name)], env);
      expect({ name, stderr: run.stderr, code: run.code }).toEqual({ name, stderr: '', code: 0 });
    };
    await job('analyze', 'analyze', ['--db', 'dev']);
    await job('backup', 'backup', ['--db', 'dev']);
    await job('prepare', 'prepare', ['--source', 'dev', '--target', 'staging']);
    await job('sync', 'sync', [
      '--source',
      'dev',
      '--target',
      'staging',
      '--plan',
      path.join(root, 'prepare'),
    ]);
    await job('validate', 'validate', ['--source', 'dev', '--target', 'staging']);
    await job('health-check', 'health-check', ['--db', 'staging']);
    const snapshot = path.join(root, 'prepare', 'snapshot');
    await job('rollback', 'rollback', ['--target', 'staging', '--from', snapshot]);
    expect(await sameAs(staging, snapshot)).toEqual({ identical: true, tables: [] });
    await job('pipeline', 'run-pipeline', ['--source', 'dev', '--target', 'staging']);
    // seed writes demo data into an empty database with the app's migrations.
    const emptyPool = await startPgBouncer(await supabaseDatabase(), 'session');
    await job('seed', 'seed', ['--db', emptyPool.url]);
    await job('mark-production', 'mark-production', ['--db', 'staging']);
  });

  test('transaction mode: every job refuses up front, naming the session-mode URL (exit 2)', async () => {
    const env = cleanEnv({ DEV_DATABASE_URL: devPool.url, STAGING_DATABASE_URL: stagingTx.url });
    const runs = await Promise.all([
      runScript('analyze', ['--db', 'staging', '--out', dir('tx-analyze')], env),
      runScript('backup', ['--db', 'staging', '--out', dir('tx-backup')], env),
      runScript('sync', ['--source', 'dev', '--target', 'staging', '--out', dir('tx-sync')], env),
      runScript('validate', ['--source', 'dev', '--target', 'staging', '--out', dir('tx-validate')], env),
    ]);
    for (const run of runs) {
      expect(run.code).toBe(2);
      expect(run.stderr).toMatch(
        /^error: --\w+ postgres:\/\/postgres\.abcdefghijklmnopqrst@.* goes through a transaction-mode pooler/m,
      );
      expect(run.stderr).toMatch(/^hint: use the session-mode URL \(on Supabase: the pooler on port 5432/m);
    }
  });
});
