// Atomic on the coverage fixture too: a sync struck mid-COPY (target or source connection
// killed) and a rollback struck mid-restore leave the target exactly as before — schema
// dump, every table's count and checksum, sequences — on the faithful platform fixture.
import { rollbackJob } from '../../scripts/lib/jobs/rollback.ts';
import { syncJob } from '../../scripts/lib/jobs/sync.ts';
import { dir, sameAs, snapshotOf } from '../helpers/backups.ts';
import {
  COVERAGE_SCHEMAS,
  loadCoverageSource,
  loadStaleTarget,
  STALE_TARGET_SCHEMAS,
} from '../helpers/coverage.ts';
import { cleanEnv, runInProcess } from '../helpers/run-script.ts';
import { closeAll, supabaseDatabase, type TestDatabase } from '../helpers/supabase-db.ts';
import { schemaDump, strikeWhenRunning, terminateSessions } from '../helpers/sync.ts';

// Enough rows that the copy of one table is still running when the test strikes.
const BULK = `create table "Wéird ""Schema"" $x"."bulk rows" (id int8 primary key, body text not null);
  insert into "Wéird ""Schema"" $x"."bulk rows" select g, repeat(md5(g::text), 4) from generate_series(1, 300000) g;`;

let source: TestDatabase;
beforeAll(async () => {
  source = await supabaseDatabase({ migrations: false });
  const app = source.app();
  try {
    await loadCoverageSource(app);
    await app.unsafe(BULK);
  } finally {
    await app.end();
  }
});
afterAll(closeAll);

/** The stale target, with pg_trgm moved to public as the source has it (coverage.test covers the refusal). */
async function staleTarget(): Promise<TestDatabase> {
  const target = await supabaseDatabase({ migrations: false });
  const [app, su] = [target.app(), target.superuser()];
  try {
    await loadStaleTarget(app);
    await su`alter extension pg_trgm set schema public`;
  } finally {
    await Promise.all([app.end(), su.end()]);
  }
  return target;
}

async function syncStruck(side: 'source' | 'target') {
  const target = await staleTarget();
  const before = await snapshotOf(target);
  const dump = schemaDump(target, [...STALE_TARGET_SCHEMAS]);
  const env = cleanEnv({ DEV_DATABASE_URL: source.url, STAGING_DATABASE_URL: target.url });
  const running = runInProcess(
    syncJob,
    ['--source', 'dev', '--target', 'staging', '--out', dir('cov-struck')],
    env,
  );
  const like = side === 'target' ? '%bulk rows%from stdin%' : '%bulk rows%to stdout%';
  const db = side === 'target' ? target : source;
  const seen = await strikeWhenRunning(db, 'envsync sync', like, () =>
    terminateSessions(db, 'envsync sync', like),
  );
  expect(seen).toBe(true);
  const run = await running;
  expect(run.code).toBe(1);
  expect(run.stderr).toMatch(/bulk rows/);
  expect(schemaDump(target, [...STALE_TARGET_SCHEMAS])).toBe(dump);
  expect(await sameAs(target, before)).toEqual({ identical: true, tables: [] });
}

test('sync: the target connection killed mid-COPY leaves the stale target as it was', async () => {
  await syncStruck('target');
});

test('sync: the source connection killed mid-COPY leaves the stale target as it was', async () => {
  await syncStruck('source');
});

/** rollback of the coverage source's backup onto `target` (another database: --force-foreign-backup). */
const restoreSource = (target: TestDatabase, backup: string, label: string) =>
  runInProcess(rollbackJob, [
    '--target',
    target.url,
    '--from',
    backup,
    '--force-foreign-backup',
    '--out',
    dir(label),
  ]);

test('rollback: the restore connection killed mid-COPY leaves the database as it was', async () => {
  const target = await staleTarget();
  const backupOfSource = await snapshotOf(source);
  const before = await snapshotOf(target);
  const dump = schemaDump(target, [...STALE_TARGET_SCHEMAS]);
  const running = restoreSource(target, backupOfSource, 'cov-rb-struck');
  const like = '%bulk rows%from stdin%';
  const seen = await strikeWhenRunning(target, 'envsync restore', like, () =>
    terminateSessions(target, 'envsync restore', like),
  );
  expect(seen).toBe(true);
  const run = await running;
  expect(run.code).toBe(1);
  expect(run.stderr).toMatch(/^error: /m);
  expect(schemaDump(target, [...STALE_TARGET_SCHEMAS])).toBe(dump);
  expect(await sameAs(target, before)).toEqual({ identical: true, tables: [] });
  // And the same backup, uninterrupted, makes it the source exactly.
  const again = await restoreSource(target, backupOfSource, 'cov-rb-whole');
  expect(again.stderr).toBe('');
  expect(again.code).toBe(0);
  expect(schemaDump(target, [...COVERAGE_SCHEMAS])).toBe(schemaDump(source, [...COVERAGE_SCHEMAS]));
});
