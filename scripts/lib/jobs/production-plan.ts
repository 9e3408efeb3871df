// production-plan: what a production deploy will do, for the approver — run as real jobs, each
// with its artifacts under <out>/<step>: migration-status (what is pending), lint-migrations
// (findings on the pending files), drift (production against the migrations it already has,
// replayed into a throwaway cluster), content-sync --mode dry-run (the content a sync would
// write). A hash over every decision; `--verify <plan>` recomputes it against production as it
// is now and fails when it differs, before anything is written.

import { createHash } from 'node:crypto';
import { copyFileSync, mkdirSync, readFileSync, rmSync } from 'node:fs';
import path from 'node:path';
import { InputError, JobError, readFlags } from '../base/errors.ts';
import { readJsonFile } from '../base/json-file.ts';
import { readInventory } from '../catalog/inventory.ts';
import { loadConfig } from '../cli/config.ts';
import { connectTimeoutFlag, parseConnectTimeout, requireDatabase } from '../cli/database-flags.ts';
import { connect } from '../db/connect.ts';
import type { DatabaseTarget } from '../db/url.ts';
import { readMigrations } from '../migrations/files.ts';
import { renderProductionPlanSummary } from '../report/production-plan-summary.ts';
import type { JobRecord } from '../results/job-record.ts';
import type { PlanDecisions, ProductionPlanResult } from '../results/production-plan.ts';
import { schemaFingerprint } from '../sync/plan.ts';
import { contentSyncJob } from './content-sync.ts';
import { DEFAULT_MIGRATIONS_DIR, driftJob } from './drift.ts';
import { lintMigrationsJob } from './lint-migrations.ts';
import { migrationStatusJob } from './migration-status.ts';
import type { Job, JobContext } from './runner.ts';
import { type SealedJob, sealed, stepRunner } from './steps.ts';

export interface ProductionPlanOptions {
  /** Production: in the plan job a read-only role, in the deploy job the deploying one. */
  target: DatabaseTarget;
  /** Where content comes from (staging); null: no content step. */
  source: DatabaseTarget | null;
  dir: string;
  config?: string;
  allowDrift: boolean;
  /** A plan's --out directory to recompute and compare against. */
  verify: string | null;
  out: string;
  connectTimeout: number;
  env: NodeJS.ProcessEnv;
}

const PLAN_FILE = 'production-plan.json';
/** How a database is named to the step jobs: its environment name, or its URL (never printed by them). */
const arg = (db: DatabaseTarget) => (db.name === 'url' ? db.url : db.name);
const sha256 = (text: string | Buffer) => createHash('sha256').update(text).digest('hex');

export async function runProductionPlan(
  ctx: JobContext,
  o: ProductionPlanOptions,
): Promise<ProductionPlanResult> {
  const started = Date.now();
  const approved = o.verify ? readApprovedPlan(o.verify, o.env) : null;
  const runner = stepRunner(ctx, o.out, o.env);
  /** A step job that must end with one of `codes`; its result. */
  const step = async <R>(job: SealedJob<R>, dir: string, args: string[], codes = [0, 1]) => {
    const { code, record, out } = await runner.run(job, dir, args);
    if (!codes.includes(code) || !record?.result) {
      // A step's bad input (a wrong URL, a role that cannot read) is the plan's bad input: exit 2 too.
      const Failure = code === 2 ? InputError : JobError;
      throw new Failure(
        `${dir} exited ${code}${record?.error ? `: ${record.error.message}` : ''}`,
        `${record?.error?.hint ? `${record.error.hint}; ` : ''}see ${path.join(out, 'summary.md')}; nothing was deployed`,
      );
    }
    return record.result;
  };
  const target = arg(o.target);

  const status = await step(sealed(migrationStatusJob), 'migration-status', ['--db', target, '--dir', o.dir]);
  const { files } = readMigrations(o.dir);
  const state = (version: string) => status.rows.find((r) => r.version === version)?.states[0] ?? 'pending';
  const lint = await step(sealed(lintMigrationsJob), 'lint-migrations', ['--dir', o.dir]);
  const pending = files
    .filter((f) => state(f.version) === 'pending')
    .map((f) => ({
      version: f.version,
      name: f.name,
      file: f.file,
      sha256: sha256(readFileSync(f.path)),
      findings: lint.findings.filter((x) => path.basename(x.file) === f.file),
    }));
  const migrationProblems = status.rows
    .filter((r) => !['applied', 'pending'].includes(r.states[0]!))
    .map((r) => ({ version: r.version, name: r.name, state: r.states[0]! }));

  // Drift against the migrations production already has: those files alone, replayed.
  const applied = files.filter((f) => state(f.version) === 'applied');
  const drift = {
    checked: applied.length > 0,
    drifted: false,
    allowed: o.allowDrift,
    differences: [] as string[],
  };
  if (applied.length) {
    const dir = path.join(o.out, 'applied-migrations');
    rmSync(dir, { recursive: true, force: true });
    mkdirSync(dir, { recursive: true });
    for (const f of applied) copyFileSync(f.path, path.join(dir, f.file));
    const d = await step(sealed(driftJob), 'drift', ['--db', target, '--dir', dir]);
    drift.drifted = d.drifted;
    drift.differences = d.differences.map((x) => `${x.kind} ${x.object}: ${x.change}`).sort();
  }

  const sql = await connect(o.target, {
    applicationName: 'envsync production-plan',
    connectTimeout: o.connectTimeout,
  });
  const inventory = await readInventory(sql, { exactCounts: false }).finally(() => sql.end({ timeout: 5 }));
  const fingerprint = schemaFingerprint(inventory);

  // Content is planned against production as it is: a content table a pending migration has yet
  // to create cannot be compared, so its content waits for the next deploy (never unapproved).
  const contentTables = o.source ? Object.keys(loadConfig(o.config).content?.tables ?? {}) : [];
  const missing = contentTables.filter((t) => !inventory.tables.some((x) => `${x.schema}.${x.name}` === t));
  const contentDeferred = missing.length
    ? `${missing.join(', ')} not on production yet: its content is planned by the next deploy, after the migrations`
    : null;
  let content: ProductionPlanResult['content'] = null;
  if (o.source && contentTables.length && !contentDeferred) {
    const dry = await step(
      sealed(contentSyncJob),
      'content-sync',
      [
        '--source',
        arg(o.source),
        '--target',
        target,
        '--mode',
        'dry-run',
        ...(o.config ? ['--config', o.config] : []),
      ],
      [0],
    );
    content = {
      tables: dry.tables.map((t) => ({
        table: t.table,
        new: t.new,
        changed: t.changed,
        onlyOnTarget: t.onlyOnTarget,
        delete: t.policy.delete,
        blockedBy: t.protectedReferences.map((p) => `${p.rows} row(s) of ${p.table}`),
      })),
      fingerprints: { source: dry.fingerprints!.source, target: dry.fingerprints!.target },
    };
  }

  const decisions: PlanDecisions = {
    pending: pending.map((p) => ({ version: p.version, name: p.name, sha256: p.sha256 })),
    schemaFingerprint: fingerprint,
    drift: { drifted: drift.drifted, allowed: drift.allowed, differences: drift.differences },
    content: content && {
      tables: content.tables.map((t) => ({
        table: t.table,
        new: t.new,
        changed: t.changed,
        onlyOnTarget: t.onlyOnTarget,
      })),
      fingerprints: content.fingerprints,
    },
    contentDeferred,
  };
  const hash = `sha256:${sha256(JSON.stringify(decisions))}`;
  const refused = [
    ...pending.flatMap((p) =>
      p.findings
        .filter((f) => f.severity === 'error')
        .map((f) => `${p.file}:${f.line}: ${f.rule} (lint error)`),
    ),
    ...migrationProblems.map((m) => `${m.version}_${m.name}: ${m.state} on production`),
    ...(drift.drifted && !drift.allowed
      ? [`production has drifted from its applied migrations (${drift.differences.length} difference(s))`]
      : []),
    ...(content?.tables ?? [])
      .filter((t) => t.delete === 'delete' && t.blockedBy.length)
      .map((t) => `${t.table}: ${t.blockedBy.join(', ')} reference rows the content sync would delete`),
  ];
  return {
    target: { name: o.target.name, display: o.target.display },
    source: o.source ? { name: o.source.name, display: o.source.display } : null,
    commit: o.env.GITHUB_SHA || null,
    runId: o.env.GITHUB_RUN_ID || null,
    createdAt: new Date().toISOString(),
    pending,
    migrationProblems,
    drift,
    content,
    contentDeferred,
    schemaFingerprint: fingerprint,
    hash,
    changes:
      pending.length > 0 ||
      (content?.tables ?? []).some(
        (t) => t.new + t.changed + (t.delete === 'delete' ? t.onlyOnTarget : 0) > 0,
      ),
    refused,
    verified: approved && {
      plan: o.verify!,
      hash: approved.hash,
      equal: approved.hash === hash,
      differs: whatDiffers(approved.decisions, decisions),
    },
    decisions,
    durationMs: Date.now() - started,
  };
}

/** The approved plan (exit 2 when it is not one, or was made in another run or for another commit). */
function readApprovedPlan(dir: string, env: NodeJS.ProcessEnv): { hash: string; decisions: PlanDecisions } {
  const file = path.join(dir, PLAN_FILE);
  const plan = (
    readJsonFile(
      file,
      'give the --out directory of the plan job (its artifact)',
    ) as JobRecord<ProductionPlanResult> | null
  )?.result;
  if (!plan?.hash || !plan.decisions)
    throw new InputError(
      `${file} is not a production plan`,
      'download the plan job’s artifact and give its directory',
    );
  for (const [what, mine, theirs] of [
    ['commit', env.GITHUB_SHA, plan.commit],
    ['workflow run', env.GITHUB_RUN_ID, plan.runId],
  ] as const)
    if ((mine || null) !== theirs)
      throw new InputError(
        `${file} was made for ${what} ${theirs ?? '(none: a local run)'}, not this one (${mine || 'none: a local run'})`,
        'deploy only the plan this run made and its approver read; nothing was deployed',
      );
  return { hash: plan.hash, decisions: plan.decisions };
}

/** Which of the plan's decisions moved since it was approved, in a few words each. */
function whatDiffers(was: PlanDecisions, now: PlanDecisions): string[] {
  const same = (a: unknown, b: unknown) => JSON.stringify(a) === JSON.stringify(b);
  return [
    ...(same(was.pending, now.pending) ? [] : ['the pending migrations (or their files)']),
    ...(was.schemaFingerprint === now.schemaFingerprint ? [] : ['production’s schema']),
    ...(same(was.drift, now.drift) ? [] : ['production’s drift']),
    ...(same(was.content, now.content) ? [] : ['the content to promote (either side moved)']),
  ];
}

export const productionPlanJob: Job<ProductionPlanOptions, ProductionPlanResult> = {
  name: 'production-plan',
  description:
    'What a production deploy will do, for the approver: the pending migrations with their lint findings ' +
    '(migration-status, lint-migrations), production’s drift from the migrations it already has (drift), the ' +
    'content a sync would write (content-sync --mode dry-run) — each a real job with its artifacts under ' +
    '<out>/<step> — and a hash over all of it. Exit 1 when the plan must not be deployed (a lint error, a migration ' +
    'edited after it was applied, drift without --allow-drift, a delete users’ rows point at). --verify <plan> ' +
    'recomputes it against production as it is now: exit 1 when the hash differs.',
  examples: [
    'npm run production-plan -- --target production-readonly --source staging --out artifacts/plan',
    'npm run production-plan -- --target production --source staging --verify artifacts/plan --out artifacts/verify',
  ],
  flags: {
    target: {
      type: 'string',
      value: '<env|url>',
      description: 'production (a read-only role is enough: nothing is written)',
    },
    source: {
      type: 'string',
      value: '<env|url>',
      description: 'where content comes from (staging); without it, no content step',
    },
    dir: {
      type: 'string',
      value: '<dir>',
      description: `the migrations (default ${DEFAULT_MIGRATIONS_DIR})`,
    },
    config: { type: 'string', value: '<file>', description: 'the configuration (default envsync.yaml)' },
    'allow-drift': { type: 'boolean', description: 'plan a deploy onto a production that has drifted' },
    verify: {
      type: 'string',
      value: '<dir>',
      description:
        'the approved plan’s --out: recompute and compare its hash (made in this run, for this commit)',
    },
    'connect-timeout': connectTimeoutFlag,
  },
  parse: (flags, env) => {
    const read = readFlags({
      target: () => requireDatabase(flags, 'target', env),
      source: () => (flags.source === undefined ? null : requireDatabase(flags, 'source', env)),
      dir: () => {
        const dir = typeof flags.dir === 'string' ? flags.dir : DEFAULT_MIGRATIONS_DIR;
        readMigrations(dir);
        return dir;
      },
      config: () => {
        const file = typeof flags.config === 'string' ? flags.config : undefined;
        loadConfig(file);
        return file;
      },
      connectTimeout: () => parseConnectTimeout(flags['connect-timeout']),
    });
    return {
      ...read,
      allowDrift: flags['allow-drift'] === true,
      verify: typeof flags.verify === 'string' ? flags.verify : null,
      out: typeof flags.out === 'string' ? flags.out : path.join('artifacts', 'production-plan'),
      env,
    };
  },
  run: runProductionPlan,
  render: renderProductionPlanSummary,
  verdict: (r) => {
    const moved = r.verified && !r.verified.equal;
    return {
      ok: r.refused.length === 0 && !moved,
      headline: moved
        ? `production moved since the plan was approved (${r.verified!.differs.join(', ')}): refused, nothing deployed`
        : r.refused.length
          ? `not deployable: ${r.refused.join('; ')}`
          : `${r.pending.length} migration(s) pending, ${contentRows(r)} content row(s) to write; plan ${r.hash.slice(0, 19)}${r.verified ? ' — the approved plan, unchanged' : ''}`,
      problems: moved ? [`the plan’s hash ${r.verified!.hash} is ${r.hash} now`] : r.refused,
      warnings:
        r.drift.drifted && r.drift.allowed
          ? ['production has drifted; deploying anyway (--allow-drift)']
          : [],
    };
  },
  outputs: (r) => ({
    hash: r.hash,
    changes: r.changes,
    pending: r.pending.length,
    content_rows: contentRows(r),
    content_planned: r.content !== null,
  }),
};

const contentRows = (r: ProductionPlanResult) =>
  (r.content?.tables ?? []).reduce(
    (n, t) => n + t.new + t.changed + (t.delete === 'delete' ? t.onlyOnTarget : 0),
    0,
  );
