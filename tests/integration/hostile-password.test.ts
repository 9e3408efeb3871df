// A password made of every character escaping changes (Markdown, JSON, URLs, shells) never
// appears — raw, escaped or percent-encoded — in anything any job prints or writes: stdout,
// stderr, every artifact, the GitHub step summary and outputs. Every job that connects runs
// with it, the way CI does (GITHUB_ACTIONS=true), successes and failures alike.
import { mkdirSync, readdirSync, readFileSync, statSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { dir } from '../helpers/backups.ts';
import { cleanEnv, runScript, type ScriptRun } from '../helpers/run-script.ts';
import { closeAll, supabaseDatabase, type TestDatabase, withUrl } from '../helpers/supabase-db.ts';

const HOSTILE = 'p_w*\'"\\%@:/`$|x #&?=+;~^';
const forms = [
  HOSTILE,
  encodeURIComponent(HOSTILE),
  JSON.stringify(HOSTILE).slice(1, -1),
  HOSTILE.replace(/([\\|*_`<>[\]])/g, '\\$1'),
];
// The hostile characters alone also appear in ordinary text; what must never appear is the
// password itself in any of its forms.

let dev: TestDatabase;
let staging: TestDatabase;
let named: TestDatabase;
let devUrl: string;
let stagingUrl: string;
beforeAll(async () => {
  [dev, staging, named] = await Promise.all([
    supabaseDatabase({ scale: 1 }),
    supabaseDatabase({ migrations: 3 }),
    supabaseDatabase({ migrations: false }),
  ]);
  // Here the password also names a table: analyze and validate print table names, in JSON and
  // Markdown, where escaping changes it — the mask must catch every form.
  const app = named.app();
  await app.unsafe(`create table public."${HOSTILE.replace(/"/g, '""')}" (id int primary key)`);
  await app.end();
  for (const db of [dev, staging, named]) {
    const su = db.superuser();
    await su.unsafe(`alter role postgres password '${HOSTILE.replace(/'/g, "''")}'`);
    await su.end();
  }
  devUrl = withUrl(dev.url, { password: HOSTILE });
  stagingUrl = withUrl(staging.url, { password: HOSTILE });
});
afterAll(closeAll);

/** Every file under `root`, as text. */
function filesText(root: string): string {
  const out: string[] = [];
  const walk = (d: string) => {
    for (const f of readdirSync(d)) {
      const p = path.join(d, f);
      if (statSync(p).isDirectory()) walk(p);
      else out.push(readFileSync(p).toString('latin1'), readFileSync(p, 'utf8'));
    }
  };
  walk(root);
  return out.join('\n');
}

/** What the runner writes: <job>.json, summary.md, the step summary and outputs (not data files). */
function reportsText(root: string): string {
  return [
    'step-summary.md',
    'github-output.txt',
    ...readdirSync(path.join(root, 'out')).map((f) => `out/${f}`),
  ]
    .filter((f) => /\.(json|md|txt)$/.test(f) && !/manifest|plan/.test(f))
    .map((f) => readFileSync(path.join(root, f), 'utf8'))
    .join('\n');
}

/** Runs a job as CI does, with its own step summary and output files under `root`. */
async function inActions(root: string, script: string, args: string[], extra: Record<string, string> = {}) {
  mkdirSync(root, { recursive: true });
  const summary = path.join(root, 'step-summary.md');
  const output = path.join(root, 'github-output.txt');
  writeFileSync(summary, '');
  writeFileSync(output, '');
  const run = await runScript(
    script,
    [...args, '--out', path.join(root, 'out')],
    cleanEnv({
      DEV_DATABASE_URL: devUrl,
      STAGING_DATABASE_URL: stagingUrl,
      BACKUP_ENCRYPTION_KEY: 'hostile-test-key-0123456789',
      GITHUB_ACTIONS: 'true',
      GITHUB_STEP_SUMMARY: summary,
      GITHUB_OUTPUT: output,
      ...extra,
    }),
  );
  return run;
}

function leaked(run: ScriptRun, root: string, files = true): string[] {
  // `::add-mask::` lines are the runner telling GitHub what to hide: GitHub consumes them.
  const stdout = run.stdout
    .split('\n')
    .filter((l) => !l.startsWith('::add-mask::'))
    .join('\n');
  const text = [stdout, run.stderr, files ? filesText(root) : reportsText(root)].join('\n');
  return forms.filter((f) => text.includes(f));
}

test('every job, success or failure, leaks no form of the password', async () => {
  const root = dir('hostile');
  const runs: [string, ScriptRun, number][] = [];
  const run = async (name: string, script: string, args: string[], expected: number, extra = {}) => {
    const r = await inActions(path.join(root, name), script, args, extra);
    runs.push([name, r, expected]);
    return r;
  };
  await run('analyze', 'analyze', ['--db', 'dev'], 0);
  await run('backup', 'backup', ['--db', 'dev'], 0);
  await run('prepare', 'prepare', ['--source', 'dev', '--target', 'staging'], 0);
  const plan = path.join(root, 'prepare', 'out');
  await run('sync', 'sync', ['--source', 'dev', '--target', 'staging', '--plan', plan], 0);
  await run('validate', 'validate', ['--source', 'dev', '--target', 'staging'], 0);
  await run('health-check', 'health-check', ['--db', 'staging'], 0);
  await run('rollback', 'rollback', ['--target', 'staging', '--from', path.join(plan, 'snapshot')], 0);
  await run('seed', 'seed', ['--db', 'staging'], 0);
  await run('mark-production', 'mark-production', ['--db', 'staging'], 0);
  await run('sync-refused', 'sync', ['--source', 'dev', '--target', 'staging'], 2); // now production
  await run('wrong-password', 'analyze', ['--db', 'dev'], 2, {
    DEV_DATABASE_URL: withUrl(dev.url, { password: `${HOSTILE}-wrong` }),
  });
  await run('pipeline', 'run-pipeline', ['--source', 'dev', '--target', 'staging', '--allow-production'], 0);
  for (const [name, r, expected] of runs) {
    expect({ name, code: r.code }).toEqual({ name, code: expected });
    expect({ name, leaked: leaked(r, path.join(root, name)) }).toEqual({ name, leaked: [] });
  }
});

test('a secret that reaches a summary or <job>.json as data is masked in every escaped form', async () => {
  const root = dir('hostile-named');
  const url = withUrl(named.url, { password: HOSTILE });
  const analyze = await inActions(path.join(root, 'analyze'), 'analyze', ['--db', 'named'], {
    NAMED_DATABASE_URL: url,
  });
  expect(analyze.code).toBe(0);
  expect(readFileSync(path.join(root, 'analyze', 'out', 'analyze.json'), 'utf8')).toContain('***');
  expect(leaked(analyze, path.join(root, 'analyze'), false)).toEqual([]);
});
