// validate-env --connect against a real PostgreSQL: a database URL that connects, one with a
// wrong password, one to a closed port and one to a server that never answers — each reported
// by name, with the database's display form and never its password.

import { mkdtempSync, readFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { freePort } from '../../scripts/lib/db/cluster.ts';
import { validateEnvJob } from '../../scripts/lib/jobs/validate-env.ts';
import type { JobRecord } from '../../scripts/lib/results/job-record.ts';
import type { ValidateEnvResult } from '../../scripts/lib/results/validate-env.ts';
import { type BlackHole, blackHole } from '../helpers/black-hole.ts';
import { cleanEnv, runInProcess, runScript } from '../helpers/run-script.ts';
import { closeAll, supabaseDatabase, type TestDatabase, withUrl } from '../helpers/supabase-db.ts';

let db: TestDatabase;
let hole: BlackHole;
beforeAll(async () => {
  db = await supabaseDatabase({ migrations: false });
  hole = await blackHole();
});
afterAll(async () => {
  await hole.close();
  await closeAll();
});

const BACKUP_KEY = 'backup-key-0123456789-abcdefghij';
// db-sync's prepare job reads both databases and the backup key.
const PREPARE = ['--workflow', '.github/workflows/db-sync.yml', '--job', 'prepare', '--connect'];

async function validateEnv(args: string[], env: Record<string, string>) {
  const out = mkdtempSync(path.join(os.tmpdir(), 'envsync-validate-env-'));
  const r = await runInProcess(validateEnvJob, [...args, '--out', out], cleanEnv(env));
  const json = readFileSync(path.join(out, 'validate-env.json'), 'utf8');
  const summary = readFileSync(path.join(out, 'summary.md'), 'utf8');
  const result = (JSON.parse(json) as JobRecord<ValidateEnvResult>).result!;
  const check = (name: string) => result.checks.find((c) => c.name === name)!;
  return { ...r, result, check, everything: [r.stdout, r.stderr, json, summary].join('\n') };
}

test('both databases reachable: connected with their server version, exit 0', async () => {
  const r = await validateEnv(PREPARE, {
    DEV_DATABASE_URL: db.url,
    STAGING_DATABASE_URL: db.url,
    BACKUP_ENCRYPTION_KEY: BACKUP_KEY,
  });
  expect(r.code).toBe(0);
  for (const name of ['DEV_DATABASE_URL', 'STAGING_DATABASE_URL']) {
    expect(r.check(name)).toMatchObject({ status: 'present', latencyMs: expect.any(Number) });
    expect(r.check(name).detail).toMatch(new RegExp(`^${db.display}: connected, PostgreSQL \\d+`));
  }
  expect(r.stdout).toMatch(/^ok: 3 names set and well-formed \(2 databases reachable\)/m);
  expect(r.everything).not.toContain(db.password);
});

test('a wrong password: unreachable by name, the display form shown, neither password anywhere', async () => {
  const wrong = 'wrong-Pa55word-for-test';
  const r = await validateEnv(PREPARE, {
    DEV_DATABASE_URL: db.url,
    STAGING_DATABASE_URL: withUrl(db.url, { password: wrong }),
    BACKUP_ENCRYPTION_KEY: BACKUP_KEY,
  });
  expect(r.code).toBe(1);
  expect(r.check('DEV_DATABASE_URL').status).toBe('present');
  expect(r.check('STAGING_DATABASE_URL')).toMatchObject({
    status: 'unreachable',
    detail: `${db.display}: password authentication failed`,
  });
  expect(r.stderr.split('\n')[0]).toBe(
    `failed: unreachable: STAGING_DATABASE_URL (${db.display}: password authentication failed)`,
  );
  for (const secret of [db.password, wrong]) expect(r.everything).not.toContain(secret);

  // Without --connect the same URL is only well-formed: what --connect adds.
  const unchecked = await validateEnv(
    PREPARE.filter((a) => a !== '--connect'),
    {
      DEV_DATABASE_URL: db.url,
      STAGING_DATABASE_URL: withUrl(db.url, { password: wrong }),
      BACKUP_ENCRYPTION_KEY: BACKUP_KEY,
    },
  );
  expect(unchecked.code).toBe(0);
});

test('a closed port and a server that never answers: each named, bounded by --connect-timeout', async () => {
  const closed = `postgres://postgres:closed-Pa55word@127.0.0.1:${await freePort()}/postgres`;
  const silent = `postgres://postgres:silent-Pa55word@127.0.0.1:${hole.port}/postgres`;
  const r = await validateEnv([...PREPARE, '--connect-timeout', '1'], {
    DEV_DATABASE_URL: closed,
    STAGING_DATABASE_URL: silent,
    BACKUP_ENCRYPTION_KEY: BACKUP_KEY,
  });
  expect(r.code).toBe(1);
  expect(r.check('DEV_DATABASE_URL')).toMatchObject({ status: 'unreachable' });
  expect(r.check('DEV_DATABASE_URL').detail).toMatch(/: connection refused$/);
  expect(r.check('STAGING_DATABASE_URL').detail).toMatch(/: no answer from the server \(connect timeout\)$/);
  expect(hole.accepted()).toBeGreaterThan(0);
  expect(r.stderr.split('\n')[0]).toMatch(
    /^failed: unreachable: DEV_DATABASE_URL \(postgres:\/\/postgres@127\.0\.0\.1:\d+\/postgres: connection refused\), STAGING_DATABASE_URL \(/,
  );
  for (const secret of ['closed-Pa55word', 'silent-Pa55word']) expect(r.everything).not.toContain(secret);
});

test('as a user runs it: tsx scripts/validate-env.ts, one line per name, the exit code', async () => {
  const r = await runScript(
    'validate-env',
    [...PREPARE, '--out', mkdtempSync(path.join(os.tmpdir(), 'envsync-validate-env-'))],
    cleanEnv({
      DEV_DATABASE_URL: db.url,
      STAGING_DATABASE_URL: withUrl(db.url, { database: 'no_such_db' }),
    }),
  );
  expect(r.code).toBe(1);
  expect(r.stdout).toMatch(/^ {2}present +DEV_DATABASE_URL +.*: connected, PostgreSQL/m);
  expect(r.stdout).toMatch(
    /^ {2}unreachable +STAGING_DATABASE_URL +.*\/no_such_db: database does not exist$/m,
  );
  expect(r.stdout).toMatch(/^ {2}missing +BACKUP_ENCRYPTION_KEY +not set/m);
  expect(r.stderr.split('\n')[0]).toMatch(
    /^failed: missing: BACKUP_ENCRYPTION_KEY; unreachable: STAGING_DATABASE_URL \(.*database does not exist\)$/,
  );
  expect(r.stdout + r.stderr).not.toContain(db.password);
});
