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
  stepLabel,
  type Workflow,
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

export async function replayWorkflow(o: ReplayOptions): Promise<ReplayReport> {
  const started = Date.now();
  const wf = loadWorkflow(o.workflow);
  const inputs = resolveInputs(wf, o.eventName, o.inputs ?? {});
  const secrets = o.secrets ?? {};
  const mask = new SecretMask();
  mask.add(Object.values(secrets).filter((s) => s.length >= 4));
  const log: string[] = [];
  const say = (line: string) => {
    const masked = mask.apply(line);
    log.push(masked);
    o.log?.(masked);
  };
  const store = path.join(o.root, 'artifacts');
  mkdirSync(store, { recursive: true });
  const artifacts = new Map<string, ArtifactRecord>();
  const results = new Map<string, JobReport>();
  const githubOnly: string[] = [];

  for (const id of jobOrder(wf)) {
    const job = wf.jobs[id]!;
    if (job.uses) throw new Error(`${id}: a job calling a reusable workflow (${job.uses}) is not replayed`);
    const jobStarted = Date.now();
    const needs = Object.fromEntries(
      needsOf(job).map((n) => [n, { result: results.get(n)!.result, outputs: results.get(n)!.outputs }]),
    );
    const github = {
      event_name: o.eventName,
      event: { inputs },
      repository: 'local/replay',
      server_url: 'https://github.com',
      run_id: '1',
      run_number: '1',
      run_attempt: '1',
      job: id,
      ref_name: 'replay',
      sha: 'replay',
      actor: 'replay',
      workspace: '',
    };
    const base: Contexts = { github, inputs, vars: o.vars ?? {}, secrets, needs, matrix: {}, strategy: {} };
    const status = jobStatus(wf, id, results);
    if (!condition(job.if, base, status)) {
      say(`[${id}] skipped (if: ${String(job.if ?? 'success()')})`);
      results.set(id, {
        id,
        result: 'skipped',
        environment: null,
        outputs: {},
        summary: '',
        steps: [],
        durationMs: 0,
      });
      continue;
    }

    const jobDir = path.join(o.root, 'jobs', id);
    rmSync(jobDir, { recursive: true, force: true });
    const workspace = checkout(o.repo, path.join(jobDir, 'workspace'));
    const temp = path.join(jobDir, 'tmp');
    mkdirSync(temp, { recursive: true });
    github.workspace = workspace;
    const workflowEnv = evaluateMap(wf.env, { ...base, env: {} });
    const jobEnv = { ...workflowEnv, ...evaluateMap(job.env, { ...base, env: workflowEnv }) };
    const environment = job.environment
      ? String(
          evaluateValue(typeof job.environment === 'string' ? job.environment : job.environment.name, {
            ...base,
            env: jobEnv,
          }),
        )
      : null;
    const jobSay = (l: string) => say(`[${id}] ${l}`);
    say(`[${id}] start${environment ? ` (environment ${environment})` : ''}`);

    const exported: Record<string, string> = {};
    const steps: Record<string, { outcome: Outcome; conclusion: Outcome; outputs: Record<string, string> }> =
      {};
    const stepReports: StepReport[] = [];
    let summary = '';
    let failed = false;
    const deadline = jobStarted + (job['timeout-minutes'] ?? 360) * 60_000;

    for (const [index, step] of (job.steps ?? []).entries()) {
      const label = stepLabel(step);
      const ctx: Contexts = {
        ...base,
        env: { ...jobEnv, ...exported },
        steps,
        job: { status: failed ? 'failure' : 'success' },
        runner: { os: 'Linux', arch: 'X64', temp },
      };
      if (!condition(step.if, ctx, { success: !failed, failure: failed, cancelled: false })) {
        stepReports.push({ step: label, outcome: 'skipped', skipped: 'condition' });
        if (step.id) steps[step.id] = { outcome: 'skipped', conclusion: 'skipped', outputs: {} };
        continue;
      }
      const action = step.uses ? actionName(step.uses) : null;
      if (action && GITHUB_ONLY_ACTIONS.includes(action)) {
        githubOnly.push(`${id}: ${step.uses}`);
        stepReports.push({ step: label, outcome: 'skipped', skipped: 'github-only' });
        continue;
      }
      const stepEnv = { ...(ctx.env as Record<string, string>), ...evaluateMap(step.env, ctx) };
      const files = {
        GITHUB_OUTPUT: path.join(temp, `output-${index}`),
        GITHUB_ENV: path.join(temp, `env-${index}`),
        GITHUB_STEP_SUMMARY: path.join(temp, `summary-${index}`),
      };
      for (const f of Object.values(files)) writeFileSync(f, '');
      let ok: boolean;
      if (action === 'actions/upload-artifact' || action === 'actions/download-artifact') {
        const w = evaluateMap(step.with, { ...ctx, env: stepEnv });
        try {
          if (action === 'actions/upload-artifact') upload(w, workspace, store, id, artifacts, jobSay);
          else download(w, workspace, store, artifacts, jobSay);
          ok = true;
        } catch (error) {
          jobSay(`::error::${label}: ${(error as Error).message}`);
          ok = false;
        }
      } else if (step.uses) {
        throw new Error(`${id}: step “${label}” uses ${step.uses}, which the replay cannot run`);
      } else {
        if (step.shell && step.shell !== 'bash')
          throw new Error(`${id}: shell ${step.shell} is not replayed`);
        const script = path.join(temp, `step-${index}.sh`);
        writeFileSync(script, interpolate(step.run ?? '', { ...ctx, env: stepEnv }));
        const env = {
          ...o.env,
          ...stepEnv,
          ...files,
          CI: 'true',
          GITHUB_ACTIONS: 'true',
          GITHUB_WORKSPACE: workspace,
          GITHUB_JOB: id,
          GITHUB_EVENT_NAME: o.eventName,
          GITHUB_REPOSITORY: github.repository,
          GITHUB_SERVER_URL: github.server_url,
          GITHUB_RUN_ID: github.run_id,
          RUNNER_TEMP: temp,
          RUNNER_OS: 'Linux',
        };
        const cwd = path.resolve(workspace, step['working-directory'] ?? '.');
        jobSay(`▶ ${label}`);
        const code = await bash(script, cwd, env, deadline - Date.now(), mask, (l) => jobSay(`  ${l}`));
        ok = code === 0;
        if (!ok) jobSay(`✖ ${label}: exit ${code}`);
      }
      Object.assign(exported, readKeyValues(files.GITHUB_ENV));
      summary += readFileSync(files.GITHUB_STEP_SUMMARY, 'utf8');
      const outcome: Outcome = ok ? 'success' : 'failure';
      const conclusion: Outcome = ok || step['continue-on-error'] ? 'success' : 'failure';
      if (step.id) steps[step.id] = { outcome, conclusion, outputs: readKeyValues(files.GITHUB_OUTPUT) };
      stepReports.push({ step: label, outcome });
      if (conclusion === 'failure') failed = true;
    }
    const outputs = Object.fromEntries(
      Object.entries(job.outputs ?? {}).map(([k, v]) => [
        k,
        interpolate(v, { ...base, env: jobEnv, steps, job: {}, runner: { temp } }),
      ]),
    );
    const report: JobReport = {
      id,
      result: failed ? 'failure' : 'success',
      environment,
      outputs,
      summary: mask.apply(summary),
      steps: stepReports,
      durationMs: Date.now() - jobStarted,
    };
    say(`[${id}] ${report.result} (${(report.durationMs / 1000).toFixed(1)} s)`);
    results.set(id, report);
  }
  return {
    workflow: path.relative(o.repo, wf.file),
    jobs: [...results.values()],
    githubOnly,
    artifacts: [...artifacts.values()],
    log,
    durationMs: Date.now() - started,
  };
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
