// A small local runner for a workflow file: jobs in `needs` order, `run:` steps through
// bash with the job's environment, `${{ }}` and `if:` evaluated by GitHub's expression
// library, artifacts as local folders, GITHUB_OUTPUT / GITHUB_ENV / GITHUB_STEP_SUMMARY
// as real files. Each job starts in a fresh workspace (the repository's files, no
// `artifacts/`), so a job sees only what it downloads, as on GitHub. Steps that only
// exist on GitHub (checkout, Node and PostgreSQL client set-up) are skipped and listed.

import { spawn } from 'node:child_process';
import {
  cpSync,
  existsSync,
  mkdirSync,
  readdirSync,
  readFileSync,
  rmSync,
  statSync,
  symlinkSync,
  writeFileSync,
} from 'node:fs';
import path from 'node:path';
import { SecretMask } from '../../../scripts/lib/base/secret-mask.ts';
import { type Contexts, condition, evaluateValue, interpolate } from './expressions.ts';
import {
  actionName,
  ancestorsOf,
  type InputSpec,
  jobOrder,
  loadWorkflow,
  needsOf,
  type Step,
  stepLabel,
  type Workflow,
  type WorkflowJob,
} from './workflow.ts';

/** Actions replaced by the replay's own set-up: the workspace is the repository, already installed. */
export const GITHUB_ONLY_ACTIONS = ['actions/checkout', 'actions/setup-node', './.github/actions/setup'];

/** Repository entries a job's workspace does not get: local state, not part of a checkout. */
const NOT_CHECKED_OUT = new Set(['.git', 'artifacts', '.scratch', '.env']);

export type ReplayedJobResult = 'success' | 'failure' | 'skipped';
type Outcome = 'success' | 'failure' | 'skipped';

export interface ReplayOptions {
  workflow: string;
  /** The repository root: what a checkout of the commit would hold (node_modules installed). */
  repo: string;
  /** Scratch directory: job workspaces, runner temp files, the artifact store. */
  root: string;
  eventName: 'workflow_dispatch' | 'workflow_call' | 'push';
  inputs?: Record<string, string | boolean | number>;
  secrets?: Record<string, string>;
  vars?: Record<string, string>;
  /** The runner machine's own environment (PATH, HOME, …). */
  env?: NodeJS.ProcessEnv;
  log?: (line: string) => void;
}

export interface StepReport {
  step: string;
  outcome: Outcome;
  /** Why a step did not run: its `if:` was false, or it exists only on GitHub. */
  skipped?: 'condition' | 'github-only';
}

export interface JobReport {
  id: string;
  result: ReplayedJobResult;
  environment: string | null;
  outputs: Record<string, string>;
  /** Everything the job's steps wrote to GITHUB_STEP_SUMMARY. */
  summary: string;
  steps: StepReport[];
  durationMs: number;
}

export interface ArtifactRecord {
  name: string;
  job: string;
  dir: string;
  retentionDays: number | null;
}

export interface ReplayReport {
  workflow: string;
  jobs: JobReport[];
  /** `job: action` for every step skipped because only GitHub has it. */
  githubOnly: string[];
  artifacts: ArtifactRecord[];
  log: string[];
  durationMs: number;
}

/** Replays a workflow's jobs in `needs` order; the report says what each job did, skipped and left behind. */
export async function replayWorkflow(options: ReplayOptions): Promise<ReplayReport> {
  const started = Date.now();
  const replay = startReplay(options);
  for (const id of jobOrder(replay.wf)) replay.results.set(id, await replayJob(replay, id));
  return {
    workflow: path.relative(options.repo, replay.wf.file),
    jobs: [...replay.results.values()],
    githubOnly: replay.githubOnly,
    artifacts: [...replay.artifacts.values()],
    log: replay.log,
    durationMs: Date.now() - started,
  };
}

/** The whole replay: what every job reads (inputs, secrets, the mask) and what the jobs have left so far. */
interface Replay {
  options: ReplayOptions;
  wf: Workflow;
  inputs: Record<string, unknown>;
  secrets: Record<string, string>;
  mask: SecretMask;
  /** A line of the replay's log, masked. */
  say: (line: string) => void;
  log: string[];
  /** Where uploaded artifacts are kept, one folder each. */
  store: string;
  artifacts: Map<string, ArtifactRecord>;
  results: Map<string, JobReport>;
  githubOnly: string[];
}

/** The `github` context of a job (the parts our workflows read). */
interface GithubContext {
  event_name: ReplayOptions['eventName'];
  event: { inputs: Record<string, unknown> };
  repository: string;
  server_url: string;
  run_id: string;
  run_number: string;
  run_attempt: string;
  job: string;
  ref_name: string;
  sha: string;
  actor: string;
  workspace: string;
}

type JobContexts = Contexts & { github: GithubContext };

/** A step's `steps.<id>` context. */
interface StepContext {
  outcome: Outcome;
  conclusion: Outcome;
  outputs: Record<string, string>;
}

/** A job as its steps run: where it runs, the contexts they read, and what they have left so far. */
interface RunningJob {
  id: string;
  /** The job as the workflow file has it. */
  spec: WorkflowJob;
  workspace: string;
  /** RUNNER_TEMP: the step scripts and their GITHUB_* files. */
  temp: string;
  /** When the job's timeout-minutes run out (ms since the epoch). */
  deadline: number;
  base: JobContexts;
  jobEnv: Record<string, string>;
  environment: string | null;
  /** A line of the replay's log, under the job's name. */
  say: (line: string) => void;
  /** What steps wrote to GITHUB_ENV: the env of the steps after them. */
  exported: Record<string, string>;
  steps: Record<string, StepContext>;
  reports: StepReport[];
  summary: string;
  failed: boolean;
}

/** The files GitHub gives each step, read back after it. */
interface StepFiles {
  GITHUB_OUTPUT: string;
  GITHUB_ENV: string;
  GITHUB_STEP_SUMMARY: string;
}

/** One step about to run: its contexts (with its own env) and its files. */
interface RunningStep {
  /** The step as the workflow file has it. */
  spec: Step;
  index: number;
  label: string;
  env: Record<string, string>;
  contexts: Contexts;
  files: StepFiles;
}

/** The workflow read, its inputs resolved, the secrets masked, an empty artifact store. */
function startReplay(options: ReplayOptions): Replay {
  const wf = loadWorkflow(options.workflow);
  const inputs = resolveInputs(wf, options.eventName, options.inputs ?? {});
  const secrets = options.secrets ?? {};
  const mask = new SecretMask();
  mask.add(Object.values(secrets).filter((s) => s.length >= 4));
  const log: string[] = [];
  const say = (line: string) => {
    const masked = mask.apply(line);
    log.push(masked);
    options.log?.(masked);
  };
  const store = path.join(options.root, 'artifacts');
  mkdirSync(store, { recursive: true });
  return {
    options,
    wf,
    inputs,
    secrets,
    mask,
    say,
    log,
    store,
    artifacts: new Map(),
    results: new Map(),
    githubOnly: [],
  };
}

/** One job: skipped if its `if:` is false, else its steps in a fresh workspace, then its outputs. */
async function replayJob(replay: Replay, id: string): Promise<JobReport> {
  const spec = replay.wf.jobs[id]!;
  if (spec.uses) throw new Error(`${id}: a job calling a reusable workflow (${spec.uses}) is not replayed`);
  const started = Date.now();
  // The job's `if:` is decided before it has a workspace.
  const contexts = jobContexts(replay, id, '');
  if (!condition(spec.if, contexts, jobStatus(replay.wf, id, replay.results))) {
    replay.say(`[${id}] skipped (if: ${String(spec.if ?? 'success()')})`);
    return skippedJob(id);
  }
  const job = startJob(replay, id, contexts, started);
  for (const [index, step] of (spec.steps ?? []).entries()) await replayStep(replay, job, step, index);
  const report: JobReport = {
    id,
    result: job.failed ? 'failure' : 'success',
    environment: job.environment,
    outputs: jobOutputs(job),
    summary: replay.mask.apply(job.summary),
    steps: job.reports,
    durationMs: Date.now() - started,
  };
  replay.say(`[${id}] ${report.result} (${(report.durationMs / 1000).toFixed(1)} s)`);
  return report;
}

/** What a job's expressions read: the run's contexts, and the results and outputs of the jobs it needs. */
function jobContexts(replay: Replay, id: string, workspace: string): JobContexts {
  const needs = Object.fromEntries(
    needsOf(replay.wf.jobs[id]!).map((n) => [
      n,
      { result: replay.results.get(n)!.result, outputs: replay.results.get(n)!.outputs },
    ]),
  );
  const github: GithubContext = {
    event_name: replay.options.eventName,
    event: { inputs: replay.inputs },
    repository: 'local/replay',
    server_url: 'https://github.com',
    run_id: '1',
    run_number: '1',
    run_attempt: '1',
    job: id,
    ref_name: 'replay',
    sha: 'replay',
    actor: 'replay',
    workspace,
  };
  return {
    github,
    inputs: replay.inputs,
    vars: replay.options.vars ?? {},
    secrets: replay.secrets,
    needs,
    matrix: {},
    strategy: {},
  };
}

function skippedJob(id: string): JobReport {
  return { id, result: 'skipped', environment: null, outputs: {}, summary: '', steps: [], durationMs: 0 };
}

/** A job about to run its steps: a fresh workspace and runner temp, its env and its environment. */
function startJob(replay: Replay, id: string, contexts: JobContexts, started: number): RunningJob {
  const spec = replay.wf.jobs[id]!;
  const jobDir = path.join(replay.options.root, 'jobs', id);
  rmSync(jobDir, { recursive: true, force: true });
  const workspace = checkout(replay.options.repo, path.join(jobDir, 'workspace'));
  const temp = path.join(jobDir, 'tmp');
  mkdirSync(temp, { recursive: true });
  const base: JobContexts = { ...contexts, github: { ...contexts.github, workspace } };
  const workflowEnv = evaluateMap(replay.wf.env, { ...base, env: {} });
  const jobEnv = { ...workflowEnv, ...evaluateMap(spec.env, { ...base, env: workflowEnv }) };
  const environment = environmentName(spec, { ...base, env: jobEnv });
  const say = (line: string) => replay.say(`[${id}] ${line}`);
  say(`start${environment ? ` (environment ${environment})` : ''}`);
  return {
    id,
    spec,
    workspace,
    temp,
    deadline: started + (spec['timeout-minutes'] ?? 360) * 60_000,
    base,
    jobEnv,
    environment,
    say,
    exported: {},
    steps: {},
    reports: [],
    summary: '',
    failed: false,
  };
}

/** `environment: name` or `environment: { name }`, evaluated; null for a job without one. */
function environmentName(spec: WorkflowJob, contexts: Contexts): string | null {
  if (!spec.environment) return null;
  const name = typeof spec.environment === 'string' ? spec.environment : spec.environment.name;
  return String(evaluateValue(name, contexts));
}

/**
 * One step, as the runner takes it: its `if:`, then GitHub-only actions skipped, artifact
 * actions against the store, `run:` through bash; what it leaves is read back after.
 */
async function replayStep(replay: Replay, job: RunningJob, spec: Step, index: number): Promise<void> {
  const label = stepLabel(spec);
  const contexts = stepContexts(job);
  if (!condition(spec.if, contexts, { success: !job.failed, failure: job.failed, cancelled: false })) {
    job.reports.push({ step: label, outcome: 'skipped', skipped: 'condition' });
    if (spec.id) job.steps[spec.id] = { outcome: 'skipped', conclusion: 'skipped', outputs: {} };
    return;
  }
  const action = spec.uses ? actionName(spec.uses) : null;
  if (action && GITHUB_ONLY_ACTIONS.includes(action)) {
    replay.githubOnly.push(`${job.id}: ${spec.uses}`);
    job.reports.push({ step: label, outcome: 'skipped', skipped: 'github-only' });
    return;
  }
  const env = { ...(contexts.env as Record<string, string>), ...evaluateMap(spec.env, contexts) };
  const step: RunningStep = {
    spec,
    index,
    label,
    env,
    contexts: { ...contexts, env },
    files: stepFiles(job.temp, index),
  };
  let ok: boolean;
  if (action === 'actions/upload-artifact' || action === 'actions/download-artifact') {
    ok = transferArtifact(replay, job, step, action);
  } else if (spec.uses) {
    throw new Error(`${job.id}: step “${label}” uses ${spec.uses}, which the replay cannot run`);
  } else {
    ok = await runScript(replay, job, step);
  }
  recordStep(job, step, ok);
}

/** What a step's expressions read: the job's contexts, the env so far, the steps before it. */
function stepContexts(job: RunningJob): Contexts {
  return {
    ...job.base,
    env: { ...job.jobEnv, ...job.exported },
    steps: job.steps,
    job: { status: job.failed ? 'failure' : 'success' },
    runner: { os: 'Linux', arch: 'X64', temp: job.temp },
  };
}

/** The step's GITHUB_OUTPUT, GITHUB_ENV and GITHUB_STEP_SUMMARY, created empty. */
function stepFiles(temp: string, index: number): StepFiles {
  const files = {
    GITHUB_OUTPUT: path.join(temp, `output-${index}`),
    GITHUB_ENV: path.join(temp, `env-${index}`),
    GITHUB_STEP_SUMMARY: path.join(temp, `summary-${index}`),
  };
  for (const f of Object.values(files)) writeFileSync(f, '');
  return files;
}

/** upload-artifact / download-artifact with the store; a failure fails the step, as on GitHub. */
function transferArtifact(
  replay: Replay,
  job: RunningJob,
  step: RunningStep,
  action: 'actions/upload-artifact' | 'actions/download-artifact',
): boolean {
  const w = evaluateMap(step.spec.with, step.contexts);
  try {
    if (action === 'actions/upload-artifact')
      upload(w, job.workspace, replay.store, job.id, replay.artifacts, job.say);
    else download(w, job.workspace, replay.store, replay.artifacts, job.say);
    return true;
  } catch (error) {
    job.say(`::error::${step.label}: ${(error as Error).message}`);
    return false;
  }
}

/** A `run:` step: its script interpolated, run by bash in the workspace with the runner's variables. */
async function runScript(replay: Replay, job: RunningJob, step: RunningStep): Promise<boolean> {
  if (step.spec.shell && step.spec.shell !== 'bash')
    throw new Error(`${job.id}: shell ${step.spec.shell} is not replayed`);
  const script = path.join(job.temp, `step-${step.index}.sh`);
  writeFileSync(script, interpolate(step.spec.run ?? '', step.contexts));
  const cwd = path.resolve(job.workspace, step.spec['working-directory'] ?? '.');
  job.say(`▶ ${step.label}`);
  const code = await bash(
    script,
    cwd,
    scriptEnv(replay, job, step),
    job.deadline - Date.now(),
    replay.mask,
    (l) => job.say(`  ${l}`),
  );
  if (code !== 0) job.say(`✖ ${step.label}: exit ${code}`);
  return code === 0;
}

/** The machine's environment, the step's env and files, and the variables the runner sets. */
function scriptEnv(replay: Replay, job: RunningJob, step: RunningStep): NodeJS.ProcessEnv {
  const { github } = job.base;
  return {
    ...replay.options.env,
    ...step.env,
    ...step.files,
    CI: 'true',
    GITHUB_ACTIONS: 'true',
    GITHUB_WORKSPACE: job.workspace,
    GITHUB_JOB: job.id,
    GITHUB_EVENT_NAME: replay.options.eventName,
    GITHUB_REPOSITORY: github.repository,
    GITHUB_SERVER_URL: github.server_url,
    GITHUB_RUN_ID: github.run_id,
    RUNNER_TEMP: job.temp,
    RUNNER_OS: 'Linux',
  };
}

/** What a step that ran leaves: env for the next steps, summary, outputs; a failure fails the job unless continue-on-error. */
function recordStep(job: RunningJob, step: RunningStep, ok: boolean): void {
  Object.assign(job.exported, readKeyValues(step.files.GITHUB_ENV));
  job.summary += readFileSync(step.files.GITHUB_STEP_SUMMARY, 'utf8');
  const outcome: Outcome = ok ? 'success' : 'failure';
  const conclusion: Outcome = ok || step.spec['continue-on-error'] ? 'success' : 'failure';
  if (step.spec.id)
    job.steps[step.spec.id] = { outcome, conclusion, outputs: readKeyValues(step.files.GITHUB_OUTPUT) };
  job.reports.push({ step: step.label, outcome });
  if (conclusion === 'failure') job.failed = true;
}

/** The job's `outputs:`, evaluated once its steps are done. */
function jobOutputs(job: RunningJob): Record<string, string> {
  const contexts = { ...job.base, env: job.jobEnv, steps: job.steps, job: {}, runner: { temp: job.temp } };
  return Object.fromEntries(
    Object.entries(job.spec.outputs ?? {}).map(([k, v]) => [k, interpolate(v, contexts)]),
  );
}

/** The inputs of the event, with defaults, booleans as booleans, choices checked. */
function resolveInputs(
  wf: Workflow,
  event: string,
  given: Record<string, string | boolean | number>,
): Record<string, unknown> {
  const specs: Record<string, InputSpec> = wf.on[event]?.inputs ?? {};
  for (const name of Object.keys(given)) {
    if (!(name in specs)) throw new Error(`${wf.name}: ${event} has no input ${name}`);
  }
  return Object.fromEntries(
    Object.entries(specs).map(([name, spec]) => {
      const raw = given[name] ?? spec.default ?? (spec.type === 'boolean' ? false : '');
      if (spec.required && given[name] === undefined && spec.default === undefined) {
        throw new Error(`${wf.name}: input ${name} is required`);
      }
      if (spec.type === 'choice' && !spec.options?.includes(String(raw))) {
        throw new Error(`${wf.name}: input ${name} must be one of ${spec.options?.join(', ')}`);
      }
      const value =
        spec.type === 'boolean'
          ? raw === true || raw === 'true'
          : spec.type === 'number'
            ? Number(raw)
            : String(raw);
      return [name, value];
    }),
  );
}

/** success(): every needed job succeeded; failure(): a job it depends on failed. */
function jobStatus(wf: Workflow, id: string, results: Map<string, JobReport>) {
  const needs = needsOf(wf.jobs[id]!);
  return {
    success: needs.every((n) => results.get(n)?.result === 'success'),
    failure: [...ancestorsOf(wf, id)].some((n) => results.get(n)?.result === 'failure'),
    cancelled: false,
  };
}

function evaluateMap(map: Record<string, unknown> | undefined, ctx: Contexts): Record<string, string> {
  return Object.fromEntries(
    Object.entries(map ?? {}).map(([k, v]) => {
      const value = evaluateValue(v, ctx);
      return [
        k,
        value === null || value === undefined
          ? ''
          : typeof value === 'object'
            ? JSON.stringify(value)
            : String(value),
      ];
    }),
  );
}

/** A fresh workspace holding the repository's files, as a checkout would (links, not copies). */
function checkout(repo: string, workspace: string): string {
  mkdirSync(workspace, { recursive: true });
  for (const entry of readdirSync(repo)) {
    if (!NOT_CHECKED_OUT.has(entry)) symlinkSync(path.join(repo, entry), path.join(workspace, entry));
  }
  return workspace;
}

/** GITHUB_OUTPUT / GITHUB_ENV: `name=value` lines and `name<<DELIMITER` blocks. */
export function readKeyValues(file: string): Record<string, string> {
  const out: Record<string, string> = {};
  const lines = readFileSync(file, 'utf8').split('\n');
  for (let i = 0; i < lines.length; i++) {
    const line = lines[i]!;
    const heredoc = line.match(/^([^=<]+)<<(.+)$/);
    if (heredoc) {
      const value: string[] = [];
      for (i++; i < lines.length && lines[i] !== heredoc[2]; i++) value.push(lines[i]!);
      out[heredoc[1]!] = value.join('\n');
    } else if (line.includes('=')) {
      out[line.slice(0, line.indexOf('='))] = line.slice(line.indexOf('=') + 1);
    }
  }
  return out;
}

/** Runs a step's script as GitHub does (`bash --noprofile --norc -eo pipefail`), honouring the job's timeout. */
function bash(
  script: string,
  cwd: string,
  env: NodeJS.ProcessEnv,
  timeoutMs: number,
  mask: SecretMask,
  line: (l: string) => void,
): Promise<number> {
  return new Promise((resolve) => {
    const child = spawn('bash', ['--noprofile', '--norc', '-eo', 'pipefail', script], {
      cwd,
      env,
      detached: true,
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    const timer = setTimeout(
      () => {
        line('::error::the job’s timeout-minutes ran out: step killed');
        try {
          process.kill(-child.pid!, 'SIGKILL');
        } catch {
          // already gone
        }
      },
      Math.max(timeoutMs, 1),
    );
    const reader = (stream: NodeJS.ReadableStream) => {
      let rest = '';
      stream.setEncoding('utf8');
      stream.on('data', (chunk: string) => {
        const parts = (rest + chunk).split('\n');
        rest = parts.pop()!;
        for (const p of parts) workflowCommand(p);
      });
      stream.on('end', () => rest && workflowCommand(rest));
    };
    // `::add-mask::` is consumed by the runner (never shown); everything else is masked.
    const workflowCommand = (l: string) => {
      if (l.startsWith('::add-mask::')) mask.add([l.slice('::add-mask::'.length)]);
      else line(mask.apply(l));
    };
    reader(child.stdout!);
    reader(child.stderr!);
    child.on('close', (code) => {
      clearTimeout(timer);
      resolve(code ?? 1);
    });
  });
}

function filesUnder(p: string): string[] {
  if (!existsSync(p)) return [];
  if (!statSync(p).isDirectory()) return [p];
  return readdirSync(p).flatMap((e) => filesUnder(path.join(p, e)));
}

/** actions/upload-artifact@v4: paths (with `!` exclusions) → the store, relative to their common root. */
function upload(
  w: Record<string, string>,
  workspace: string,
  store: string,
  job: string,
  artifacts: Map<string, ArtifactRecord>,
  say: (l: string) => void,
): void {
  const name = w.name || 'artifact';
  const lines = (w.path ?? '')
    .split('\n')
    .map((l) => l.trim())
    .filter(Boolean);
  const includes = lines.filter((l) => !l.startsWith('!')).map((l) => path.resolve(workspace, l));
  const excludes = lines.filter((l) => l.startsWith('!')).map((l) => path.resolve(workspace, l.slice(1)));
  const files = includes
    .flatMap(filesUnder)
    .filter((f) => !excludes.some((x) => f === x || f.startsWith(`${x}${path.sep}`)));
  if (files.length === 0) {
    const mode = w['if-no-files-found'] || 'warn';
    if (mode === 'error') throw new Error(`no files found at ${lines.join(', ')} for artifact ${name}`);
    if (mode === 'warn') say(`warning: no files found for artifact ${name}`);
    return;
  }
  if (artifacts.has(name) && w.overwrite !== 'true')
    throw new Error(`an artifact named ${name} already exists`);
  const root =
    includes.length === 1 && existsSync(includes[0]!) && statSync(includes[0]!).isDirectory()
      ? includes[0]!
      : commonDir(includes.map((i) => (existsSync(i) && statSync(i).isDirectory() ? i : path.dirname(i))));
  const dir = path.join(store, name);
  rmSync(dir, { recursive: true, force: true });
  for (const f of files) {
    mkdirSync(path.dirname(path.join(dir, path.relative(root, f))), { recursive: true });
    cpSync(f, path.join(dir, path.relative(root, f)));
  }
  const days = Number(w['retention-days']);
  artifacts.set(name, {
    name,
    job,
    dir,
    retentionDays: Number.isFinite(days) && w['retention-days'] ? days : null,
  });
  say(`uploaded artifact ${name} (${files.length} files)`);
}

/** actions/download-artifact@v4 of one named artifact into `path` (the contract test requires the name). */
function download(
  w: Record<string, string>,
  workspace: string,
  store: string,
  artifacts: Map<string, ArtifactRecord>,
  say: (l: string) => void,
): void {
  if (!w.name)
    throw new Error('download-artifact without a name is not replayed: name the artifact the job consumes');
  if (!artifacts.has(w.name)) throw new Error(`Artifact not found for name: ${w.name}`);
  cpSync(path.join(store, w.name), path.resolve(workspace, w.path || '.'), { recursive: true });
  say(`downloaded artifact ${w.name}`);
}

function commonDir(dirs: string[]): string {
  return dirs.reduce((a, b) => {
    const x = a.split(path.sep);
    const y = b.split(path.sep);
    let i = 0;
    while (i < x.length && x[i] === y[i]) i++;
    return x.slice(0, i).join(path.sep) || path.sep;
  });
}
