// The staging pipeline, defined once: which jobs run, in what order, what each needs and
// passes on, when the rollback runs. run-pipeline, report and the demo read it; the
// contract test (tests/workflows/lint-and-contract.test.ts) holds db-sync.yml to it.

import type { JobConclusion } from '../results/report.ts';

/** How a step takes part in the run. */
export type StepRole =
  /** Runs when every step it needs succeeded; a failure stops the pipeline. */
  | 'work'
  /** Runs only when the pipeline must put the target back (see `RollbackWhen`). */
  | 'rollback'
  /** Runs last, always, and reads every other step's result. */
  | 'report';

/** An artifact a step reads: downloaded into `artifacts/<dir>` and passed as `<flag> artifacts/<dir>`. */
export interface StepInput {
  flag: string;
  artifact: string;
  dir: string;
}

/**
 * The rollback runs when one of `committed` succeeded (the step that changed the target; one per
 * mode) and one of `checks` failed — never in a dry run.
 */
export interface RollbackWhen {
  committed: readonly string[];
  checks: readonly string[];
}

export interface PipelineStep {
  /** The job's id in the workflow, and its artifact directory (`<out>/<name>/`). */
  name: string;
  /** The script it runs: `scripts/<job>.ts`. */
  job: string;
  role: StepRole;
  /** The steps it waits for (the workflow's `needs:`). */
  needs: readonly string[];
  /** The artifacts it uploads, by name. */
  uploads: readonly string[];
  reads?: readonly StepInput[];
  /** A work step that also runs in a dry run (which stops after planning the sync). */
  inDryRun?: boolean;
  /** Step outputs the report reads beyond every job's status, headline and elapsed_ms. */
  outputs?: readonly string[];
  /** The rollback step only. */
  when?: RollbackWhen;
  /**
   * The modes it runs in (absent: every mode). In another mode it is skipped, and a step that
   * needs it does not require it: the needs of the mode decide.
   */
  modes?: readonly string[];
  /**
   * A step of that workflow job rather than a job of its own (production: every write runs in
   * the one job that holds the approval). The job exposes the step's outcome, headline,
   * elapsed_ms and outputs as `<step>_outcome`, `<step>_headline`, … (see `stepNeeds`).
   */
  inJob?: string;
  /** Skipped by design when an earlier step's output says so (not a failure of the run). */
  skipWhen?: StepOutputIs;
}

/** An earlier step's output has this value. */
export interface StepOutputIs {
  step: string;
  output: string;
  equals: string;
}

export interface Pipeline {
  name: string;
  /** The workflow file in .github/workflows that runs it on GitHub, one job per step. */
  workflow: string;
  /** The ways it runs (the workflow's `mode` input, report's `--mode`); the first is the default. */
  modes?: readonly string[];
  steps: readonly PipelineStep[];
  /** A step output saying there is nothing to do: the run is then over after that step, as a dry run is. */
  nothingToDo?: StepOutputIs;
}

/** The outputs every job exposes (the runner sets them), which the report reads. */
export const JOB_OUTPUTS = ['status', 'headline', 'elapsed_ms'] as const;

/**
 * The staging pipeline's modes: `replica` makes the target an exact replica of the source (sync,
 * then validate compares them); `migrate` applies the pending migration files to the target
 * instead, and nothing compares it with the source (its data is not meant to be the source's).
 */
export const STAGING_MODES = ['replica', 'migrate'] as const;
export type StagingMode = (typeof STAGING_MODES)[number];

export const stagingPipeline = {
  name: 'staging',
  workflow: 'db-sync.yml',
  modes: STAGING_MODES,
  steps: [
    { name: 'analyze', job: 'analyze', role: 'work', needs: [], uploads: ['analyze'], inDryRun: true },
    // The source's backup stays on the runner: its data is not an artifact.
    { name: 'backup', job: 'backup', role: 'work', needs: ['analyze'], uploads: [], inDryRun: true },
    {
      name: 'prepare',
      job: 'prepare',
      role: 'work',
      needs: ['backup'],
      uploads: ['prepare', 'snapshot'],
      inDryRun: true,
    },
    {
      name: 'sync',
      job: 'sync',
      role: 'work',
      needs: ['prepare'],
      uploads: ['sync'],
      reads: [{ flag: '--plan', artifact: 'prepare', dir: 'prepare' }],
      inDryRun: true,
      outputs: ['rows', 'tables'],
      modes: ['replica'],
    },
    // Every pending migration in one transaction; prepare's snapshot is what a rollback restores.
    {
      name: 'migrate',
      job: 'migrate',
      role: 'work',
      needs: ['prepare'],
      uploads: ['migrate'],
      inDryRun: true,
      outputs: ['applied'],
      modes: ['migrate'],
    },
    // The target against the source: only a replica is meant to equal it. The rows against the
    // sync's digest of the source's snapshot (only the target's are read).
    {
      name: 'validate',
      job: 'validate',
      role: 'work',
      needs: ['sync'],
      uploads: ['validate'],
      reads: [{ flag: '--digest', artifact: 'sync', dir: 'sync' }],
      modes: ['replica'],
    },
    {
      name: 'health-check',
      job: 'health-check',
      role: 'work',
      needs: ['validate', 'migrate'],
      uploads: ['health-check'],
    },
    {
      name: 'rollback',
      job: 'rollback',
      role: 'rollback',
      needs: ['prepare', 'sync', 'migrate', 'validate', 'health-check'],
      uploads: ['rollback'],
      reads: [{ flag: '--from', artifact: 'snapshot', dir: 'prepare/snapshot' }],
      when: { committed: ['sync', 'migrate'], checks: ['validate', 'health-check'] },
    },
    {
      name: 'report',
      job: 'report',
      role: 'report',
      needs: ['analyze', 'backup', 'prepare', 'sync', 'migrate', 'validate', 'health-check', 'rollback'],
      uploads: [],
    },
  ],
} as const satisfies Pipeline;

export type StagingStepName = (typeof stagingPipeline.steps)[number]['name'];

/**
 * The production deploy (deploy-production.yml): the plan, made with a read-only role and read
 * by the approver; then ONE job, `deploy`, behind the approval — GitHub asks again for every job
 * that names a protected environment — whose steps do every write, each a script with its own
 * artifacts: the plan verified against production as it is now, a verified encrypted backup, the
 * migrations, the content, its validation and the health check. A failure after the content
 * committed rolls the content back from its snapshot; committed migrations are not undone by
 * restoring the backup automatically (users' writes since would be lost): the summary gives the
 * one-command restore (restore-production.yml).
 */
export const productionPipeline = {
  name: 'production',
  workflow: 'deploy-production.yml',
  nothingToDo: { step: 'plan', output: 'changes', equals: 'false' },
  steps: [
    {
      name: 'plan',
      job: 'production-plan',
      role: 'work',
      needs: [],
      uploads: ['plan'],
      inDryRun: true,
      outputs: ['hash', 'changes', 'content_planned'],
    },
    {
      name: 'verify',
      job: 'production-plan',
      role: 'work',
      needs: ['plan'],
      uploads: ['deploy'],
      reads: [{ flag: '--verify', artifact: 'plan', dir: 'plan' }],
      inJob: 'deploy',
    },
    { name: 'backup', job: 'backup', role: 'work', needs: ['verify'], uploads: ['backup'], inJob: 'deploy' },
    {
      name: 'migrate',
      job: 'migrate',
      role: 'work',
      needs: ['backup'],
      uploads: ['deploy'],
      outputs: ['applied'],
      inJob: 'deploy',
    },
    {
      name: 'content',
      job: 'content-sync',
      role: 'work',
      needs: ['migrate'],
      uploads: ['deploy'],
      outputs: ['changed_rows'],
      inJob: 'deploy',
      // Content a pending migration has yet to create is planned by the next deploy, never unseen.
      skipWhen: { step: 'plan', output: 'content_planned', equals: 'false' },
    },
    {
      name: 'validate',
      job: 'content-sync',
      role: 'work',
      needs: ['content'],
      uploads: ['deploy'],
      inJob: 'deploy',
      skipWhen: { step: 'plan', output: 'content_planned', equals: 'false' },
    },
    {
      name: 'health-check',
      job: 'health-check',
      role: 'work',
      needs: ['validate'],
      uploads: ['deploy'],
      inJob: 'deploy',
    },
    {
      name: 'rollback',
      job: 'content-sync',
      role: 'rollback',
      needs: ['content', 'validate', 'health-check'],
      uploads: ['deploy'],
      reads: [{ flag: '--from', artifact: 'deploy', dir: 'content/content-snapshot' }],
      when: { committed: ['content'], checks: ['validate', 'health-check'] },
      inJob: 'deploy',
    },
    { name: 'report', job: 'report', role: 'report', needs: ['plan', 'deploy'], uploads: [] },
  ],
} as const satisfies Pipeline;

/** The pipelines the report knows, by name (report's --pipeline). */
export const PIPELINES_BY_NAME: Record<string, Pipeline> = {
  staging: stagingPipeline,
  production: productionPipeline,
};

/**
 * `needs` as if every step were a job: a step that runs inside a workflow job (`inJob`) gets its
 * result and outputs from that job's `<step>_outcome`, `<step>_headline`, `<step>_elapsed_ms`,
 * `<step>_<output>`; when the job itself did not run, neither did its steps.
 */
export function stepNeeds(
  p: Pipeline,
  needs: Record<string, { result: JobConclusion; outputs: Record<string, string> }>,
): Record<string, { result: JobConclusion; outputs: Record<string, string> }> {
  const out = { ...needs };
  for (const step of p.steps.filter((s) => s.inJob)) {
    const job = needs[step.inJob!];
    const said = job?.outputs ?? {};
    const outcome = said[`${step.name}_outcome`];
    const keys = [...JOB_OUTPUTS, ...(step.outputs ?? [])];
    out[step.name] = {
      result:
        (['success', 'failure', 'cancelled', 'skipped'] as const).find((r) => r === outcome) ??
        (job?.result === 'skipped' ? 'skipped' : 'missing'),
      outputs: Object.fromEntries(
        keys
          .filter((k) => said[`${step.name}_${k}`] !== undefined)
          .map((k) => [k, said[`${step.name}_${k}`]!]),
      ),
    };
  }
  return out;
}

/** The mode a run takes when none is given: the first, or '' for a pipeline with one way to run. */
export function defaultMode(p: Pipeline): string {
  return p.modes?.[0] ?? '';
}

/** Whether `step` runs in `mode`. */
export function inMode(step: PipelineStep, mode: string): boolean {
  return !step.modes || step.modes.includes(mode);
}

/** The work steps, in order; with `mode`, those of that mode only. */
export function workSteps(p: Pipeline, mode?: string): PipelineStep[] {
  return p.steps.filter((s) => s.role === 'work' && (mode === undefined || inMode(s, mode)));
}

/**
 * Whether `step` may run, given what the steps before it concluded: it is in `mode` (a dry run:
 * and runs in one) and every step it needs that is in `mode` succeeded.
 */
export function mayRun(
  p: Pipeline,
  step: PipelineStep,
  results: Partial<Record<string, JobConclusion>>,
  mode: string,
  dryRun: boolean,
): boolean {
  const byName = (n: string) => p.steps.find((s) => s.name === n);
  return (
    inMode(step, mode) &&
    (!dryRun || step.inDryRun === true) &&
    step.needs.every((n) => {
      const need = byName(n);
      return (need !== undefined && !inMode(need, mode)) || results[n] === 'success';
    })
  );
}

export function rollbackStep(p: Pipeline): PipelineStep & { when: RollbackWhen } {
  const step = p.steps.find((s) => s.role === 'rollback');
  if (!step?.when) throw new Error(`pipeline ${p.name} has no rollback step with a condition`);
  return step as PipelineStep & { when: RollbackWhen };
}

/** Every step the report covers, in order: all but the report itself, in `mode` (default: the default mode). */
export function reportedSteps(p: Pipeline, mode = defaultMode(p)): PipelineStep[] {
  return p.steps.filter((s) => s.role !== 'report' && inMode(s, mode));
}

/** The work steps a run must pass to be ok: all of `mode`'s, or in a dry run those that run in one. */
export function requiredSteps(p: Pipeline, dryRun: boolean, mode = defaultMode(p)): PipelineStep[] {
  return workSteps(p, mode).filter((s) => !dryRun || s.inDryRun === true);
}

/** The step that changes the target in `mode` (sync for a replica, migrate for migrate, content in production). */
export function committingStep(p: Pipeline, mode = defaultMode(p)): PipelineStep {
  const { when } = rollbackStep(p);
  const step = p.steps.find((s) => when.committed.includes(s.name) && inMode(s, mode));
  if (!step) throw new Error(`pipeline ${p.name}: no step of mode ${mode} commits`);
  return step;
}

/** A step that says how many migrations it applied (`applied`), in `mode`. */
export function migratingStep(p: Pipeline, mode = defaultMode(p)): PipelineStep | undefined {
  return p.steps.find((s) => s.outputs?.includes('applied') && inMode(s, mode));
}

/** Whether the target must be put back: a commit happened, then a check failed. */
export function mustRollBack(
  p: Pipeline,
  results: Partial<Record<string, JobConclusion>>,
  dryRun: boolean,
): boolean {
  const { when } = rollbackStep(p);
  return (
    !dryRun &&
    when.committed.some((step) => results[step] === 'success') &&
    when.checks.some((check) => results[check] === 'failure')
  );
}

/** `analyze → backup → … → health-check`: the work steps of `mode` in order, for people. */
export function describeOrder(p: Pipeline, mode = defaultMode(p)): string {
  return workSteps(p, mode)
    .map((s) => s.name)
    .join(' → ');
}

/** Where the rollback reads its snapshot, relative to the pipeline's artifact root. */
export function snapshotDir(p: Pipeline): string {
  const input = rollbackStep(p).reads?.[0];
  if (!input) throw new Error(`pipeline ${p.name}: the rollback step reads no snapshot`);
  return input.dir;
}

/** Every pipeline with a workflow; the contract test checks each workflow against its definition. */
export const PIPELINES: readonly Pipeline[] = [stagingPipeline];
