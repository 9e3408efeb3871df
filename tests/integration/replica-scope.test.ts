// One scope for what is replicated: validate compares what sync copied (--platform-tables
// included), reports sequences either side lacks, and refuses platform tables it cannot use.
import { mkdtempSync, readFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { syncJob } from '../../scripts/lib/jobs/sync.ts';
import { validateJob } from '../../scripts/lib/jobs/validate.ts';
import type { JobRecord } from '../../scripts/lib/results/job-record.ts';
import type { ValidateResult } from '../../scripts/lib/results/validate.ts';
import { cleanEnv, runInProcess } from '../helpers/run-script.ts';
import { closeAll, supabaseDatabase, type TestDatabase } from '../helpers/supabase-db.ts';
import { fingerprint } from '../helpers/sync.ts';

let dev: TestDatabase;
let staging: TestDatabase;
beforeAll(async () => {
  [dev, staging] = await Promise.all([supabaseDatabase({ scale: 1 }), supabaseDatabase({ scale: 1 })]);
  // The two differ in auth.identities only: a sync limited to auth.users leaves it as it is.
  const sql = staging.superuser();
  await sql.unsafe(`update auth.identities set identity_data = '{"staging": true}' where ctid in
                    (select ctid from auth.identities limit 1)`);
  await sql.end();
});
afterAll(closeAll);

const out = () => mkdtempSync(path.join(os.tmpdir(), 'envsync-scope-'));
const env = () => cleanEnv({ DEV_DATABASE_URL: dev.url, STAGING_DATABASE_URL: staging.url });
const validated = (d: string) =>
  (JSON.parse(readFileSync(path.join(d, 'validate.json'), 'utf8')) as JobRecord<ValidateResult>).result!;
const pair = ['--source', 'dev', '--target', 'staging'];

test('after sync --platform-tables, validate with the same flag compares what was copied', async () => {
  const synced = await runInProcess(
    syncJob,
    [...pair, '--platform-tables', 'auth.users', '--out', out()],
    env(),
  );
  expect(synced.stderr).toBe('');
  expect(synced.code).toBe(0);

  const d = out();
  const same = await runInProcess(
    validateJob,
    [...pair, '--platform-tables', 'auth.users', '--out', d],
    env(),
  );
  expect(same.stderr).toBe('');
  expect(same.code).toBe(0);
  expect(validated(d).data).toEqual([]);

  // Without it, validate compares the default platform tables: auth.identities was not copied.
  const e = out();
  const wider = await runInProcess(validateJob, [...pair, '--out', e], env());
  expect(wider.code).toBe(1);
  expect(validated(e).data.map((x) => x.table)).toEqual(['auth.identities']);
});

test('a sequence on one side only is reported, whichever side has it', async () => {
  const [s, t] = [dev.superuser(), staging.superuser()];
  await s.unsafe('create sequence public.only_on_source start 5; select nextval($$public.only_on_source$$)');
  await t.unsafe('create sequence public.only_on_target');
  await Promise.all([s.end(), t.end()]);
  const d = out();
  const run = await runInProcess(
    validateJob,
    [...pair, '--platform-tables', 'auth.users', '--out', d],
    env(),
  );
  expect(run.code).toBe(1);
  const seqs = validated(d).sequences;
  expect(seqs).toEqual([
    {
      sequence: 'public.only_on_source',
      source: { sequence: 'public.only_on_source', lastValue: '5', isCalled: true },
    },
    {
      sequence: 'public.only_on_target',
      target: { sequence: 'public.only_on_target', lastValue: '1', isCalled: false },
    },
  ]);
  expect(run.stderr).toContain('sequence public.only_on_source: source 5, missing on the target');
  expect(run.stderr).toContain('sequence public.only_on_target: missing on the source, target 1');
});

test.each([
  ['auth.nope', '--platform-tables: the source has no table auth.nope'],
  [
    'public.chat_messages',
    '--platform-tables: public.chat_messages is an app table (its schema is replicated whole)',
  ],
])('--platform-tables %s is refused with one line, nothing written (exit 2)', async (table, message) => {
  const before = await fingerprint(staging);
  const args = [...pair, '--platform-tables', table, '--out', out()];
  for (const run of [
    await runInProcess(syncJob, args, env()),
    await runInProcess(validateJob, args, env()),
  ]) {
    expect(run.code).toBe(2);
    expect(run.stderr.split('\n')[0]).toBe(`error: ${message}`);
  }
  expect(await fingerprint(staging)).toBe(before);
});
