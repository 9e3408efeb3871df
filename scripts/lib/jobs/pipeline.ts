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

/** The rollback runs when `committed` succeeded and one of `checks` failed — never in a dry run. */
export interface RollbackWhen {
  committed: string;
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
}

export interface Pipeline {
  name: string;
  /** The workflow file in .github/workflows that runs it on GitHub, one job per step. */
  workflow: string;
  steps: readonly PipelineStep[];
}

/** The outputs every job exposes (the runner sets them), which the report reads. */
export const JOB_OUTPUTS = ['status', 'headline', 'elapsed_ms'] as const;

export const stagingPipeline = {
  name: 'staging',
  workflow: 'db-sync.yml',
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
    },
    { name: 'validate', job: 'validate', role: 'work', needs: ['sync'], uploads: ['validate'] },
    {
      name: 'health-check',
      job: 'health-check',
      role: 'work',
      needs: ['validate'],
      uploads: ['health-check'],
    },
    {
      name: 'rollback',
      job: 'rollback',
      role: 'rollback',
      needs: ['prepare', 'sync', 'validate', 'health-check'],
      uploads: ['rollback'],
      reads: [{ flag: '--from', artifact: 'snapshot', dir: 'prepare/snapshot' }],
      when: { committed: 'sync', checks: ['validate', 'health-check'] },
    },
    {
      name: 'report',
      job: 'report',
      role: 'report',
      needs: ['analyze', 'backup', 'prepare', 'sync', 'validate', 'health-check', 'rollback'],
      uploads: [],
    },
  ],
} as const satisfies Pipeline;

export type StagingStepName = (typeof stagingPipeline.steps)[number]['name'];

export function workSteps(p: Pipeline): PipelineStep[] {
  return p.steps.filter((s) => s.role === 'work');
}

export function rollbackStep(p: Pipeline): PipelineStep & { when: RollbackWhen } {
  const step = p.steps.find((s) => s.role === 'rollback');
  if (!step?.when) throw new Error(`pipeline ${p.name} has no rollback step with a condition`);
  return step as PipelineStep & { when: RollbackWhen };
}

/** Every step the report covers, in order: all but the report itself. */
export function reportedSteps(p: Pipeline): PipelineStep[] {
  return p.steps.filter((s) => s.role !== 'report');
}

/** The work steps a run must pass to be ok: all of them, or in a dry run those that run in one. */
export function requiredSteps(p: Pipeline, dryRun: boolean): PipelineStep[] {
  return workSteps(p).filter((s) => !dryRun || s.inDryRun === true);
}

/** Whether the target must be put back: the commit happened, then a check failed. */
export function mustRollBack(
  p: Pipeline,
  results: Partial<Record<string, JobConclusion>>,
  dryRun: boolean,
): boolean {
  const { when } = rollbackStep(p);
  return (
    !dryRun &&
    results[when.committed] === 'success' &&
    when.checks.some((check) => results[check] === 'failure')
  );
}

/** `analyze → backup → … → health-check`: the work steps in order, for people. */
export function describeOrder(p: Pipeline): string {
  return workSteps(p)
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
