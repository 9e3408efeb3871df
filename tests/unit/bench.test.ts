// `npm run bench` answers --help and bad flags as every job does, through the runner, before
// anything is started: no cluster, no pg_dump, nothing timed.
import { existsSync, mkdtempSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import type { ParsedFlags } from '../../scripts/lib/base/flags.ts';
import { benchJob } from '../../scripts/lib/jobs/bench.ts';
import { type Job, usage } from '../../scripts/lib/jobs/runner.ts';
import { runScript } from '../helpers/run-script.ts';

const tmp = () => mkdtempSync(path.join(os.tmpdir(), 'envsync-bench-flags-'));

test('--help prints the usage with an example, exit 0, nothing written', async () => {
  const out = path.join(tmp(), 'never');
  const run = await runScript('bench', ['--help', '--out', out]);
  expect(run.code).toBe(0);
  expect(run.stderr).toBe('');
  expect(run.stdout.trimEnd()).toBe(usage(benchJob as Job<unknown, unknown>));
  expect(run.stdout).toContain('usage: npx tsx scripts/bench.ts [flags]   (or npm run bench -- [flags])');
  expect(run.stdout).toContain('npm run bench -- --runs 3 --datasets pgbench --pgbench-scale 10');
  expect(existsSync(out)).toBe(false);
});

test('an unknown flag: the one line naming it and pointing at --help, exit 2', async () => {
  const run = await runScript('bench', ['--bogus']);
  expect(run).toMatchObject({
    code: 2,
    stdout: '',
    stderr: 'error: unknown flag --bogus\nhint: see npm run bench -- --help for the flags it takes\n',
  });
});

test('a bad value: one line, exit 2, and every bad flag at once', async () => {
  const one = await runScript('bench', ['--runs', 'zero']);
  expect(one).toMatchObject({
    code: 2,
    stdout: '',
    stderr: 'error: --runs zero is not a whole number from 1 to 100\nhint: use e.g. --runs 5\n',
  });
  const out = tmp();
  const all = await runScript('bench', ['--datasets', 'pgbench,tpcc', '--demo-scale', '0', '--out', out]);
  expect(all.code).toBe(2);
  expect(all.stderr.trimEnd().split('\n')).toEqual([
    'error: --datasets has no data set tpcc; --demo-scale 0 is not a whole number from 1 to 1000',
    'hint: choose from pgbench, demo, e.g. --datasets pgbench; use e.g. --demo-scale 100',
  ]);
  // As for every job: the error is the record, nothing else is written.
  expect(existsSync(path.join(out, 'bench.json'))).toBe(true);
  expect(existsSync(path.join(out, 'summary.md'))).toBe(true);
});

describe('parse', () => {
  const parse = (flags: ParsedFlags) => benchJob.parse(flags, {});

  test('the defaults are the documented bench: both data sets, 5 runs, scales 50 and 100', () => {
    expect(parse({})).toEqual({
      runs: 5,
      datasets: ['pgbench', 'demo'],
      pgbenchScale: 50,
      demoScale: 100,
      env: {},
    });
  });

  test('a data set list is trimmed and deduplicated', () => {
    expect(parse({ datasets: ' demo, pgbench,demo' }).datasets).toEqual(['demo', 'pgbench']);
  });

  test.each([
    [{ runs: '1.5' }, '--runs 1.5 is not a whole number from 1 to 100'],
    [{ runs: '' }, '--runs  is not a whole number from 1 to 100'],
    [{ 'pgbench-scale': '0' }, '--pgbench-scale 0 is not a whole number from 1 to 10000'],
    [{ datasets: ',' }, '--datasets is empty'],
  ])('%j is refused', (flags, message) => {
    expect(() => parse(flags)).toThrow(message);
  });
});
