// The production guard cannot be spelled around: a database marked by mark-production is
// refused by every job that writes, however its URL is written, in an environment shaped
// like the staging jobs on GitHub Actions (no PRODUCTION_DATABASE_URL); and an unmarked
// database that is PRODUCTION_DATABASE_URL under another spelling is refused by identity.
import { writeFileSync } from 'node:fs';
import path from 'node:path';
import { backupJob } from '../../scripts/lib/jobs/backup.ts';
import { markProductionJob } from '../../scripts/lib/jobs/mark-production.ts';
import { prepareJob } from '../../scripts/lib/jobs/prepare.ts';
import { rollbackJob } from '../../scripts/lib/jobs/rollback.ts';
import { seedJob } from '../../scripts/lib/jobs/seed.ts';
import { syncJob } from '../../scripts/lib/jobs/sync.ts';
import { dir } from '../helpers/backups.ts';
import { cleanEnv, runInProcess, type ScriptRun } from '../helpers/run-script.ts';
import { closeAll, supabaseDatabase, type TestDatabase, withUrl } from '../helpers/supabase-db.ts';
import { fingerprint } from '../helpers/sync.ts';

let dev: TestDatabase;
let prod: TestDatabase;
/** The first mark-production run: every test below works on the marked database. */
let marking: ScriptRun;
beforeAll(async () => {
  [dev, prod] = await Promise.all([supabaseDatabase({ scale: 1 }), supabaseDatabase({ scale: 1 })]);
  marking = await runInProcess(markProductionJob, ['--db', prod.url, '--out', dir('mark')]);
});
afterAll(closeAll);

/** The same database under other host spellings (the server listens on 127.0.0.1). */
const spellings = (url: string) =>
  ['localhost', 'LOCALHOST', '127.0.0.1'].map((host) => {
    const u = new URL(url);
    u.hostname = host;
    return u.toString();
  });

test('mark-production marks once and says so the second time', async () => {
  expect(marking.stderr).toBe('');
  expect(marking.code).toBe(0);
  expect(marking.stdout).toMatch(/is now marked as production/);
  const again = await runInProcess(markProductionJob, ['--db', prod.url, '--out', dir('mark-again')]);
  expect(again.code).toBe(0);
  expect(again.stdout).toMatch(/was already marked as production/);
});

test('every job that writes refuses the marked database, however it is spelled (exit 2, nothing changed)', async () => {
  const before = await fingerprint(prod);
  // CI-shaped: the staging job knows its own URL only.
  for (const url of spellings(prod.url)) {
    const env = cleanEnv({ DEV_DATABASE_URL: dev.url, STAGING_DATABASE_URL: url });
    const runs = [
      await runInProcess(syncJob, ['--source', 'dev', '--target', 'staging', '--out', dir('g-sync')], env),
      await runInProcess(prepareJob, ['--source', 'dev', '--target', 'staging', '--out', dir('g-prep')], env),
      await runInProcess(seedJob, ['--db', 'staging', '--out', dir('g-seed')], env),
      await runInProcess(
        backupJob,
        ['--db', 'dev', '--verify-restore', 'staging', '--out', dir('g-backup')],
        env,
      ),
    ];
    for (const run of runs) {
      expect(run.code).toBe(2);
      expect(run.stderr).toMatch(/is production|--db is production: seed never writes demo data there/);
    }
    expect(runs[0]!.stderr).toMatch(
      /^error: --target postgres:\/\/postgres@.* is production \(it is marked as production \(envsync\.environment, .* by postgres\)\): sync writes to it$/m,
    );
  }
  const backup = dir('g-dev-backup');
  expect((await runInProcess(backupJob, ['--db', dev.url, '--out', backup])).code).toBe(0);
  const rollback = await runInProcess(rollbackJob, [
    '--target',
    spellings(prod.url)[1]!,
    '--from',
    backup,
    '--force-foreign-backup',
    '--out',
    dir('g-rb'),
  ]);
  expect(rollback.code).toBe(2);
  expect(rollback.stderr).toMatch(/is production \(it is marked as production/);
  expect(await fingerprint(prod)).toBe(before);
});

test('a marker the connecting role may not read still counts: the guard fails closed', async () => {
  // A role that may log in and write its own schema, but was never granted the marker.
  const su = prod.superuser();
  await su`revoke usage on schema envsync from public`;
  await su`create role outsider login password 'outsider-pw'`;
  try {
    const run = await runInProcess(
      syncJob,
      [
        '--source',
        dev.url,
        '--target',
        withUrl(prod.url, { user: 'outsider', password: 'outsider-pw' }),
        '--out',
        dir('g-unreadable'),
      ],
      cleanEnv(),
    );
    expect(run.code).toBe(2);
    expect(run.stderr).toMatch(
      /is production \(it is marked as production \(envsync\.environment, unknown \(the marker is not readable/,
    );
  } finally {
    await su`grant usage on schema envsync to public`;
    await su.end();
  }
});

test('--allow-production lets a job through; the marker itself is never replicated', async () => {
  const env = cleanEnv({ DEV_DATABASE_URL: dev.url, STAGING_DATABASE_URL: prod.url });
  const prepare = await runInProcess(
    prepareJob,
    [
      '--source',
      'dev',
      '--target',
      'staging',
      '--allow-production',
      '--no-snapshot',
      '--out',
      dir('g-allow'),
    ],
    env,
  );
  expect(prepare.code).toBe(0);
  // Copying the marked database elsewhere does not mark the copy. A copy of production is
  // masked (docs/masking.md): here with no rule to apply.
  const copy = await supabaseDatabase({ migrations: false });
  const config = path.join(dir('g-config'), 'envsync.yaml');
  writeFileSync(config, 'masking:\n  personal: []\n  rules: {}\n');
  const sync = await runInProcess(
    syncJob,
    ['--source', 'staging', '--target', 'copy', '--config', config, '--out', dir('g-copy')],
    cleanEnv({ STAGING_DATABASE_URL: prod.url, COPY_DATABASE_URL: copy.url }),
  );
  expect(sync.stderr).toBe('');
  expect(sync.code).toBe(0);
  const sql = copy.app();
  const [r] = await sql`select to_regclass('envsync.environment') as marker`;
  await sql.end();
  expect(r!.marker).toBeNull();
});

test('an unmarked database that is PRODUCTION_DATABASE_URL under another spelling is refused by identity', async () => {
  const [production, alias] = spellings(dev.url);
  const run = await runInProcess(
    syncJob,
    ['--source', prod.url, '--target', alias!, '--out', dir('g-ident')],
    cleanEnv({ PRODUCTION_DATABASE_URL: production! }),
  );
  expect(run.code).toBe(2);
  expect(run.stderr).toMatch(
    /is production \(it is the same server and database as PRODUCTION_DATABASE_URL\)/,
  );
});
