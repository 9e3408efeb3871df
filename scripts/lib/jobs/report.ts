// report: the last job of db-sync.yml — one screen for the whole run, built from the
// jobs' results and outputs (`toJSON(needs)`: status, headline, elapsed_ms, nothing
// secret). Which jobs it expects, in which mode, comes from the pipeline definition.
// It connects to nothing.

import { InputError, readFlags } from '../base/errors.ts';
import { renderRunReport } from '../report/run-report-summary.ts';
import type { JobConclusion, RunReport } from '../results/report.ts';
import {
  committingStep,
  defaultMode,
  migratingStep,
  mustRollBack,
  PIPELINES_BY_NAME,
  type Pipeline,
  reportedSteps,
  requiredSteps,
  rollbackStep,
  type StepOutputIs,
  stagingPipeline,
  stepNeeds,
} from './pipeline.ts';
import type { Job } from './runner.ts';

export interface ReportOptions {
  source: string;
  target: string;
  dryRun: boolean;
  /** The run's mode (db-sync's `mode` input); default the pipeline's default mode. */
  mode?: string;
  runUrl?: string;
  needs: Record<string, { result: JobConclusion; outputs: Record<string, string> }>;
  /** Which pipeline ran (default staging: db-sync). */
  pipeline?: Pipeline;
}

export function buildReport(o: ReportOptions): RunReport {
  const pipeline: Pipeline = o.pipeline ?? stagingPipeline;
  const mode = o.mode ?? defaultMode(pipeline);
  const needs = stepNeeds(pipeline, o.needs);
  const holds = (c?: StepOutputIs) => c !== undefined && needs[c.step]?.outputs[c.output] === c.equals;
  const idle = holds(pipeline.nothingToDo);
  const jobs = reportedSteps(pipeline, mode).map(({ name: job }) => {
    const n = needs[job];
    const elapsed = Number(n?.outputs.elapsed_ms);
    return {
      job,
      result: n?.result ?? 'missing',
      headline: n?.outputs.headline ?? '',
      elapsedMs: Number.isFinite(elapsed) && n?.outputs.elapsed_ms ? elapsed : null,
    };
  });
  const result = (job: string) => jobs.find((j) => j.job === job)?.result ?? 'missing';
  // A dry run stops after planning by design (so does a run with nothing to do): the rest is skipped.
  const required = requiredSteps(pipeline, o.dryRun || idle, mode)
    .filter((s) => !holds(s.skipWhen))
    .map((s) => s.name);
  const failedJob =
    required.find((j) => result(j) === 'failure' || result(j) === 'cancelled') ??
    required.find((j) => result(j) !== 'success') ??
    null;
  const { name: rollback } = rollbackStep(pipeline);
  const rb = result(rollback);
  // The step that changed the target in this mode, and what it says it did.
  const committed = committingStep(pipeline, mode);
  const done = result(committed.name) === 'success';
  const said = needs[committed.name]?.outputs ?? {};
  const migrating = migratingStep(pipeline, mode);
  const migrated =
    migrating && result(migrating.name) === 'success'
      ? { applied: Number(needs[migrating.name]?.outputs.applied ?? 0) }
      : null;
  return {
    pipeline: pipeline.name,
    nothingToDo: idle,
    source: o.source,
    target: o.target,
    dryRun: o.dryRun,
    mode,
    runUrl: o.runUrl ?? null,
    ok: failedJob === null,
    failedJob,
    // A rollback that was due but did not run (skipped, missing) failed to put the target back.
    rolledBack:
      rb === 'success'
        ? true
        : rb === 'failure' || rb === 'cancelled'
          ? false
          : mustRollBack(pipeline, Object.fromEntries(jobs.map((j) => [j.job, j.result])), o.dryRun)
            ? false
            : null,
    synced:
      done && !o.dryRun && committed.outputs?.includes('rows')
        ? { rows: Number(said.rows ?? 0), tables: Number(said.tables ?? 0) }
        : null,
    migrated,
    promoted:
      done && !o.dryRun && committed.outputs?.includes('changed_rows')
        ? { rows: Number(said.changed_rows ?? 0) }
        : null,
    jobs,
    totalMs: jobs.reduce((s, j) => s + (j.elapsedMs ?? 0), 0),
  };
}

const NEEDS_HINT = 'set an env var to the expression toJSON(needs) in the workflow and pass --needs "$NEEDS"';

function parseNeeds(text: string): ReportOptions['needs'] {
  let parsed: unknown;
  try {
    parsed = JSON.parse(text);
  } catch {
    throw new InputError('--needs is not JSON', NEEDS_HINT);
  }
  if (!parsed || typeof parsed !== 'object' || Array.isArray(parsed)) {
    throw new InputError('--needs is not a JSON object of jobs', NEEDS_HINT);
  }
  const needs: ReportOptions['needs'] = {};
  for (const [job, value] of Object.entries(parsed as Record<string, unknown>)) {
    const v = (value ?? {}) as { result?: unknown; outputs?: unknown };
    const outputs: Record<string, string> = {};
    if (v.outputs && typeof v.outputs === 'object') {
      for (const [k, out] of Object.entries(v.outputs as Record<string, unknown>))
        outputs[k] = String(out ?? '');
    }
    const result = ['success', 'failure', 'cancelled', 'skipped'].includes(String(v.result))
      ? (v.result as JobConclusion)
      : 'missing';
    needs[job] = { result, outputs };
  }
  return needs;
}

/** `--pipeline`: staging (db-sync, the default) or production (deploy-production). */
function parsePipeline(value: unknown): Pipeline {
  if (value === undefined) return stagingPipeline;
  const p = typeof value === 'string' ? PIPELINES_BY_NAME[value] : undefined;
  if (!p)
    throw new InputError(
      `--pipeline ${String(value)} is not one of ${Object.keys(PIPELINES_BY_NAME).join(', ')}`,
      'pass the pipeline the workflow runs, e.g. --pipeline production in deploy-production.yml',
    );
  return p;
}

/** `--mode`: one of the pipeline's modes, checked before anything is read. */
function parseMode(value: unknown, pipeline: Pipeline): string {
  const modes = pipeline.modes ?? [];
  if (value === undefined) return defaultMode(pipeline);
  if (typeof value === 'string' && modes.includes(value)) return value;
  throw new InputError(
    `--mode ${String(value)} is not one of ${modes.join(', ')}`,
    `pass the run's mode, e.g. --mode ${defaultMode(pipeline)}`,
  );
}

export const reportJob: Job<ReportOptions, RunReport> = {
  name: 'report',
  description:
    'The overview of a db-sync run for its last job summary: each job’s result, what it did and how long it took, ' +
    'what was synced (or, with --mode migrate, migrated), whether the target was validated, healthy or rolled back, ' +
    'and where the artifacts are. ' +
    'Reads the jobs’ results and outputs (toJSON(needs)); connects to no database.',
  examples: ['npx tsx scripts/report.ts --source dev --target staging --needs "$NEEDS" --run-url "$RUN_URL"'],
  flags: {
    source: {
      type: 'string',
      value: '<name>',
      description: 'the source database’s name (shown, not resolved)',
    },
    target: {
      type: 'string',
      value: '<name>',
      description: 'the target database’s name (shown, not resolved)',
    },
    needs: { type: 'string', value: '<json>', description: 'the needs context of the run as JSON' },
    'run-url': { type: 'string', value: '<url>', description: 'the run’s page (its artifacts are linked)' },
    'dry-run': { type: 'boolean', description: 'the run was a dry run (validate and health check skipped)' },
    pipeline: {
      type: 'string',
      value: `<${Object.keys(PIPELINES_BY_NAME).join('|')}>`,
      description: 'which workflow ran: staging (db-sync, default) or production (deploy-production)',
    },
    mode: {
      type: 'string',
      value: `<${(stagingPipeline.modes ?? []).join('|')}>`,
      description: `how the run changed the target: replica (sync) or migrate (default ${defaultMode(stagingPipeline)})`,
    },
  },
  parse(flags) {
    const pipeline = parsePipeline(flags.pipeline);
    const { names, needs, mode } = readFlags({
      names: () => {
        const missing = ['source', 'target', 'needs'].filter(
          (f) => typeof flags[f] !== 'string' || flags[f] === '',
        );
        if (missing.length) {
          throw new InputError(
            `missing ${missing.map((m) => `--${m}`).join(', ')}`,
            'e.g. npx tsx scripts/report.ts --source dev --target staging --needs "$NEEDS"',
          );
        }
        return { source: String(flags.source), target: String(flags.target) };
      },
      needs: () => (typeof flags.needs === 'string' && flags.needs ? parseNeeds(flags.needs) : {}),
      mode: () => parseMode(flags.mode, pipeline),
    });
    return {
      ...names,
      pipeline,
      dryRun: flags['dry-run'] === true,
      mode,
      ...(typeof flags['run-url'] === 'string' && flags['run-url'] ? { runUrl: flags['run-url'] } : {}),
      needs,
    };
  },
  run: async (_ctx, o) => buildReport(o),
  render: renderRunReport,
  verdict: (r) => {
    const failed = r.jobs.find((j) => j.job === r.failedJob);
    return {
      ok: r.ok,
      headline:
        r.pipeline === 'production'
          ? productionHeadline(r)
          : r.ok
            ? r.mode === 'migrate'
              ? r.dryRun
                ? `dry run, migrate ${r.target}: ${r.migrated?.applied ?? 0} migration(s) ran and were rolled back, nothing changed`
                : `${r.target} migrated: ${r.migrated?.applied ?? 0} migration(s) applied, healthy`
              : r.dryRun
                ? `dry run ${r.source} → ${r.target}: planned, nothing changed`
                : `${r.target} replicates ${r.source}: ${r.synced?.rows.toLocaleString('en-US')} rows in ${r.synced?.tables} tables, validated and healthy`
            : `${r.source} → ${r.target} stopped at ${r.failedJob}${r.rolledBack === null ? '' : r.rolledBack ? `; ${r.target} was rolled back to its snapshot` : '; THE ROLLBACK FAILED'}`,
      problems: r.ok ? [] : [`${r.failedJob}: ${failed?.headline || failed?.result}`],
      warnings: [],
    };
  },
  outputs: (r) => ({ ok: r.ok, rolled_back: r.rolledBack ?? false, failed_job: r.failedJob ?? '' }),
};

/** deploy-production in one line: deployed, nothing to do, planned, or where it stopped and what stays. */
function productionHeadline(r: RunReport): string {
  const applied = `${r.migrated?.applied ?? 0} migration(s)`;
  if (r.ok)
    return r.nothingToDo
      ? `${r.target}: nothing to deploy (no pending migration, the content is ${r.source}'s)`
      : r.dryRun
        ? `dry run, ${r.target}: planned, nothing deployed`
        : `${r.target} deployed: ${applied} applied, ${(r.promoted?.rows ?? 0).toLocaleString('en-US')} content row(s) promoted, validated and healthy`;
  return [
    `${r.source} → ${r.target} stopped at ${r.failedJob}`,
    ...(r.rolledBack === true ? ['the content was rolled back to its snapshot'] : []),
    ...(r.rolledBack === false ? ['THE CONTENT ROLLBACK FAILED'] : []),
    ...(r.migrated?.applied
      ? [`${applied} committed and stay (restore by hand: see the deploy summary)`]
      : []),
  ].join('; ');
}
