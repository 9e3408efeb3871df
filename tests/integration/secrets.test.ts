// A run's logs, summaries, artifacts and GitHub Actions files never hold the password.
import { mkdtempSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { cleanEnv, runScript } from '../helpers/run-script.ts';
import { closeAll, supabaseDatabase, type TestDatabase, withUrl } from '../helpers/supabase-db.ts';

let db: TestDatabase;
beforeAll(async () => {
  db = await supabaseDatabase({ scale: 1 });
});
afterAll(closeAll);

function artifactsText(dir: string): string {
  return readdirSync(dir)
    .map((f) => readFileSync(path.join(dir, f), 'utf8'))
    .join('\n');
}

test('given by environment name: the password is nowhere in stdout, stderr, analyze.json or summary.md', async () => {
  const out = mkdtempSync(path.join(os.tmpdir(), 'envsync-secret-'));
  const run = await runScript(
    'analyze',
    ['--db', 'dev', '--out', out, '--verbose'],
    cleanEnv({ DEV_DATABASE_URL: db.url }),
  );
  expect(run.code).toBe(0);
  const everything = [run.stdout, run.stderr, artifactsText(out)].join('\n');
  expect(everything).toContain(db.display);
  expect(everything).not.toContain(db.password);
  expect(everything).not.toContain(encodeURIComponent(db.password));
});

test('.env is read under the real environment, which wins; its password is masked too', async () => {
  const envFile = path.join(mkdtempSync(path.join(os.tmpdir(), 'envsync-dotenv-')), '.env');
  // The file's URL has a wrong password: a run that uses it fails authentication.
  writeFileSync(envFile, `DEV_DATABASE_URL=${withUrl(db.url, { password: 'From-Dotenv-Pw-3' })}\n`);
  const out = () => mkdtempSync(path.join(os.tmpdir(), 'envsync-secret-'));
  // The file alone: its URL is the one used (the variable is set nowhere else).
  const fileOnly = out();
  const fromFile = await runScript(
    'analyze',
    ['--db', 'dev', '--out', fileOnly],
    cleanEnv({ ENVSYNC_ENV_FILE: envFile }),
  );
  expect(fromFile.code).toBe(2);
  expect(fromFile.stderr).toMatch(/^error: .*password authentication failed/m);
  expect(fromFile.stderr).toMatch(/^hint: check the password in DEV_DATABASE_URL/m);
  expect([fromFile.stdout, fromFile.stderr, artifactsText(fileOnly)].join('\n')).not.toContain(
    'From-Dotenv-Pw-3',
  );
  // The same variable in the real environment too: the real one is used.
  const both = out();
  const real = await runScript(
    'analyze',
    ['--db', 'dev', '--out', both],
    cleanEnv({ ENVSYNC_ENV_FILE: envFile, DEV_DATABASE_URL: db.url }),
  );
  expect(real.stderr).toBe('');
  expect(real.code).toBe(0);
  expect([real.stdout, artifactsText(both)].join('\n')).toContain(db.display);
});

test('given as a URL flag: the password is nowhere either', async () => {
  const out = mkdtempSync(path.join(os.tmpdir(), 'envsync-secret-'));
  const run = await runScript('analyze', ['--db', db.url, '--out', out]);
  expect(run.code).toBe(0);
  expect([run.stdout, run.stderr, artifactsText(out)].join('\n')).not.toContain(db.password);
});

test('in GitHub Actions: step summary, outputs and annotations carry no password; it is masked first', async () => {
  const out = mkdtempSync(path.join(os.tmpdir(), 'envsync-secret-'));
  const summaryFile = path.join(out, 'step-summary.md');
  const outputFile = path.join(out, 'github-output.txt');
  writeFileSync(summaryFile, '');
  writeFileSync(outputFile, '');
  const run = await runScript(
    'analyze',
    ['--db', 'dev', '--out', path.join(out, 'artifacts')],
    cleanEnv({
      DEV_DATABASE_URL: db.url,
      GITHUB_ACTIONS: 'true',
      GITHUB_STEP_SUMMARY: summaryFile,
      GITHUB_OUTPUT: outputFile,
    }),
  );
  expect(run.code).toBe(0);
  const stepSummary = readFileSync(summaryFile, 'utf8');
  expect(stepSummary).toContain('## envsync analyze');
  expect(stepSummary).toContain('| Tables | 20 | 12 |');
  const outputs = readFileSync(outputFile, 'utf8');
  expect(outputs).toMatch(/tables<<ghadelimiter_[\w-]+\n20\n/);
  expect(outputs).toMatch(/status<<ghadelimiter_[\w-]+\nok\n/);
  // Every job also says what happened and how long it took, for the run's overview.
  expect(outputs).toMatch(/headline<<ghadelimiter_[\w-]+\n\d+ app tables, .*\n/);
  expect(outputs).toMatch(/elapsed_ms<<ghadelimiter_[\w-]+\n\d+\n/);
  // Attention items become warning annotations.
  expect(run.stdout).toMatch(/^::warning::FK cycle public\.staff_users ↔ public\.tenant_registry/m);
  // The only place the password may appear is the ::add-mask:: command, which the runner consumes.
  const lines = run.stdout.split('\n').filter((l) => l.includes(db.password));
  expect(lines.length).toBeGreaterThan(0);
  for (const l of lines) expect(l.startsWith('::add-mask::')).toBe(true);
  const firstMask = run.stdout.indexOf('::add-mask::');
  expect(firstMask).toBeLessThan(run.stdout.indexOf('analyze postgres://'));
  expect(
    [stepSummary, outputs, run.stderr, artifactsText(path.join(out, 'artifacts'))].join('\n'),
  ).not.toContain(db.password);
});

test('in GitHub Actions, a failure becomes an error annotation and the summary still says what happened', async () => {
  const out = mkdtempSync(path.join(os.tmpdir(), 'envsync-secret-'));
  const summaryFile = path.join(out, 'step-summary.md');
  writeFileSync(summaryFile, '');
  const wrong = withUrl(db.url, { password: 'Another-Wrong-Pw-9' });
  const run = await runScript(
    'analyze',
    ['--db', 'staging', '--out', path.join(out, 'artifacts')],
    cleanEnv({
      STAGING_DATABASE_URL: wrong,
      GITHUB_ACTIONS: 'true',
      GITHUB_STEP_SUMMARY: summaryFile,
      GITHUB_OUTPUT: path.join(out, 'missing-output-file'),
    }),
  );
  expect(run.code).toBe(2);
  expect(run.stdout).toMatch(
    /^::error title=envsync analyze::--db postgres:\/\/postgres@127\.0\.0\.1:\d+\/\w+: password authentication failed/m,
  );
  expect(readFileSync(path.join(out, 'artifacts', 'summary.md'), 'utf8')).toContain(
    'password authentication failed',
  );
  expect(readFileSync(summaryFile, 'utf8')).toContain('## analyze: error');
  // A missing GITHUB_OUTPUT file is reported, and does not change the exit code.
  expect(run.stderr).toContain('warning: could not write the status outputs for GitHub Actions');
  const nonMask = run.stdout.split('\n').filter((l) => !l.startsWith('::add-mask::'));
  expect([...nonMask, run.stderr].join('\n')).not.toContain('Another-Wrong-Pw-9');
});
