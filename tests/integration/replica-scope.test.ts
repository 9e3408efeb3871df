// One scope for what is replicated: validate compares what sync copied (--platform-tables
// included), reports sequences either side lacks, and refuses platform tables it cannot use.
import { mkdtempSync, readFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { backupJob } from '../../scripts/lib/jobs/backup.ts';
import { rollbackJob } from '../../scripts/lib/jobs/rollback.ts';
import { pipelineJob } from '../../scripts/lib/jobs/run-pipeline.ts';
import { syncJob } from '../../scripts/lib/jobs/sync.ts';
import { validateJob } from '../../scripts/lib/jobs/validate.ts';
import type { JobRecord } from '../../scripts/lib/results/job-record.ts';
import type { SyncPlan } from '../../scripts/lib/results/plan.ts';
import type { RollbackResult } from '../../scripts/lib/results/rollback.ts';
import type { SyncResult } from '../../scripts/lib/results/sync.ts';
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
  const [s, t] = [dev.app(), staging.app()];
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

test('run-pipeline --platform-tables hands the same tables to prepare (and so sync) and validate', async () => {
  const d = out();
  const run = await runInProcess(
    pipelineJob,
    [...pair, '--platform-tables', 'auth.users', '--out', d],
    env(),
  );
  expect(run.stderr).toBe('');
  expect(run.code).toBe(0);
  const plan = JSON.parse(readFileSync(path.join(d, 'prepare', 'plan.json'), 'utf8')) as SyncPlan;
  expect(plan.platformTables).toEqual(['auth.users']);
  // auth.identities still differs: a validate of the default tables would have failed the run.
  expect(validated(path.join(d, 'validate')).data).toEqual([]);
});

test('a sequence of a role the target role cannot act as is left as the target has it, not set', async () => {
  const admin = dev.superuser();
  await admin.unsafe('create sequence public.platform_counter; select nextval($$public.platform_counter$$)');
  try {
    const d = out();
    const run = await runInProcess(syncJob, [...pair, '--out', d], env());
    expect(run.stderr).toBe('');
    expect(run.code).toBe(0);
    const synced = JSON.parse(readFileSync(path.join(d, 'sync.json'), 'utf8')) as JobRecord<SyncResult>;
    expect(synced.result!.leftAlone).toEqual(
      expect.arrayContaining([expect.stringContaining('public.platform_counter')]),
    );
    const t = staging.superuser();
    const [r] = await t`select to_regclass('public.platform_counter') as seq`;
    await t.end();
    expect(r!.seq).toBeNull();
  } finally {
    await admin.unsafe('drop sequence public.platform_counter');
    await admin.end();
  }
});

test('a rollback leaves a sequence of a role it cannot act as alone, and proves the rest', async () => {
  const admin = staging.superuser();
  await admin.unsafe('create sequence public.platform_counter; select nextval($$public.platform_counter$$)');
  try {
    const d = out();
    const backup = await runInProcess(backupJob, ['--db', 'staging', '--out', d], env());
    expect(backup.code).toBe(0);
    await admin.unsafe('select nextval($$public.platform_counter$$)');
    const r = out();
    const run = await runInProcess(rollbackJob, ['--target', 'staging', '--from', d, '--out', r], env());
    expect(run.stderr).toBe('');
    expect(run.code).toBe(0);
    const record = JSON.parse(
      readFileSync(path.join(r, 'rollback.json'), 'utf8'),
    ) as JobRecord<RollbackResult>;
    expect(record.result!.comparison.leftAlone).toEqual(['public.platform_counter']);
  } finally {
    await admin.unsafe('drop sequence public.platform_counter');
    await admin.end();
  }
});
