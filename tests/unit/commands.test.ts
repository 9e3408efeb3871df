// Every command is a thin shell over the one runner, so every command answers --help and bad
// flags the same way: usage and exit 0; `error: unknown flag --x`, a hint pointing at --help,
// exit 2. Run in-process: nothing here connects to a database or starts a cluster.

import { readdirSync, readFileSync } from 'node:fs';
import path from 'node:path';
import { repoRoot } from '../../scripts/lib/cli/env-file.ts';
import { type Job, runJob, usage } from '../../scripts/lib/jobs/runner.ts';
import { capture } from '../helpers/run-script.ts';

const scriptsDir = path.join(repoRoot, 'scripts');
const shells = readdirSync(scriptsDir)
  .filter((f) => f.endsWith('.ts'))
  .sort();
const packageScripts = JSON.parse(readFileSync(path.join(repoRoot, 'package.json'), 'utf8'))
  .scripts as Record<string, string>;

/** `import { xJob } from './lib/jobs/x.ts'` … `process.exitCode = await runJob(xJob, process.argv.slice(2));` */
const SHELL =
  /^import \{ (\w+Job) \} from '\.\/lib\/jobs\/([\w-]+)\.ts';$[\s\S]*^process\.exitCode = await runJob\(\1, process\.argv\.slice\(2\)\);\s*$/m;

async function jobOf(shell: string): Promise<Job<unknown, unknown>> {
  const text = readFileSync(path.join(scriptsDir, shell), 'utf8');
  const m = SHELL.exec(text);
  if (!m) throw new Error(`scripts/${shell} does not hand its argv to runJob`);
  const mod = (await import(path.join(repoRoot, 'scripts/lib/jobs', `${m[2]}.ts`))) as Record<
    string,
    unknown
  >;
  return mod[m[1]!] as Job<unknown, unknown>;
}

const env = { ENVSYNC_ENV_FILE: 'none' };

test('the shells are all there, bench included', () => {
  expect(shells).toEqual(
    expect.arrayContaining(['analyze.ts', 'bench.ts', 'demo.ts', 'report.ts', 'run-pipeline.ts', 'seed.ts']),
  );
});

describe.each(shells)('scripts/%s', (shell) => {
  test('is a thin shell: its argv goes to runJob, nothing else runs', async () => {
    const text = readFileSync(path.join(scriptsDir, shell), 'utf8');
    expect(text).toMatch(SHELL);
    // Nothing but comments, the two imports and the one line.
    const code = text.split('\n').filter((l) => l.trim() && !l.startsWith('//'));
    expect(code).toHaveLength(3);
  });

  test('its job is named after it, and npm runs it', async () => {
    const job = await jobOf(shell);
    expect(`${job.name}.ts`).toBe(shell);
    expect(packageScripts[job.npmScript ?? job.name]).toBe(`node --import tsx scripts/${shell}`);
  });

  test('--help: the usage with an example, exit 0', async () => {
    const job = await jobOf(shell);
    const c = capture();
    expect(await runJob(job, ['--help'], env, c.io)).toBe(0);
    expect(c.out.join('\n')).toBe(usage(job));
    expect(job.examples.length).toBeGreaterThan(0);
    expect(c.err).toEqual([]);
  });

  test('--bogus: `error: unknown flag --bogus` first, a hint pointing at --help, exit 2', async () => {
    const job = await jobOf(shell);
    const c = capture();
    expect(await runJob(job, ['--bogus'], env, c.io)).toBe(2);
    expect(c.out).toEqual([]);
    expect(c.err).toHaveLength(2);
    // Whatever else is wrong (a required flag missing) follows on the same line.
    expect(c.err[0]).toMatch(/^error: unknown flag --bogus(;|$)/);
    expect(c.err[1]).toMatch(
      new RegExp(`^hint: see npm run ${job.npmScript ?? job.name} -- --help for the flags it takes`),
    );
  });
});

// Every bad flag at once: a person fixes the command line in one go, not one error per run.
test.each([
  ['analyze', ['--connect-timeout', 'soon'], ['--db is required', '--connect-timeout soon']],
  [
    'sync',
    ['--lock-timeout', 'x', '--platform-tables', 'auth.users'],
    ['--source is required', '--target is required', '--lock-timeout'],
  ],
  ['prepare', ['--source', 'dev', '--connect-timeout', '0'], ['--target is required', '--connect-timeout 0']],
  [
    'validate',
    ['--connect-timeout', '301'],
    ['--source is required', '--target is required', '--connect-timeout 301'],
  ],
  ['backup', ['--connect-timeout', 'x'], ['--db is required', '--connect-timeout x']],
  [
    'health-check',
    ['--url', 'mailto:ops', '--url', 'nope', '--timeout', 'x'],
    ['--db is required', '--url mailto:ops, nope', '--timeout'],
  ],
  [
    'seed',
    ['--scale', '0', '--connect-timeout', 'x'],
    ['--db is required', '--scale', '--connect-timeout x'],
  ],
  [
    'rollback',
    ['--connect-timeout', 'x'],
    ['--target is required', '--from is required', '--connect-timeout x'],
  ],
  ['mark-production', ['--connect-timeout', 'x'], ['--db is required', '--connect-timeout x']],
])('%s names every bad flag in one error line (exit 2)', async (name, args, problems) => {
  const job = await jobOf(`${name}.ts`);
  const c = capture();
  expect(await runJob(job, args, env, c.io)).toBe(2);
  const line = c.err[0]!;
  expect(line).toMatch(/^error: /);
  for (const p of problems) expect(line).toContain(p);
});
