// The one job runner: flags → validated options → core → `<job>.json` + `summary.md`,
// GitHub Actions step summary/outputs/annotations/masking, and the exit code.

import { accessSync, constants, mkdirSync, renameSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { parseArgs } from 'node:util';
import * as core from '@actions/core';
import {
  EnvsyncError,
  type ErrorDetail,
  type ExitCode,
  InputError,
  InputErrors,
  inputProblems,
} from '../base/errors.ts';
import type { FlagSpec, ParsedFlags } from '../base/flags.ts';
import { SecretMask } from '../base/secret-mask.ts';
import { withDotEnv } from '../cli/env-file.ts';
import { rowSecurityRefusal } from '../db/checksum.ts';
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
  problems: VerdictItem[];
  /** What needs attention without failing (annotations as warnings). */
  warnings: VerdictItem[];
}

/** A verdict line; one placed in a file is annotated on that file and line in GitHub Actions. */
export type VerdictItem = string | PlacedItem;

export interface PlacedItem {
  message: string;
  /** A path from the repository root. */
  file: string;
  line?: number;
  column?: number;
  /** The annotation's title (e.g. a lint rule). */
  title?: string;
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
  const run = startRun(job, argv, rawEnv, io);
  try {
    const flags = readRunFlags(run, argv);
    if (flags.help) {
      io.stdout(usage(job as Job<unknown, unknown>));
      return 0;
    }
    const options = readOptions(run, flags);
    const outcome = judge(run, await runCore(run, options));
    try {
      writeRecordAndSummary(run, outcomeRecord(run, outcome), outcome.markdown);
    } catch (error) {
      return reportUnwrittenArtifacts(run, outcome.verdict, error);
    }
    await publishOutcome(run, outcome);
    printVerdict(run, outcome.verdict);
    return outcome.exitCode;
  } catch (error) {
    return await reportError(run, error);
  }
}

/** One run of a job: where it prints, what it masks, and where its artifacts go once that is known. */
interface JobRun<O, R> {
  readonly job: Job<O, R>;
  readonly env: NodeJS.ProcessEnv;
  readonly io: RunnerIO;
  readonly inActions: boolean;
  readonly mask: SecretMask;
  readonly startedAt: Date;
  /** A line on stdout, masked. */
  readonly say: (line: string) => void;
  /** A line on stderr, masked. */
  readonly sayError: (line: string) => void;
  /** Masks more secrets (and registers them with the Actions runner) before anything prints them. */
  readonly addSecrets: (values: string[]) => void;
  /** Where artifacts go once the flags are read; created only when something is written. */
  outPath: string | undefined;
  outDir: string | undefined;
  /** Stack traces for unexpected errors: `--verbose` as argv has it, until the flags are read. */
  verbose: boolean;
}

/** What a core that ran to the end leaves: its masked result, the verdict on it, its summary. */
interface Outcome<R> {
  result: R;
  verdict: JobVerdict;
  exitCode: ExitCode;
  finishedAt: Date;
  markdown: string;
}

/** An error as the runner reports it: the exit code, one masked line, its hint, the artifact's detail. */
interface ErrorReport {
  exitCode: ExitCode;
  message: string;
  hint: string;
  detail: ErrorDetail | undefined;
}

/** A run whose secrets (from the environment and the command line) are masked before anything prints. */
function startRun<O, R>(
  job: Job<O, R>,
  argv: string[],
  rawEnv: NodeJS.ProcessEnv,
  io: RunnerIO,
): JobRun<O, R> {
  const startedAt = new Date();
  const env = withDotEnv(rawEnv);
  const inActions = env.GITHUB_ACTIONS === 'true';
  const mask = new SecretMask();
  const run: JobRun<O, R> = {
    job,
    env,
    io,
    inActions,
    mask,
    startedAt,
    say: (line) => io.stdout(mask.apply(line)),
    sayError: (line) => io.stderr(mask.apply(line)),
    addSecrets: secretRegistrar(mask, inActions),
    outPath: rawOutFlag(argv),
    outDir: undefined,
    verbose: argv.includes('--verbose'),
  };
  run.addSecrets(environmentSecrets(env));
  run.addSecrets(commandLineSecrets(argv));
  return run;
}

/** In Actions, every secret is registered with the runner (once) before anything is printed. */
function secretRegistrar(mask: SecretMask, inActions: boolean): (values: string[]) => void {
  const registered = new Set<string>();
  return (values) => {
    mask.add(values);
    if (!inActions) return;
    for (const s of mask.values) {
      if (!registered.has(s)) core.setSecret(s);
      registered.add(s);
    }
  };
}

/**
 * A URL anywhere on the command line (even a misplaced one) is masked before any message,
 * unless it is a plain http(s) address: no credentials, no query (a health or run URL).
 */
function commandLineSecrets(argv: string[]): string[] {
  return argv.flatMap((a) => {
    const value = a.startsWith('--') ? a.slice(a.indexOf('=') + 1) : a;
    return a.includes('://') && !/^https?:\/\/[^/@?]+(\/[^@?]*)?$/.test(value) ? urlSecrets(value) : [];
  });
}

/** The flags, every bad one reported at once; from here on `--verbose` is the parsed one. */
function readRunFlags(run: JobRun<unknown, unknown>, argv: string[]): ParsedFlags {
  const flags = parseFlags(run.job as Job<unknown, unknown>, argv, run.env);
  run.verbose = flags.verbose === true;
  return flags;
}

/** Flags → the job's validated options, with their secrets masked and the out dir ready. */
function readOptions<O>(run: JobRun<O, unknown>, flags: ParsedFlags): O {
  run.outPath = typeof flags.out === 'string' ? flags.out : path.join('artifacts', run.job.name);
  const options = run.job.parse(flags, run.env);
  // Anything the options carry that looks like a URL secret is masked too.
  run.addSecrets(collectSecrets(options));
  run.outDir = prepareOutDir(run.outPath);
  return options;
}

/** The core, with the run's logger and clock; its result comes back masked. */
async function runCore<O, R>(run: JobRun<O, R>, options: O): Promise<R> {
  const log: Logger = {
    info: run.say,
    warn: (line) => run.say(`warning: ${line}`),
  };
  // Masked as data before anything renders or serialises it: escaping cannot hide a secret.
  return run.mask.deep(await run.job.run({ log, now: () => new Date() }, options));
}

/** The job's verdict on its result, the exit code it means, and the summary it renders. */
function judge<R>(run: JobRun<unknown, R>, result: R): Outcome<R> {
  const verdict = run.job.verdict(result);
  const finishedAt = new Date();
  return { result, verdict, exitCode: verdict.ok ? 0 : 1, finishedAt, markdown: run.job.render(result) };
}

function outcomeRecord<R>(run: JobRun<unknown, R>, outcome: Outcome<R>): JobRecord<R> {
  const status = outcome.verdict.ok ? 'ok' : 'failed';
  return jobRecord(run, status, outcome.exitCode, outcome.finishedAt, { result: outcome.result });
}

/** The `<job>.json` envelope: status, exit code and timings, then the result or the error. */
function jobRecord<R>(
  run: JobRun<unknown, R>,
  status: JobRecord<R>['status'],
  exitCode: ExitCode,
  finishedAt: Date,
  body: Pick<JobRecord<R>, 'result'> | Pick<JobRecord<R>, 'error'>,
): JobRecord<R> {
  return {
    job: run.job.name,
    status,
    exitCode,
    startedAt: run.startedAt.toISOString(),
    finishedAt: finishedAt.toISOString(),
    durationMs: elapsedMs(run, finishedAt),
    ...body,
  };
}

function elapsedMs(run: JobRun<unknown, unknown>, finishedAt: Date): number {
  return finishedAt.getTime() - run.startedAt.getTime();
}

/** `<job>.json` and `summary.md`, masked; an error before the out dir was ready creates it now. */
function writeRecordAndSummary<R>(run: JobRun<unknown, R>, record: JobRecord<R>, markdown: string): void {
  if (!run.outDir && run.outPath) run.outDir = prepareOutDir(run.outPath);
  if (!run.outDir) return;
  const json = `${JSON.stringify(record, null, 2)}\n`;
  writeArtifact(path.join(run.outDir, `${run.job.name}.json`), run.mask.apply(json));
  writeArtifact(path.join(run.outDir, 'summary.md'), run.mask.apply(markdown));
}

/** The job itself is done (a sync committed): say what it did, then that the record is missing. */
function reportUnwrittenArtifacts(
  run: JobRun<unknown, unknown>,
  verdict: JobVerdict,
  error: unknown,
): ExitCode {
  run.sayError(`${verdict.ok ? 'done' : 'failed'}: ${verdict.headline}`);
  run.sayError(
    `error: ${run.job.name} finished, but its artifacts could not be written: ${(error as Error).message}`,
  );
  run.sayError(
    `hint: make ${run.outDir ?? run.outPath} writable; what the job did stands (see the line above)`,
  );
  return 1;
}

async function publishOutcome<R>(run: JobRun<unknown, R>, outcome: Outcome<R>): Promise<void> {
  const { result, verdict, markdown, finishedAt } = outcome;
  await toActions(run, 'step summary and outputs', () =>
    publishToActions(
      run.mask.apply(markdown),
      { ...run.job.outputs(result), elapsed_ms: elapsedMs(run, finishedAt) },
      verdict,
      run.mask,
    ),
  );
}

/** The verdict as lines: ok on stdout, a failure and its problems on stderr, then where the artifacts are. */
function printVerdict(run: JobRun<unknown, unknown>, verdict: JobVerdict): void {
  const line = `${verdict.ok ? 'ok' : 'failed'}: ${verdict.headline}`;
  if (verdict.ok) run.say(line);
  else run.sayError(line);
  for (const p of verdict.problems) run.sayError(`  - ${itemLine(p)}`);
  // On Actions the warnings are annotations; here they are lines.
  if (!run.inActions) for (const w of verdict.warnings) run.say(`warning: ${itemLine(w)}`);
  if (run.outDir) {
    const name = run.job.name;
    run.say(`artifacts: ${path.join(run.outDir, `${name}.json`)}, ${path.join(run.outDir, 'summary.md')}`);
  }
}

/** The one-line error and its hint; then, as far as they can be written, its record, summary and outputs. */
async function reportError(run: JobRun<unknown, unknown>, error: unknown): Promise<ExitCode> {
  const report = describeError(error, run.mask);
  run.sayError(`error: ${report.message}`);
  run.sayError(`hint: ${report.hint}`);
  if (run.verbose && error instanceof Error && error.stack) run.sayError(error.stack);
  const finishedAt = new Date();
  const markdown = errorMarkdown(run.job.name, report);
  try {
    const { message, hint, detail } = report;
    const body = { error: { message, hint, ...(detail ? { detail } : {}) } };
    writeRecordAndSummary(run, jobRecord(run, 'error', report.exitCode, finishedAt, body), markdown);
  } catch {
    // The artifact is optional for errors; the one-line error above is what counts.
  }
  await publishError(run, report, markdown, finishedAt);
  return report.exitCode;
}

/** Our errors keep their exit code, message and hint; anything else is a bug (exit 1, see --verbose). */
function describeError(thrown: unknown, mask: SecretMask): ErrorReport {
  const error = rowSecurityRefusal(thrown) ?? thrown;
  const known = error instanceof EnvsyncError;
  return {
    exitCode: known ? error.exitCode : 1,
    message: mask.apply(
      known ? error.message : `unexpected error: ${(error as Error)?.message ?? String(error)}`,
    ),
    hint: mask.apply(
      known ? error.hint : 'rerun with --verbose for the stack trace, and report it if it persists',
    ),
    detail: known && error.detail ? mask.deep(error.detail) : undefined,
  };
}

function errorMarkdown(jobName: string, { message, hint, detail }: ErrorReport): string {
  const detailMarkdown = detail
    ? `\n${Object.entries(detail)
        .map(([k, v]) => `- ${escapeMarkdown(k)}: \`${String(v).replace(/`/g, "'")}\``)
        .join('\n')}\n`
    : '';
  return `## ${jobName}: error\n\n**${escapeMarkdown(message)}**\n\nHow to fix: ${escapeMarkdown(hint)}\n${detailMarkdown}`;
}

/** In Actions: the error as an annotation, the step summary, and the status outputs a later job reads. */
async function publishError(
  run: JobRun<unknown, unknown>,
  { message, hint }: ErrorReport,
  markdown: string,
  finishedAt: Date,
): Promise<void> {
  const { mask } = run;
  await toActions(run, 'error annotation', () =>
    core.error(mask.apply(`${message} — ${hint}`), { title: `envsync ${run.job.name}` }),
  );
  await toActions(run, 'step summary', async () => {
    if (process.env.GITHUB_STEP_SUMMARY) await core.summary.addRaw(mask.apply(markdown), true).write();
  });
  await toActions(run, 'status outputs', () => {
    core.setOutput('status', 'error');
    core.setOutput('headline', mask.apply(message));
    core.setOutput('elapsed_ms', elapsedMs(run, finishedAt));
  });
}

// Publishing to Actions is a report, never a reason for the job itself to fail.
async function toActions(run: JobRun<unknown, unknown>, what: string, publish: () => unknown): Promise<void> {
  if (!run.inActions) return;
  try {
    await publish();
  } catch (error) {
    run.sayError(`warning: could not write the ${what} for GitHub Actions: ${(error as Error).message}`);
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
  for (const p of verdict.problems) core.error(...annotation(p, mask));
  for (const w of verdict.warnings) core.warning(...annotation(w, mask));
}

/** `file:line:column: message` for a placed item, as compilers print it. */
function itemLine(item: VerdictItem): string {
  if (typeof item === 'string') return item;
  const place = [item.file, item.line, item.line && item.column].filter(Boolean).join(':');
  return `${place}: ${item.message}`;
}

/** An item as @actions/core's message and properties: a placed one on its file and line. */
function annotation(item: VerdictItem, mask: SecretMask): [string, core.AnnotationProperties] {
  if (typeof item === 'string') return [mask.apply(item), {}];
  const { message, file, line, column, title } = item;
  return [
    mask.apply(message),
    {
      file,
      ...(line ? { startLine: line } : {}),
      ...(line && column ? { startColumn: column } : {}),
      ...(title ? { title: mask.apply(title) } : {}),
    },
  ];
}

export function escapeMarkdown(text: string): string {
  return text.replace(/([|*_`<>[\]])/g, '\\$1');
}
