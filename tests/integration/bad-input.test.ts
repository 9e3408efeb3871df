// Every kind of bad input: one error line and one hint line, exit 2, no stack
// trace, nothing written but the error artifact, the password never shown.

import { existsSync, mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { freePort } from '../../scripts/lib/db/cluster.ts';
import { DEFAULT_CONNECT_TIMEOUT } from '../../scripts/lib/db/connect.ts';
import { analyzeJob } from '../../scripts/lib/jobs/analyze.ts';
import { blackHole } from '../helpers/black-hole.ts';
import { cleanEnv, runInProcess, type ScriptRun } from '../helpers/run-script.ts';
import { closeAll, supabaseDatabase, type TestDatabase, withUrl } from '../helpers/supabase-db.ts';

let db: TestDatabase;
beforeAll(async () => {
  db = await supabaseDatabase({ migrations: false });
});
afterAll(closeAll);

const outDir = () => mkdtempSync(path.join(os.tmpdir(), 'envsync-bad-'));

function expectBadInput(run: ScriptRun, error: RegExp, hint: RegExp): void {
  const lines = run.stderr.trimEnd().split('\n');
  expect({ code: run.code, lines: lines.length }).toEqual({ code: 2, lines: 2 });
  expect(lines[0]).toMatch(/^error: /);
  expect(lines[0]).toMatch(error);
  expect(lines[1]).toMatch(/^hint: /);
  expect(lines[1]).toMatch(hint);
  expect(run.stderr + run.stdout).not.toMatch(/\n\s+at /);
}

function expectOnlyErrorArtifact(dir: string): void {
  const record = JSON.parse(readFileSync(path.join(dir, 'analyze.json'), 'utf8'));
  expect(record).toMatchObject({ job: 'analyze', status: 'error', exitCode: 2 });
  expect(record.result).toBeUndefined();
}

test('missing --db', async () => {
  expectBadInput(await runInProcess(analyzeJob, []), /--db is required/, /--db dev/);
});

test('a named environment whose variable is not set', async () => {
  const out = outDir();
  const run = await runInProcess(analyzeJob, ['--db', 'staging', '--out', out]);
  expectBadInput(run, /--db staging: STAGING_DATABASE_URL is not set/, /\.env\.template/);
  expectOnlyErrorArtifact(out);
});

test('a malformed URL, without echoing it', async () => {
  const run = await runInProcess(
    analyzeJob,
    ['--db', 'dev'],
    cleanEnv({ DEV_DATABASE_URL: 'postgres//postgres:Malformed-Secret@host' }),
  );
  expectBadInput(run, /DEV_DATABASE_URL is not a valid PostgreSQL URL/, /postgres:\/\/user:password@host/);
  expect(run.stderr).not.toContain('Malformed-Secret');
});

test('a wrong password', async () => {
  const wrong = withUrl(db.url, { password: 'Wrong-Password-42' });
  const out = outDir();
  const run = await runInProcess(
    analyzeJob,
    ['--db', 'dev', '--out', out],
    cleanEnv({ DEV_DATABASE_URL: wrong }),
  );
  expectBadInput(run, /password authentication failed/, /check the password in DEV_DATABASE_URL/);
  expect(run.stderr).toContain(db.display);
  expect(run.stderr + run.stdout + readFileSync(path.join(out, 'analyze.json'), 'utf8')).not.toContain(
    'Wrong-Password-42',
  );
  expectOnlyErrorArtifact(out);
});

test('a database that does not exist', async () => {
  const url = withUrl(db.url, { database: 'no_such_db' });
  expectBadInput(await runInProcess(analyzeJob, ['--db', url]), /database does not exist/, /database name/);
});

test('a port nobody listens on', async () => {
  const port = await freePort();
  const run = await runInProcess(analyzeJob, ['--db', `postgres://postgres:x@127.0.0.1:${port}/postgres`]);
  expectBadInput(run, new RegExp(`127\\.0\\.0\\.1:${port}/postgres: connection refused`), /host and port/);
});

/** The job's own duration from its error artifact: tsx start-up is not the job's. */
const jobDuration = (out: string): number =>
  JSON.parse(readFileSync(path.join(out, 'analyze.json'), 'utf8')).durationMs;

test('a host that never answers: bounded by --connect-timeout', async () => {
  const hole = await blackHole();
  try {
    const out = outDir();
    const url = `postgres://postgres:x@127.0.0.1:${hole.port}/postgres`;
    const run = await runInProcess(analyzeJob, ['--db', url, '--connect-timeout', '1', '--out', out]);
    expectBadInput(run, /no answer from the server \(connect timeout\)/, /firewall/);
    expect(hole.accepted()).toBe(1);
    expect(jobDuration(out)).toBeGreaterThanOrEqual(900);
    // Honoured, not merely reported: had the flag been ignored, the 10 s default would have run out.
    expect(jobDuration(out)).toBeLessThan(DEFAULT_CONNECT_TIMEOUT * 1000 - 1000);
  } finally {
    await hole.close();
  }
});

test('a host that never answers: the default timeout is at most 10 s', async () => {
  const hole = await blackHole();
  try {
    const out = outDir();
    const run = await runInProcess(analyzeJob, [
      '--db',
      `postgres://postgres:x@127.0.0.1:${hole.port}/postgres`,
      '--out',
      out,
    ]);
    expectBadInput(run, /no answer from the server \(connect timeout\)/, /firewall/);
    expect(hole.accepted()).toBe(1);
    expect(DEFAULT_CONNECT_TIMEOUT).toBe(10);
    expect(jobDuration(out)).toBeGreaterThanOrEqual(9_900);
    // Generous, yet below what a missing default gives: postgres.js's own 30 s, or no bound at all.
    expect(jobDuration(out)).toBeLessThan(2 * DEFAULT_CONNECT_TIMEOUT * 1000);
  } finally {
    await hole.close();
  }
});

test('an --out that cannot be written', async () => {
  const file = path.join(outDir(), 'plain-file');
  writeFileSync(file, '');
  const run = await runInProcess(analyzeJob, ['--db', db.url, '--out', path.join(file, 'sub')]);
  expectBadInput(run, /--out .* is not writable \(ENOTDIR\)/, /--out/);
});

test('an unknown flag', async () => {
  const out = outDir();
  const run = await runInProcess(analyzeJob, ['--db', db.url, '--tables', 'x', '--out', out]);
  expectBadInput(run, /^error: unknown flag --tables$/, /--help for the flags it takes/);
  expectOnlyErrorArtifact(out);
});

test('a bad --connect-timeout', async () => {
  expectBadInput(
    await runInProcess(analyzeJob, ['--db', db.url, '--connect-timeout', 'soon']),
    /--connect-timeout soon/,
    /--connect-timeout 10/,
  );
});

test('--help prints usage with an example and exits 0', async () => {
  const out = path.join(outDir(), 'unused');
  const run = await runInProcess(analyzeJob, ['--help', '--out', out]);
  expect(run.code).toBe(0);
  expect(run.stdout).toContain('usage: npx tsx scripts/analyze.ts');
  expect(run.stdout).toContain('npm run analyze -- --db dev');
  expect(existsSync(out)).toBe(false);
});
