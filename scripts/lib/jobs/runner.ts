// The one job runner: flags → validated options → core → `<job>.json` + `summary.md`,
// GitHub Actions step summary/outputs/annotations/masking, and the exit code.

import { accessSync, constants, mkdirSync, renameSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { parseArgs } from 'node:util';
import * as core from '@actions/core';
import { EnvsyncError, type ExitCode, InputError, InputErrors, inputProblems } from '../base/errors.ts';
import type { FlagSpec, ParsedFlags } from '../base/flags.ts';
import { SecretMask } from '../base/secret-mask.ts';
import { withDotEnv } from '../cli/env-file.ts';
import { environmentSecrets, urlSecrets } from '../db/url.ts';
import type { JobRecord } from '../results/job-record.ts';

export interface Logger {
  info(line: string): void;
  warn(line: string): void;
}

export interface JobContext {
  log: Logger;
  now: () => Date;
}

export interface JobVerdict {
  ok: boolean;
  /** One line for people: what happened. */
  headline: string;
  /** Why it failed (annotations as errors). */
  problems: string[];
  /** What needs attention without failing (annotations as warnings). */
  warnings: string[];
}

export interface Job<Options, Result> {
  name: string;
  /** The npm script, when it cannot be the job's name (npm reserves `prepare`). */
  npmScript?: string;
  description: string;
  examples: string[];
  flags: Record<string, FlagSpec>;
  /** Untrusted flags and environment → validated options; throws InputError(s). */
  parse(flags: ParsedFlags, env: NodeJS.ProcessEnv): Options;
  run(ctx: JobContext, options: Options): Promise<Result>;
  render(result: Result): string;
  verdict(result: Result): JobVerdict;
  outputs(result: Result): Record<string, string | number | boolean>;
}

export interface RunnerIO {
  stdout: (line: string) => void;
  stderr: (line: string) => void;
}

const processIO: RunnerIO = {
  stdout: (line) => process.stdout.write(`${line}\n`),
  stderr: (line) => process.stderr.write(`${line}\n`),
};

export const commonFlags: Record<string, FlagSpec> = {
  out: {
    type: 'string',
    value: '<dir>',
    description: 'where <job>.json and summary.md go (default artifacts/<job>/)',
  },
  verbose: { type: 'boolean', description: 'print stack traces of unexpected errors' },
  help: { type: 'boolean', description: 'print this help' },
};

export function usage(job: Job<unknown, unknown>): string {
  const flags = { ...job.flags, ...commonFlags };
  const width = Math.max(...Object.entries(flags).map(([n, f]) => n.length + (f.value?.length ?? 0) + 3));
  const lines = Object.entries(flags).map(([name, f]) => {
    const left = `--${name}${f.value ? ` ${f.value}` : ''}`;
    return `  ${left.padEnd(width)}  ${f.description}`;
  });
  return [
    `usage: npx tsx scripts/${job.name}.ts [flags]   (or npm run ${job.npmScript ?? job.name} -- [flags])`,
    '',
    job.description,
    '',
    'flags:',
    ...lines,
    '',
    'examples:',
    ...job.examples.map((e) => `  ${e}`),
    '',
    'exit codes: 0 done and verified, 1 the job ran and failed, 2 bad input or configuration',
  ].join('\n');
}

/** Runs a job as a script does; returns the exit code. */
export async function runJob<O, R>(
  job: Job<O, R>,
  argv: string[],
  rawEnv: NodeJS.ProcessEnv = process.env,
  io: RunnerIO = processIO,
): Promise<ExitCode> {
  const startedAt = new Date();
  const env = withDotEnv(rawEnv);
  const inActions = env.GITHUB_ACTIONS === 'true';
  const mask = new SecretMask();
  const masked = new Set<string>();
  /** In Actions, every secret is registered with the runner before anything is printed. */
  const addSecrets = (values: string[]) => {
    mask.add(values);
    if (!inActions) return;
    for (const s of mask.values) {
      if (!masked.has(s)) core.setSecret(s);
      masked.add(s);
    }
  };
  addSecrets(environmentSecrets(env));
  // A URL anywhere on the command line (even a misplaced one) is masked before any message,
  // unless it is a plain http(s) address: no credentials, no query (a health or run URL).
  addSecrets(
    argv.flatMap((a) => {
      const value = a.startsWith('--') ? a.slice(a.indexOf('=') + 1) : a;
      return a.includes('://') && !/^https?:\/\/[^/@?]+(\/[^@?]*)?$/.test(value) ? urlSecrets(value) : [];
    }),
  );

  const say = (line: string) => io.stdout(mask.apply(line));
  const log: Logger = {
    info: say,
    warn: (line) => say(`warning: ${line}`),
  };
  let outDir: string | undefined;
  /** Where artifacts go once the flags are read; created only when something is written. */
  let outPath: string | undefined;
  let verbose = argv.includes('--verbose');
  // Publishing to Actions is a report, never a reason for the job itself to fail.
  const toActions = async (what: string, publish: () => unknown): Promise<void> => {
    if (!inActions) return;
    try {
      await publish();
    } catch (error) {
      io.stderr(
        mask.apply(`warning: could not write the ${what} for GitHub Actions: ${(error as Error).message}`),
      );
    }
  };

  const finish = (record: JobRecord<R>, markdown: string): void => {
    if (!outDir && outPath) outDir = prepareOutDir(outPath);
    if (!outDir) return;
    writeArtifact(path.join(outDir, `${job.name}.json`), mask.apply(`${JSON.stringify(record, null, 2)}\n`));
    writeArtifact(path.join(outDir, 'summary.md'), mask.apply(markdown));
  };

  outPath = rawOutFlag(argv);
  try {
    const flags = parseFlags(job as Job<unknown, unknown>, argv, env);
    verbose = flags.verbose === true;
    if (flags.help) {
      io.stdout(usage(job as Job<unknown, unknown>));
      return 0;
    }
    outPath = typeof flags.out === 'string' ? flags.out : path.join('artifacts', job.name);
    const options = job.parse(flags, env);
    // Anything the options carry that looks like a URL secret is masked too.
    addSecrets(collectSecrets(options));
    outDir = prepareOutDir(outPath);

    // Masked as data before anything renders or serialises it: escaping cannot hide a secret.
    const result = mask.deep(await job.run({ log, now: () => new Date() }, options));
    const verdict = job.verdict(result);
    const exitCode: ExitCode = verdict.ok ? 0 : 1;
    const finishedAt = new Date();
    const markdown = job.render(result);
    try {
      finish(
        {
          job: job.name,
          status: verdict.ok ? 'ok' : 'failed',
          exitCode,
          startedAt: startedAt.toISOString(),
          finishedAt: finishedAt.toISOString(),
          durationMs: finishedAt.getTime() - startedAt.getTime(),
          result,
        },
        markdown,
      );
    } catch (error) {
      // The job itself is done (a sync committed): say what it did, then that the record is missing.
      io.stderr(mask.apply(`${verdict.ok ? 'done' : 'failed'}: ${verdict.headline}`));
      io.stderr(
        mask.apply(
          `error: ${job.name} finished, but its artifacts could not be written: ${(error as Error).message}`,
        ),
      );
      io.stderr(
        mask.apply(`hint: make ${outDir ?? outPath} writable; what the job did stands (see the line above)`),
      );
      return 1;
    }
    await toActions('step summary and outputs', () =>
      publishToActions(
        mask.apply(markdown),
        { ...job.outputs(result), elapsed_ms: finishedAt.getTime() - startedAt.getTime() },
        verdict,
        mask,
      ),
    );
    const line = `${verdict.ok ? 'ok' : 'failed'}: ${verdict.headline}`;
    if (verdict.ok) say(line);
    else io.stderr(mask.apply(line));
    for (const p of verdict.problems) io.stderr(mask.apply(`  - ${p}`));
    // On Actions the warnings are annotations; here they are lines.
    if (!inActions) for (const w of verdict.warnings) say(`warning: ${w}`);
    if (outDir)
      say(`artifacts: ${path.join(outDir, `${job.name}.json`)}, ${path.join(outDir, 'summary.md')}`);
    return exitCode;
  } catch (error) {
    const known = error instanceof EnvsyncError;
    const exitCode: ExitCode = known ? error.exitCode : 1;
    const message = mask.apply(
      known ? error.message : `unexpected error: ${(error as Error)?.message ?? String(error)}`,
    );
    const hint = mask.apply(
      known ? error.hint : 'rerun with --verbose for the stack trace, and report it if it persists',
    );
    io.stderr(mask.apply(`error: ${message}`));
    io.stderr(mask.apply(`hint: ${hint}`));
    if (verbose && error instanceof Error && error.stack) io.stderr(mask.apply(error.stack));
    const detail = known && error.detail ? mask.deep(error.detail) : undefined;
    const finishedAt = new Date();
    const detailMarkdown = detail
      ? `\n${Object.entries(detail)
          .map(([k, v]) => `- ${escapeMarkdown(k)}: \`${String(v).replace(/`/g, "'")}\``)
          .join('\n')}\n`
      : '';
    const errorMarkdown = `## ${job.name}: error\n\n**${escapeMarkdown(message)}**\n\nHow to fix: ${escapeMarkdown(hint)}\n${detailMarkdown}`;
    try {
      finish(
        {
          job: job.name,
          status: 'error',
          exitCode,
          startedAt: startedAt.toISOString(),
          finishedAt: finishedAt.toISOString(),
          durationMs: finishedAt.getTime() - startedAt.getTime(),
          error: { message, hint, ...(detail ? { detail } : {}) },
        },
        errorMarkdown,
      );
    } catch {
      // The artifact is optional for errors; the one-line error above is what counts.
    }
    await toActions('error annotation', () =>
      core.error(mask.apply(`${message} — ${hint}`), { title: `envsync ${job.name}` }),
    );
    await toActions('step summary', async () => {
      if (process.env.GITHUB_STEP_SUMMARY) await core.summary.addRaw(mask.apply(errorMarkdown), true).write();
    });
    await toActions('status outputs', () => {
      core.setOutput('status', 'error');
      core.setOutput('headline', mask.apply(message));
      core.setOutput('elapsed_ms', finishedAt.getTime() - startedAt.getTime());
    });
    return exitCode;
  }
}

function parseFlags(job: Job<unknown, unknown>, argv: string[], env: NodeJS.ProcessEnv): ParsedFlags {
  const spec = { ...job.flags, ...commonFlags };
  let strictError: Error | undefined;
  try {
    const { values, positionals } = parseArgs({
      args: argv,
      options: Object.fromEntries(
        Object.entries(spec).map(([name, f]) => [name, { type: f.type, multiple: f.multiple ?? false }]),
      ),
      strict: true,
      allowPositionals: true,
    });
    if (positionals.length === 0) return values as ParsedFlags;
  } catch (error) {
    strictError = error as Error;
  }
  // Every bad flag at once, with what the job makes of the flags that could be read.
  const script = job.npmScript ?? job.name;
  const { values, problems } = readArgv(spec, argv, script);
  if (problems.length === 0) {
    // node's parseArgs refused something readArgv let through: its own words, then.
    const raw = strictError?.message.split('\n')[0] ?? 'invalid flags';
    throw new InputError(raw.replace(/\.$/, ''), `see npm run ${script} -- --help for the flags it takes`);
  }
  // Asked for help: the flags' own problems are enough, not what the job lacks.
  if (values.help !== true) {
    try {
      job.parse(values, env);
    } catch (parseError) {
      problems.push(...inputProblems(parseError));
    }
  }
  throw problems.length === 1 ? problems[0]! : new InputErrors(problems);
}

/**
 * The flags as GNU long options, without stopping at the first problem: unknown flags, a
 * string flag without its value, a value given to a switch, stray arguments. (node's
 * parseArgs stops at the first, and words it for positionals, which no job takes.)
 */
function readArgv(
  spec: Record<string, FlagSpec>,
  argv: string[],
  script: string,
): { values: ParsedFlags; problems: InputError[] } {
  const help = `see npm run ${script} -- --help for the flags it takes`;
  const values: Record<string, unknown> = {};
  const problems: InputError[] = [];
  const unknown: string[] = [];
  const stray = (arg: string) =>
    problems.push(
      new InputError(
        `unexpected argument '${arg}'`,
        `flags are long GNU style (--name value); see npm run ${script} -- --help`,
      ),
    );
  const set = (name: string, f: FlagSpec, value: string | boolean) => {
    if (f.multiple) values[name] = [...((values[name] as unknown[] | undefined) ?? []), value];
    else values[name] = value;
  };
  for (let i = 0; i < argv.length; i++) {
    const arg = argv[i]!;
    if (arg === '--') {
      argv.slice(i + 1).forEach(stray);
      break;
    }
    if (!arg.startsWith('-') || arg === '-') {
      stray(arg);
      continue;
    }
    const eq = arg.indexOf('=');
    const raw = eq < 0 ? arg : arg.slice(0, eq);
    const name = raw.startsWith('--') ? raw.slice(2) : '';
    const f = Object.hasOwn(spec, name) ? spec[name] : undefined;
    const next = argv[i + 1];
    if (!f) {
      if (!unknown.includes(raw)) unknown.push(raw);
      // `--tables x`: x was meant as its value, not an argument of its own.
      if (eq < 0 && next !== undefined && !next.startsWith('-')) i++;
      continue;
    }
    if (f.type === 'boolean') {
      if (eq >= 0) problems.push(new InputError(`${raw} takes no value`, help));
      else set(name, f, true);
      continue;
    }
    if (eq >= 0) set(name, f, arg.slice(eq + 1));
    else if (next === undefined || next.startsWith('-')) {
      problems.push(
        new InputError(
          `${raw} needs a value${next === undefined ? '' : ` (${next} is a flag)`}`,
          `give it as ${raw} ${f.value ?? '<value>'}, or ${raw}=<value> for a value that starts with -`,
        ),
      );
    } else {
      set(name, f, next);
      i++;
    }
  }
  if (unknown.length) {
    problems.unshift(
      new InputError(`unknown flag${unknown.length > 1 ? 's' : ''} ${unknown.join(', ')}`, help),
    );
  }
  return { values: values as ParsedFlags, problems };
}

/** `--out DIR` / `--out=DIR` read without validating the other flags (for the error artifact). */
function rawOutFlag(argv: string[]): string | undefined {
  const i = argv.indexOf('--out');
  if (i >= 0 && argv[i + 1] && !argv[i + 1]!.startsWith('--')) return argv[i + 1];
  return argv.find((a) => a.startsWith('--out='))?.slice('--out='.length);
}

function prepareOutDir(dir: string): string {
  const resolved = path.resolve(dir);
  try {
    mkdirSync(resolved, { recursive: true });
    accessSync(resolved, constants.W_OK);
  } catch (error) {
    throw new InputError(
      `--out ${dir} is not writable (${(error as NodeJS.ErrnoException).code ?? 'error'})`,
      'choose a directory you can write to with --out',
    );
  }
  return resolved;
}

function writeArtifact(file: string, text: string): void {
  const tmp = `${file}.tmp-${process.pid}`;
  writeFileSync(tmp, text);
  renameSync(tmp, file);
}

function collectSecrets(value: unknown, out: string[] = []): string[] {
  if (value && typeof value === 'object') {
    const v = value as Record<string, unknown>;
    if (Array.isArray(v.secrets)) out.push(...(v.secrets as string[]));
    for (const child of Object.values(v)) if (child && typeof child === 'object') collectSecrets(child, out);
  }
  return out;
}

async function publishToActions(
  markdown: string,
  outputs: Record<string, string | number | boolean>,
  verdict: JobVerdict,
  mask: SecretMask,
): Promise<void> {
  // core.summary.write() throws without GITHUB_STEP_SUMMARY: only write when it is set.
  if (process.env.GITHUB_STEP_SUMMARY) await core.summary.addRaw(markdown, true).write();
  // Every job: status, headline and elapsed_ms, so a later job can report the run (nothing secret).
  core.setOutput('status', verdict.ok ? 'ok' : 'failed');
  core.setOutput('headline', mask.apply(verdict.headline));
  for (const [key, value] of Object.entries(outputs)) core.setOutput(key, mask.apply(String(value)));
  for (const p of verdict.problems) core.error(mask.apply(p));
  for (const w of verdict.warnings) core.warning(mask.apply(w));
}

export function escapeMarkdown(text: string): string {
  return text.replace(/([|*_`<>[\]])/g, '\\$1');
}
