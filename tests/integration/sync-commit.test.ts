// A sync never misreports what happened at the end: the connection lost during COMMIT is
// resolved by asking the server (pg_xact_status), the source lost after the target committed
// changes nothing, and artifacts that cannot be written do not hide a committed sync. The
// target's COMMIT is held open with a synchronous standby that never comes, so the test can
// strike exactly then.

import { mkdirSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { makeStaleStaging } from '../../scripts/lib/demo/environment.ts';
import { syncJob } from '../../scripts/lib/jobs/sync.ts';
import { validateJob } from '../../scripts/lib/jobs/validate.ts';
import { dir } from '../helpers/backups.ts';
import { cleanEnv, runInProcess, type runScript } from '../helpers/run-script.ts';
import { closeAll, supabaseDatabase, type TestDatabase } from '../helpers/supabase-db.ts';
import { strikeWhen, terminateSessions } from '../helpers/sync.ts';

const ownCluster = process.env.TEST_DATABASE_URL ? test.skip : test;

let dev: TestDatabase;
beforeAll(async () => {
  dev = await supabaseDatabase({ scale: 1 });
});
afterAll(closeAll);

async function staleStaging(): Promise<TestDatabase> {
  const staging = await supabaseDatabase({ migrations: false });
  const app = staging.app();
  await makeStaleStaging(app, 1);
  await app.end();
  return staging;
}

/** Makes every COMMIT on `db` wait for a synchronous standby that never connects (or stops that). */
async function holdCommits(db: TestDatabase, hold: boolean) {
  const su = db.superuser();
  try {
    if (hold) await su`alter system set synchronous_standby_names = 'envsync_never'`;
    else await su`alter system reset synchronous_standby_names`;
    await su`select pg_reload_conf()`;
  } finally {
    await su.end();
  }
}

/** Strikes once the sync's COMMIT on `staging` waits for the standby. */
const atCommit = (staging: TestDatabase, strike: () => Promise<unknown>) =>
  strikeWhen(
    staging,
    async (w) =>
      (
        await w`select count(*)::int as n from pg_stat_activity
                where application_name = 'envsync sync' and wait_event = 'SyncRep'`
      )[0]!.n > 0,
    strike,
  );

const validate = (env: NodeJS.ProcessEnv) =>
  runInProcess(validateJob, ['--source', 'dev', '--target', 'staging', '--out', dir('commit-validate')], env);

ownCluster(
  'the connection lost during COMMIT: the server says committed, and the sync says so (exit 0)',
  async () => {
    const staging = await staleStaging();
    const env = cleanEnv({ DEV_DATABASE_URL: dev.url, STAGING_DATABASE_URL: staging.url });
    await holdCommits(staging, true);
    try {
      const running = runInProcess(
        syncJob,
        ['--source', 'dev', '--target', 'staging', '--out', dir('commit-lost')],
        env,
      );
      expect(await atCommit(staging, () => terminateSessions(staging, 'envsync sync', '%'))).toBe(true);
      const run = await running;
      expect(run.code).toBe(0);
      expect(run.stdout).toMatch(
        /warning: the connection to .* was lost during COMMIT, and the server says the transaction committed/,
      );
    } finally {
      await holdCommits(staging, false);
    }
    expect((await validate(env)).code).toBe(0);
  },
);

ownCluster(
  'the source lost after the target committed: the sync succeeded and says so (exit 0)',
  async () => {
    const staging = await staleStaging();
    const env = cleanEnv({ DEV_DATABASE_URL: dev.url, STAGING_DATABASE_URL: staging.url });
    await holdCommits(staging, true);
    let run: Awaited<ReturnType<typeof runScript>>;
    try {
      const running = runInProcess(
        syncJob,
        ['--source', 'dev', '--target', 'staging', '--out', dir('commit-src')],
        env,
      );
      const struck = await atCommit(staging, async () => {
        await terminateSessions(dev, 'envsync sync', '%');
        await holdCommits(staging, false);
      });
      expect(struck).toBe(true);
      run = await running;
    } finally {
      await holdCommits(staging, false);
    }
    // Whether the driver notices the dead source connection (a warning) or quietly opens a new
    // one to end a transaction that is gone, the run reports what happened: committed.
    expect(run.code).toBe(0);
    expect(run.stdout).toMatch(/^ok: .* now replicates /m);
    expect((await validate(env)).code).toBe(0);
  },
);

test('artifacts that cannot be written after the commit: exit 1, but the output says the sync committed', async () => {
  const staging = await staleStaging();
  const env = cleanEnv({ DEV_DATABASE_URL: dev.url, STAGING_DATABASE_URL: staging.url });
  const out = dir('commit-out');
  mkdirSync(path.join(out, 'sync.json'));
  writeFileSync(path.join(out, 'sync.json', 'in-the-way'), '');
  const run = await runInProcess(syncJob, ['--source', 'dev', '--target', 'staging', '--out', out], env);
  expect(run.code).toBe(1);
  expect(run.stderr).toMatch(/^done: .* now replicates .*$/m);
  expect(run.stderr).toMatch(/^error: sync finished, but its artifacts could not be written: /m);
  expect(run.stderr).not.toMatch(/never committed/);
  expect((await validate(env)).code).toBe(0);
});
