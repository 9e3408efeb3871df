// The runner's contract, exercised with small pure jobs (no database involved).

import { existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { InputError, InputErrors, JobError, readFlags } from '../../scripts/lib/base/errors.ts';
import { withDotEnv } from '../../scripts/lib/cli/env-file.ts';
import { type Job, runJob, usage } from '../../scripts/lib/jobs/runner.ts';
import { capture } from '../helpers/run-script.ts';
import { readKeyValues } from '../helpers/workflow/replay.ts';

interface EchoOptions {
  word: string;
  mode: string;
}
interface EchoResult {
  word: string;
  ok: boolean;
}

const echoJob: Job<EchoOptions, EchoResult> = {
  name: 'echo',
  description: 'Echoes a word.',
  examples: ['npm run echo -- --word hi'],
  flags: {
    word: { type: 'string', value: '<word>', description: 'what to echo' },
    mode: { type: 'string', value: '<mode>', description: 'ok, fail, input, job, detail, crash' },
  },
  parse(flags) {
    if (typeof flags.word !== 'string') throw new InputError('--word is required', 'pass --word something');
    return { word: flags.word, mode: typeof flags.mode === 'string' ? flags.mode : 'ok' };
  },
  async run(ctx, o) {
    ctx.log.info(`echoing ${o.word}`);
    if (o.mode === 'job') throw new JobError('the echo chamber is closed', 'open it');
    if (o.mode === 'detail') {
      throw new JobError('the echo chamber is closed', 'open it', {
        detail: { 'the room': 'a|b', statement: 'say `hi`', line: 3 },
      });
    }
    if (o.mode === 'crash') throw new TypeError('boom');
    return { word: o.word, ok: o.mode !== 'fail' };
  },
  render: (r) => `## echo\n\n${r.word}\n`,
  verdict: (r) => ({
    ok: r.ok,
    headline: `echoed ${r.word}`,
    problems: r.ok ? [] : ['it failed'],
    warnings: [],
  }),
  outputs: (r) => ({ word: r.word }),
};

const tmp = () => mkdtempSync(path.join(os.tmpdir(), 'envsync-runner-'));
const env = { ENVSYNC_ENV_FILE: 'none' };

describe('runJob', () => {
  test('success: exit 0, <job>.json and summary.md written', async () => {
    const dir = tmp();
    const c = capture();
    expect(await runJob(echoJob, ['--word', 'hi', '--out', dir], env, c.io)).toBe(0);
    const record = JSON.parse(readFileSync(path.join(dir, 'echo.json'), 'utf8'));
    expect(record).toMatchObject({
      job: 'echo',
      status: 'ok',
      exitCode: 0,
      result: { word: 'hi', ok: true },
    });
    expect(readFileSync(path.join(dir, 'summary.md'), 'utf8')).toBe('## echo\n\nhi\n');
    expect(c.out).toContain('echoing hi');
    expect(c.out).toContain('ok: echoed hi');
  });

  test('verdict items placed in a file print as file:line:col: message', async () => {
    const job: Job<EchoOptions, EchoResult> = {
      ...echoJob,
      verdict: (r) => ({
        ...echoJob.verdict(r),
        problems: [{ message: 'drops a table', file: 'db/1_a.sql', line: 3, column: 5 }],
        warnings: [{ message: 'about the file', file: 'db/2_b.sql' }],
      }),
    };
    const c = capture();
    expect(await runJob(job, ['--word', 'x', '--mode', 'fail', '--out', tmp()], env, c.io)).toBe(1);
    expect(c.err).toEqual(['failed: echoed x', '  - db/1_a.sql:3:5: drops a table']);
    expect(c.out).toContain('warning: db/2_b.sql: about the file');
  });

  test('a failed verdict: exit 1, status failed, the problems on stderr', async () => {
    const dir = tmp();
    const c = capture();
    expect(await runJob(echoJob, ['--word', 'x', '--mode', 'fail', '--out', dir], env, c.io)).toBe(1);
    expect(JSON.parse(readFileSync(path.join(dir, 'echo.json'), 'utf8')).status).toBe('failed');
    expect(c.err).toEqual(['failed: echoed x', '  - it failed']);
  });

  test('bad input: exit 2, one error line and one hint line, no stack', async () => {
    const c = capture();
    const dir = tmp();
    expect(await runJob(echoJob, ['--out', dir], env, c.io)).toBe(2);
    expect(c.err).toEqual(['error: --word is required', 'hint: pass --word something']);
    expect(JSON.parse(readFileSync(path.join(dir, 'echo.json'), 'utf8'))).toMatchObject({
      status: 'error',
      exitCode: 2,
      error: { message: '--word is required' },
    });
  });

  test('an unknown flag is bad input', async () => {
    const c = capture();
    expect(await runJob(echoJob, ['--word', 'a', '--bogus', '--out', tmp()], env, c.io)).toBe(2);
    expect(c.err[0]).toBe('error: unknown flag --bogus');
    expect(c.err[1]).toBe('hint: see npm run echo -- --help for the flags it takes');
  });

  test('a stray positional argument is bad input', async () => {
    const c = capture();
    expect(await runJob(echoJob, ['--word', 'a', 'extra', '--out', tmp()], env, c.io)).toBe(2);
    expect(c.err[0]).toBe("error: unexpected argument 'extra'");
  });

  test('a JobError is exit 1 with its own message and hint', async () => {
    const c = capture();
    expect(await runJob(echoJob, ['--word', 'a', '--mode', 'job', '--out', tmp()], env, c.io)).toBe(1);
    expect(c.err).toEqual(['error: the echo chamber is closed', 'hint: open it']);
  });

  test('an unexpected error is exit 1 without a stack unless --verbose', async () => {
    const quiet = capture();
    expect(await runJob(echoJob, ['--word', 'a', '--mode', 'crash', '--out', tmp()], env, quiet.io)).toBe(1);
    expect(quiet.err).toHaveLength(2);
    expect(quiet.err[0]).toBe('error: unexpected error: boom');
    const loud = capture();
    await runJob(echoJob, ['--word', 'a', '--mode', 'crash', '--verbose', '--out', tmp()], env, loud.io);
    expect(loud.err.join('\n')).toMatch(/TypeError: boom\n\s+at /);
  });

  test('--out that cannot be created is bad input', async () => {
    const file = path.join(tmp(), 'a-file');
    writeFileSync(file, 'x');
    const c = capture();
    expect(await runJob(echoJob, ['--word', 'a', '--out', path.join(file, 'sub')], env, c.io)).toBe(2);
    expect(c.err[0]).toMatch(/^error: --out .*sub is not writable \(ENOTDIR\)$/);
  });

  test('--help prints usage with an example and exits 0 without writing anything', async () => {
    const c = capture();
    const dir = path.join(tmp(), 'never');
    expect(await runJob(echoJob, ['--help', '--out', dir], env, c.io)).toBe(0);
    expect(c.out.join('\n')).toBe(usage(echoJob as Job<unknown, unknown>));
    expect(c.out.join('\n')).toContain('npm run echo -- --word hi');
    expect(existsSync(dir)).toBe(false);
  });

  test('secrets from the environment never reach output or artifacts', async () => {
    const dir = tmp();
    const c = capture();
    const secretEnv = { ...env, DEV_DATABASE_URL: 'postgres://u:Very-Secret-9@h/db' };
    await runJob(echoJob, ['--word', 'Very-Secret-9', '--out', dir], secretEnv, c.io);
    const everything = [
      ...c.out,
      ...c.err,
      readFileSync(path.join(dir, 'echo.json'), 'utf8'),
      readFileSync(path.join(dir, 'summary.md'), 'utf8'),
    ].join('\n');
    expect(everything).not.toContain('Very-Secret-9');
    expect(everything).toContain('***');
  });

  test('a URL misplaced as a positional argument is masked in the error', async () => {
    const c = capture();
    expect(
      await runJob(echoJob, ['--word', 'a', 'postgres://u:Positional-Pw-1@h/db', '--out', tmp()], env, c.io),
    ).toBe(2);
    expect(c.err[0]).toBe("error: unexpected argument '***'");
    expect(c.err.join('\n')).not.toContain('Positional-Pw-1');
  });

  test('a plain http(s) URL on the command line stays readable; one with credentials or a query is masked', async () => {
    for (const [word, shown] of [
      ['https://github.com/o/r/actions/runs/1', true],
      ['https://u:Http-Pw-4@h.example/health', false],
      ['https://h.example/health?token=Query-Tok-5', false],
      ['postgres://u:Pg-Pw-6@h/db?sslmode=require', false],
    ] as const) {
      const c = capture();
      expect(await runJob(echoJob, [`--word=${word}`, '--out', tmp()], env, c.io)).toBe(0);
      const printed = c.out.join('\n');
      if (shown) expect(printed).toContain(`echoing ${word}`);
      else expect(printed).toMatch(/echoing \S*\*\*\*/);
      for (const secret of ['Http-Pw-4', 'Query-Tok-5', 'Pg-Pw-6']) expect(printed).not.toContain(secret);
    }
  });

  test('a password that only .env holds is masked like one from the real environment', async () => {
    const dir = tmp();
    const envFile = path.join(dir, '.env');
    writeFileSync(envFile, 'DEV_DATABASE_URL=postgres://u:from-file-pw@h/db\nOTHER_TOKEN=abcdefgh\n');
    const c = capture();
    await runJob(echoJob, ['--word', 'from-file-pw', '--out', dir], { ENVSYNC_ENV_FILE: envFile }, c.io);
    expect(c.out.join('\n')).not.toContain('from-file-pw');
  });

  test('.env is read under the real environment, which wins', () => {
    const envFile = path.join(tmp(), '.env');
    writeFileSync(
      envFile,
      'DEV_DATABASE_URL=postgres://u:file@h/db\nSTAGING_DATABASE_URL=postgres://u:file@h/s\n',
    );
    const env = withDotEnv({ ENVSYNC_ENV_FILE: envFile, DEV_DATABASE_URL: 'postgres://u:real@h/db' });
    expect(env.DEV_DATABASE_URL).toBe('postgres://u:real@h/db');
    expect(env.STAGING_DATABASE_URL).toBe('postgres://u:file@h/s');
    expect(withDotEnv({ ENVSYNC_ENV_FILE: 'none' }).DEV_DATABASE_URL).toBeUndefined();
  });

  test('every bad flag at once: unknown flags, a missing value, and what parse says of the rest', async () => {
    const c = capture();
    expect(await runJob(echoJob, ['--bogus', '--other', 'x', '--out', tmp(), '--mode'], env, c.io)).toBe(2);
    expect(c.err).toEqual([
      'error: unknown flags --bogus, --other; --mode needs a value; --word is required',
      'hint: see npm run echo -- --help for the flags it takes; give it as --mode <mode>, or --mode=<value> for a value that starts with -; pass --word something',
    ]);
  });

  test('a flag where a value should be, and a value given to a switch', async () => {
    const c = capture();
    expect(await runJob(echoJob, ['--word', '--mode', 'ok', '--verbose=yes'], env, c.io)).toBe(2);
    expect(c.err[0]).toBe(
      'error: --word needs a value (--mode is a flag); --verbose takes no value; --word is required',
    );
  });

  test('--help with a bad flag is still bad input, reported without what the job lacks', async () => {
    const c = capture();
    expect(await runJob(echoJob, ['--help', '--bogus'], env, c.io)).toBe(2);
    expect(c.err[0]).toBe('error: unknown flag --bogus');
  });
});

describe('runJob: what an error or a lost out dir leaves behind', () => {
  test("an error's record and summary.md carry its detail; the console only the line and the hint", async () => {
    const dir = tmp();
    const c = capture();
    expect(await runJob(echoJob, ['--word', 'a', '--mode', 'detail', '--out', dir], env, c.io)).toBe(1);
    expect(c.err).toEqual(['error: the echo chamber is closed', 'hint: open it']);
    expect(JSON.parse(readFileSync(path.join(dir, 'echo.json'), 'utf8'))).toMatchObject({
      job: 'echo',
      status: 'error',
      exitCode: 1,
      error: {
        message: 'the echo chamber is closed',
        hint: 'open it',
        detail: { 'the room': 'a|b', statement: 'say `hi`', line: 3 },
      },
    });
    expect(readFileSync(path.join(dir, 'summary.md'), 'utf8')).toBe(
      "## echo: error\n\n**the echo chamber is closed**\n\nHow to fix: open it\n\n- the room: `a|b`\n- statement: `say 'hi'`\n- line: `3`\n",
    );
  });

  test('artifacts that cannot be written after the job ran: what it did, then the error, exit 1', async () => {
    const dir = tmp();
    // The core runs, then its out dir is gone (a file in its place): the record cannot be written.
    const clobbering: Job<EchoOptions, EchoResult> = {
      ...echoJob,
      async run(ctx, o) {
        rmSync(dir, { recursive: true });
        writeFileSync(dir, 'x');
        return echoJob.run(ctx, o);
      },
    };
    const c = capture();
    expect(await runJob(clobbering, ['--word', 'hi', '--out', dir], env, c.io)).toBe(1);
    expect(c.err).toHaveLength(3);
    expect(c.err[0]).toBe('done: echoed hi');
    expect(c.err[1]).toMatch(/^error: echo finished, but its artifacts could not be written: ENOTDIR/);
    expect(c.err[2]).toBe(`hint: make ${dir} writable; what the job did stands (see the line above)`);
    expect(c.out).not.toContainEqual(expect.stringMatching(/^ok:/));
  });
});

describe('runJob in GitHub Actions', () => {
  // @actions/core remembers the first step summary file it wrote to: one for all these tests.
  const stepSummaryFile = path.join(tmp(), 'step-summary');

  /**
   * Runs a job with GITHUB_ACTIONS=true, the step summary and outputs as emptied files (which
   * @actions/core reads from process.env), and the runner's workflow commands captured.
   */
  async function inActions(job: Job<EchoOptions, EchoResult>, argv: string[], extraEnv = {}) {
    const dir = tmp();
    const files = { GITHUB_STEP_SUMMARY: stepSummaryFile, GITHUB_OUTPUT: path.join(dir, 'output') };
    for (const f of Object.values(files)) writeFileSync(f, '');
    const saved = {
      GITHUB_STEP_SUMMARY: process.env.GITHUB_STEP_SUMMARY,
      GITHUB_OUTPUT: process.env.GITHUB_OUTPUT,
    };
    Object.assign(process.env, files);
    const commands: string[] = [];
    const write = process.stdout.write;
    process.stdout.write = ((chunk: string | Uint8Array) => {
      commands.push(String(chunk));
      return true;
    }) as typeof process.stdout.write;
    const c = capture();
    try {
      const code = await runJob(
        job,
        [...argv, '--out', path.join(dir, 'out')],
        { ...env, GITHUB_ACTIONS: 'true', ...extraEnv },
        c.io,
      );
      return {
        code,
        ...c,
        commands: commands.join(''),
        stepSummary: readFileSync(files.GITHUB_STEP_SUMMARY, 'utf8'),
        outputs: readKeyValues(files.GITHUB_OUTPUT),
      };
    } finally {
      process.stdout.write = write;
      for (const [key, value] of Object.entries(saved)) {
        if (value === undefined) Reflect.deleteProperty(process.env, key);
        else process.env[key] = value;
      }
    }
  }

  const warning: Job<EchoOptions, EchoResult> = {
    ...echoJob,
    verdict: (r) => ({ ...echoJob.verdict(r), warnings: ['look at it'] }),
  };

  test('success: the step summary, status outputs, warnings as annotations, secrets registered', async () => {
    const secretEnv = { DEV_DATABASE_URL: 'postgres://u:Act-Secret-7@h/db' };
    const r = await inActions(warning, ['--word', 'Act-Secret-7'], secretEnv);
    expect(r.code).toBe(0);
    expect(r.stepSummary).toBe('## echo\n\n***\n\n');
    expect(r.outputs).toMatchObject({ status: 'ok', headline: 'echoed ***', word: '***' });
    expect(r.outputs.elapsed_ms).toMatch(/^\d+$/);
    expect(r.commands).toContain('::add-mask::Act-Secret-7');
    expect(r.commands).toContain('::warning::look at it');
    expect(r.out).toContain('ok: echoed ***');
    expect(r.out).not.toContain('warning: look at it');
    expect([...r.out, ...r.err, r.stepSummary, JSON.stringify(r.outputs)].join('\n')).not.toContain(
      'Act-Secret-7',
    );
  });

  test('a failed verdict: its problems as error annotations, status failed', async () => {
    const r = await inActions(echoJob, ['--word', 'x', '--mode', 'fail']);
    expect(r.code).toBe(1);
    expect(r.outputs).toMatchObject({ status: 'failed', headline: 'echoed x', word: 'x' });
    expect(r.commands).toContain('::error::it failed');
    expect(r.err).toEqual(['failed: echoed x', '  - it failed']);
  });

  const placed: Job<EchoOptions, EchoResult> = {
    ...echoJob,
    verdict: (r) => ({
      ...echoJob.verdict(r),
      problems: r.ok
        ? []
        : [{ message: 'drops a table', file: 'db/1_a.sql', line: 3, column: 5, title: 'lint: drop' }],
      warnings: [{ message: 'locks a table', file: 'db/2_b.sql', line: 7 }, 'look at it'],
    }),
  };

  test('a verdict item placed in a file: an annotation on its file, line and column', async () => {
    const r = await inActions(placed, ['--word', 'x', '--mode', 'fail']);
    expect(r.code).toBe(1);
    expect(r.commands).toContain('::error title=lint%3A drop,file=db/1_a.sql,line=3,col=5::drops a table');
    expect(r.commands).toContain('::warning file=db/2_b.sql,line=7::locks a table');
    expect(r.commands).toContain('::warning::look at it');
    expect(r.err).toEqual(['failed: echoed x', '  - db/1_a.sql:3:5: drops a table']);
  });

  test('an error: one annotation, the error summary, status outputs', async () => {
    const r = await inActions(echoJob, ['--word', 'x', '--mode', 'job']);
    expect(r.code).toBe(1);
    expect(r.commands).toContain('::error title=envsync echo::the echo chamber is closed — open it');
    expect(r.stepSummary).toBe('## echo: error\n\n**the echo chamber is closed**\n\nHow to fix: open it\n\n');
    expect(r.outputs).toMatchObject({ status: 'error', headline: 'the echo chamber is closed' });
    expect(r.outputs.elapsed_ms).toMatch(/^\d+$/);
  });

  test('publishing to Actions that fails is a warning, never the exit code', async () => {
    const noOutputs: Job<EchoOptions, EchoResult> = {
      ...echoJob,
      outputs: () => {
        throw new Error('no outputs today');
      },
    };
    const r = await inActions(noOutputs, ['--word', 'hi']);
    expect(r.code).toBe(0);
    expect(r.err).toEqual([
      'warning: could not write the step summary and outputs for GitHub Actions: no outputs today',
    ]);
    expect(r.out).toContain('ok: echoed hi');
  });
});

describe('readFlags', () => {
  const positive = (name: string, v: string) => {
    const n = Number(v);
    if (!(n > 0)) throw new InputError(`--${name} ${v} is not positive`, `use e.g. --${name} 1`);
    return n;
  };

  test('returns every value when all are good', () => {
    expect(readFlags({ a: () => positive('a', '1'), b: () => 'x' })).toEqual({ a: 1, b: 'x' });
  });

  test('reports every bad one at once, InputErrors flattened', () => {
    let caught: unknown;
    try {
      readFlags({
        a: () => positive('a', '0'),
        b: () => 'fine',
        c: () => {
          throw new InputErrors([new InputError('--c one', 'h1'), new InputError('--c two', 'h1')]);
        },
      });
    } catch (error) {
      caught = error;
    }
    expect(caught).toBeInstanceOf(InputErrors);
    expect((caught as InputErrors).problems.map((p) => p.message)).toEqual([
      '--a 0 is not positive',
      '--c one',
      '--c two',
    ]);
    expect((caught as InputErrors).hint).toBe('use e.g. --a 1; h1');
  });

  test('one bad value is that InputError itself; anything else is not swallowed', () => {
    expect(() => readFlags({ a: () => positive('a', '-1') })).toThrow(
      new InputError('--a -1 is not positive', 'use e.g. --a 1'),
    );
    expect(() =>
      readFlags({
        a: () => positive('a', '0'),
        b: () => {
          throw new TypeError('a bug');
        },
      }),
    ).toThrow(TypeError);
  });
});
