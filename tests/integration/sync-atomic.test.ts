// Atomic means atomic: a sync struck mid-COPY — target connection killed, target server
// stopped, source connection killed — exits 1 and leaves the target exactly as before.
import { makeStaleStaging } from '../../scripts/lib/demo/environment.ts';
import { dir, sameAs, snapshotOf } from '../helpers/backups.ts';
import { cleanEnv, runScript } from '../helpers/run-script.ts';
import { closeAll, supabaseDatabase, type TestDatabase } from '../helpers/supabase-db.ts';
import { fingerprint, isUp, strikeWhenRunning, terminateSessions } from '../helpers/sync.ts';

const ownCluster = process.env.TEST_DATABASE_URL ? test.skip : test;

let dev: TestDatabase;
beforeAll(async () => {
  dev = await supabaseDatabase({ scale: 8 });
});
afterAll(closeAll);

/** Starts a sync into a fresh stale staging, strikes once the big table is copying, and proves nothing changed. */
async function struck(where: 'source' | 'target', strike: (staging: TestDatabase) => Promise<unknown>) {
  const staging = await supabaseDatabase({ migrations: false });
  const app = staging.app();
  await makeStaleStaging(app, 1);
  await app.end();
  // A crash makes PostgreSQL replay sequences' pre-logged values (nextval() logs 32 ahead):
  // a checkpoint first, so a stopped server's sequences are the ones we compare with.
  const su = staging.superuser();
  await su`checkpoint`;
  await su.end();
  const before = await snapshotOf(staging);
  const schema = await fingerprint(staging);
  const env = cleanEnv({ DEV_DATABASE_URL: dev.url, STAGING_DATABASE_URL: staging.url });
  const running = runScript('sync', ['--source', 'dev', '--target', 'staging', '--out', dir('struck')], env);
  const copying = where === 'source' ? '%chat_messages%to stdout%' : '%chat_messages%from stdin%';
  const seen = await strikeWhenRunning(where === 'source' ? dev : staging, 'envsync sync', copying, () =>
    strike(staging),
  );
  expect(seen).toBe(true);
  const run = await running;
  expect(run.code).toBe(1);
  expect(run.stderr).toMatch(
    /^error: (sync failed during copying public\.chat_messages|reading public\.chat_messages \(psql\) failed): /m,
  );
  // Struck before COMMIT: the sync says so, as it must not after one (sync-commit.test.ts).
  expect(run.stderr).toMatch(/^hint: .*(the target transaction was never committed|nothing was changed)/m);
  if (!(await isUp(staging))) await staging.cluster!.start();
  expect(await sameAs(staging, before)).toEqual({ identical: true, tables: [] });
  expect(await fingerprint(staging)).toBe(schema);
}

const terminate = (db: TestDatabase, like: string) => terminateSessions(db, 'envsync sync', like);

test('the target connection is killed mid-COPY', async () => {
  await struck('target', (staging) => terminate(staging, '%from stdin%'));
});

ownCluster('the target server is stopped mid-COPY', async () => {
  await struck('target', (staging) => staging.cluster!.stop('immediate'));
});

test('the source connection is killed mid-COPY', async () => {
  await struck('source', () => terminate(dev, '%to stdout%'));
});
