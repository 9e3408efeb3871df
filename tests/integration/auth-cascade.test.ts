// Replacing auth.users cascades, as on the real platform, to the target's sessions, refresh
// tokens, MFA factors and one-time tokens: prepare says so (with the rows it will take), and the
// snapshot keeps them, so a rollback puts them back and can truly say "identical".

import { readFileSync } from 'node:fs';
import { prepareJob } from '../../scripts/lib/jobs/prepare.ts';
import { rollbackJob } from '../../scripts/lib/jobs/rollback.ts';
import { syncJob } from '../../scripts/lib/jobs/sync.ts';
import type { PrepareResult } from '../../scripts/lib/results/prepare.ts';
import { dir, record, sameAs } from '../helpers/backups.ts';
import { cleanEnv, runInProcess } from '../helpers/run-script.ts';
import { closeAll, type TestDatabase } from '../helpers/supabase-db.ts';
import { devAndStaleStaging } from '../helpers/sync.ts';

let dev: TestDatabase;
let staging: TestDatabase;
beforeAll(async () => {
  [dev, staging] = await devAndStaleStaging();
  const su = staging.superuser();
  await su`insert into auth.sessions (id, user_id, created_at)
           select gen_random_uuid(), id, now() from auth.users order by id limit 3`;
  await su`insert into auth.refresh_tokens (token, user_id, session_id, revoked, created_at)
           select md5(id::text), user_id::text, id, false, now() from auth.sessions`;
  await su.end();
});
afterAll(closeAll);

const count = async (table: string) => {
  const su = staging.superuser();
  try {
    const [r] = await su.unsafe(`select count(*)::int as n from ${table}`);
    return r!.n as number;
  } finally {
    await su.end();
  }
};

test('prepare names what the sync deletes on the target through FKs; rollback brings it back', async () => {
  const env = cleanEnv({ DEV_DATABASE_URL: dev.url, STAGING_DATABASE_URL: staging.url });
  const prep = dir('cascade-prepare');
  const prepare = await runInProcess(
    prepareJob,
    ['--source', 'dev', '--target', 'staging', '--out', prep],
    env,
  );
  expect(prepare.code).toBe(0);
  const plan = record<PrepareResult>(prep, 'prepare').result!.plan;
  expect(plan.cascades).toEqual(
    expect.arrayContaining([
      { table: 'auth.sessions', rows: 3 },
      { table: 'auth.refresh_tokens', rows: 3 },
    ]),
  );
  expect(prepare.stdout).toMatch(
    /warning: replacing .* deletes on the target, through their FKs: .*auth\.sessions \(3 rows\)/,
  );
  expect(readManifestTables(`${prep}/snapshot`)).toEqual(
    expect.arrayContaining(['auth.sessions', 'auth.refresh_tokens']),
  );

  const sync = await runInProcess(
    syncJob,
    ['--source', 'dev', '--target', 'staging', '--plan', prep, '--out', dir('cascade-sync')],
    env,
  );
  expect(sync.code).toBe(0);
  expect(await count('auth.sessions')).toBe(0);

  const rollback = await runInProcess(
    rollbackJob,
    ['--target', 'staging', '--from', `${prep}/snapshot`, '--out', dir('cascade-rb')],
    env,
  );
  expect(rollback.code).toBe(0);
  expect(await count('auth.sessions')).toBe(3);
  expect(await count('auth.refresh_tokens')).toBe(3);
  expect(await sameAs(staging, `${prep}/snapshot`)).toEqual({ identical: true, tables: [] });
});

function readManifestTables(d: string): string[] {
  const m = JSON.parse(readFileSync(`${d}/manifest.json`, 'utf8')) as { tables: { table: string }[] };
  return m.tables.map((t) => t.table);
}
