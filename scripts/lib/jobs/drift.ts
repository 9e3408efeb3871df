// drift: is an environment what its migrations make? The migrations are replayed on a throwaway
// Supabase-shaped cluster with the migrate core, both sides read through the one catalog model
// and compared object by object, and the replayed plpgsql bodies checked with plpgsql_check.
// Or two environments' schemas compared the same way. The environments are only ever read.

import { EnvsyncError, InputError, JobError, readFlags } from '../base/errors.ts';
import type { ParsedFlags } from '../base/flags.ts';
import { TimedSteps } from '../base/timed-steps.ts';
import { diffInventories, signatures } from '../catalog/diff.ts';
import { readInventory } from '../catalog/inventory.ts';
import type { Inventory } from '../catalog/model.ts';
import {
  connectTimeoutFlag,
  parseConnectTimeout,
  requireDatabase,
  requireSourceAndTarget,
} from '../cli/database-flags.ts';
import { connect, describePgError, type Sql } from '../db/connect.ts';
import { type DatabaseTarget, redactUrl, urlSecrets } from '../db/url.ts';
import { startSupabaseCluster } from '../demo/environment.ts';
import { readMigrations } from '../migrations/files.ts';
import { checkFunctionBodies } from '../migrations/function-check.ts';
import { renderDriftSummary } from '../report/drift-summary.ts';
import { groupObjectChanges } from '../report/object-changes.ts';
import type { DriftResult, FunctionCheck, FunctionProblem, MigrationReplay } from '../results/drift.ts';
import type { ObjectDifference } from '../results/plan.ts';
import { openPair } from '../sync/scope.ts';
import { type MigrateOptions, runMigrate } from './migrate.ts';
import type { Job, JobContext, Logger, VerdictItem } from './runner.ts';

export const DEFAULT_MIGRATIONS_DIR = 'supabase/migrations';

export interface DriftOptions {
  mode:
    | { kind: 'migrations'; db: DatabaseTarget; dir: string }
    | { kind: 'environments'; source: DatabaseTarget; target: DatabaseTarget };
  connectTimeout: number;
  env: NodeJS.ProcessEnv;
}

type MigrationsMode = Extract<DriftOptions['mode'], { kind: 'migrations' }>;
type EnvironmentsMode = Extract<DriftOptions['mode'], { kind: 'environments' }>;

const BUCKETS = ['cluster', 'migrations', 'expectedCatalog', 'actualCatalog', 'functionCheck'] as const;
type Steps = TimedSteps<(typeof BUCKETS)[number]>;

const REPLAYING = 'replaying the migrations';

/** A failure inside a step, named by it; bad input stays bad input (exit 2). */
function failedDuring(step: string, error: unknown): EnvsyncError {
  if (error instanceof InputError) return error;
  if (error instanceof JobError && step === REPLAYING) {
    return new JobError(
      `the migrations do not replay on a fresh Supabase-shaped database: ${error.message}`,
      'fix the migration: a new environment built from these files fails the same way (the environment was only read)',
      error.detail ? { detail: error.detail } : {},
    );
  }
  if (error instanceof EnvsyncError) return error;
  return new JobError(
    `drift failed during ${step}: ${describePgError(error)}`,
    'the environments were only read, never changed; rerun with --verbose for the stack trace if it persists',
    { cause: error },
  );
}

const connectTo = (db: DatabaseTarget, o: DriftOptions) =>
  connect(db, { applicationName: 'envsync drift', connectTimeout: o.connectTimeout });

/** The catalog of one database, read in its own read-only snapshot (row counts estimated only). */
async function readCatalog(sql: Sql): Promise<Inventory> {
  try {
    return await readInventory(sql, { exactCounts: false });
  } finally {
    await sql.end({ timeout: 5 });
  }
}

/** The throwaway cluster as a target the migrate core takes (its URL is this run's alone). */
function replayTarget(url: string): DatabaseTarget {
  return { flag: 'the replay', name: 'migrations', url, display: redactUrl(url), secrets: urlSecrets(url) };
}

/** The migrate core's lines, marked as the replay's. */
function replayLog(log: Logger): Logger {
  return { info: (line) => log.info(`  [replay] ${line}`), warn: (line) => log.warn(`[replay] ${line}`) };
}

/** Every migration applied as `migrate` applies them: one transaction, split where PostgreSQL needs it. */
function replayOptions(db: DatabaseTarget, dir: string, o: DriftOptions): MigrateOptions {
  return {
    db,
    dir,
    dryRun: false,
    perFile: false,
    allowEdited: false,
    includeAll: false,
    repair: null,
    // Nothing else runs on the throwaway cluster: no lock to wait for.
    lockTimeoutMs: 60_000,
    lockRetries: 0,
    waitMs: 60_000,
    allowProduction: false,
    connectTimeout: o.connectTimeout,
    env: {},
  };
}

const appSchemas = (inv: Inventory) => inv.schemas.filter((s) => !s.platform).map((s) => s.name);

interface Replayed {
  inventory: Inventory;
  replay: MigrationReplay;
  functionCheck: FunctionCheck;
}

/**
 * The migrations of `dir` applied to a throwaway cluster on the platform fixture, read through
 * the catalog model, their function bodies checked; the cluster is destroyed however this ends.
 */
async function replayMigrations(
  ctx: JobContext,
  o: DriftOptions,
  dir: string,
  steps: Steps,
): Promise<Replayed> {
  const s = await steps.run('starting a throwaway cluster', 'cluster', () => startSupabaseCluster('drift'));
  try {
    const db = replayTarget(s.url);
    const migrated = await steps.run(REPLAYING, 'migrations', () =>
      runMigrate({ log: replayLog(ctx.log), now: ctx.now }, replayOptions(db, dir, o)),
    );
    const inventory = await steps.run('reading the replayed migrations', 'expectedCatalog', async () =>
      readCatalog(await connectTo(db, o)),
    );
    const functionCheck = await steps.run(
      'checking function bodies with plpgsql_check',
      'functionCheck',
      async () => {
        const admin = s.cluster.admin();
        try {
          return await checkFunctionBodies(admin, appSchemas(inventory));
        } finally {
          await admin.end({ timeout: 5 });
        }
      },
    );
    return {
      inventory,
      functionCheck,
      replay: {
        dir,
        files: migrated.applied.map((a) => a.file),
        skipped: migrated.skipped,
      },
    };
  } finally {
    await s.cluster.destroy();
  }
}

/** How many objects of the catalog model a database has (what the comparison went through). */
const objectCount = (inv: Inventory) => [...signatures(inv).values()].reduce((n, m) => n + m.size, 0);

function compared(expected: Inventory, actual: Inventory) {
  const differences = diffInventories(expected, actual);
  return {
    differences,
    serverVersions: { expected: expected.database.serverVersion, actual: actual.database.serverVersion },
    objectsCompared: { expected: objectCount(expected), actual: objectCount(actual) },
    drifted: differences.length > 0,
  };
}

async function driftFromMigrations(
  ctx: JobContext,
  o: DriftOptions,
  m: MigrationsMode,
): Promise<DriftResult> {
  const started = ctx.now().getTime();
  const steps: Steps = new TimedSteps(BUCKETS, failedDuring, () => ctx.now().getTime());
  ctx.log.info(`drift: ${m.db.display} against the migrations in ${m.dir}`);
  // Connected first, so a wrong address fails before a cluster starts; read while the migrations
  // replay, and awaited once the cluster is gone.
  const env = await connectTo(m.db, o);
  const actualRead = steps.run(`reading ${m.db.display}`, 'actualCatalog', () => readCatalog(env));
  actualRead.catch(() => {});
  const replayed = await replayMigrations(ctx, o, m.dir, steps);
  const actual = await actualRead;
  const result: DriftResult = {
    mode: 'migrations',
    expected: { name: 'migrations', display: m.dir },
    actual: { name: m.db.name, display: m.db.display },
    replay: replayed.replay,
    ...compared(replayed.inventory, actual),
    functionCheck: replayed.functionCheck,
    timings: {
      clusterMs: steps.ms.cluster,
      migrationsMs: steps.ms.migrations,
      expectedCatalogMs: steps.ms.expectedCatalog,
      actualCatalogMs: steps.ms.actualCatalog,
      functionCheckMs: steps.ms.functionCheck,
      totalMs: ctx.now().getTime() - started,
    },
  };
  logOutcome(ctx, result);
  return result;
}

async function driftBetweenEnvironments(
  ctx: JobContext,
  o: DriftOptions,
  m: EnvironmentsMode,
): Promise<DriftResult> {
  const started = ctx.now().getTime();
  const steps: Steps = new TimedSteps(BUCKETS, failedDuring, () => ctx.now().getTime());
  ctx.log.info(`drift: ${m.target.display} against ${m.source.display} (schema only)`);
  // Connected first: the same database however written is refused before anything is read.
  const pair = await openPair(m.source, m.target, 'drift', o.connectTimeout);
  let expected: Inventory;
  let actual: Inventory;
  try {
    [expected, actual] = await Promise.all([
      steps.run(`reading ${m.source.display}`, 'expectedCatalog', () =>
        readInventory(pair.src, { exactCounts: false }),
      ),
      steps.run(`reading ${m.target.display}`, 'actualCatalog', () =>
        readInventory(pair.tgt, { exactCounts: false }),
      ),
    ]);
  } finally {
    await pair.close();
  }
  const result: DriftResult = {
    mode: 'environments',
    expected: { name: m.source.name, display: m.source.display },
    actual: { name: m.target.name, display: m.target.display },
    replay: null,
    ...compared(expected, actual),
    functionCheck: null,
    timings: {
      clusterMs: null,
      migrationsMs: null,
      expectedCatalogMs: steps.ms.expectedCatalog,
      actualCatalogMs: steps.ms.actualCatalog,
      functionCheckMs: null,
      totalMs: ctx.now().getTime() - started,
    },
  };
  logOutcome(ctx, result);
  return result;
}

function logOutcome(ctx: JobContext, r: DriftResult): void {
  const check = r.functionCheck;
  ctx.log.info(
    `  compared ${r.objectsCompared.actual} objects with ${r.objectsCompared.expected} expected; ${r.differences.length} difference(s)` +
      (check
        ? check.available
          ? `; ${check.functions} plpgsql function(s) checked, ${check.problems.length} finding(s)`
          : `; ${check.note}`
        : ''),
  );
}

export async function runDrift(ctx: JobContext, o: DriftOptions): Promise<DriftResult> {
  return o.mode.kind === 'migrations'
    ? driftFromMigrations(ctx, o, o.mode)
    : driftBetweenEnvironments(ctx, o, o.mode);
}

/** --dir: a readable directory holding migrations (checked before anything connects). */
function migrationsDir(value: unknown): string {
  const dir = typeof value === 'string' ? value : DEFAULT_MIGRATIONS_DIR;
  if (!readMigrations(dir).files.length)
    throw new InputError(
      `--dir ${dir} holds no migrations (<version>_<name>.sql files)`,
      `give the migrations directory, e.g. --dir ${DEFAULT_MIGRATIONS_DIR}`,
    );
  return dir;
}

const MODES_HINT =
  'npm run drift -- --db staging (staging against the migrations), or npm run drift -- --source staging --target production (two environments)';

/** --db [--dir], or --source and --target: one of the two, never both. */
function driftMode(flags: ParsedFlags, env: NodeJS.ProcessEnv): DriftOptions['mode'] {
  const pair = flags.source !== undefined || flags.target !== undefined;
  if (flags.db !== undefined && pair)
    throw new InputError(
      '--db and --source/--target are two ways to run drift: give one of them',
      MODES_HINT,
    );
  if (pair) {
    const { databases } = readFlags({
      dir: () => {
        if (flags.dir !== undefined)
          throw new InputError(
            '--dir goes with --db (an environment against the migrations), not with --source/--target',
            'drop --dir, or check one environment against the migrations: --db staging --dir <dir>',
          );
      },
      databases: () => requireSourceAndTarget(flags, env, 'drift', false),
    });
    return { kind: 'environments', ...databases };
  }
  if (flags.db === undefined)
    throw new InputError('drift needs --db <env> or --source <env> --target <env>', MODES_HINT);
  const { db, dir } = readFlags({
    db: () => requireDatabase(flags, 'db', env),
    dir: () => migrationsDir(flags.dir),
  });
  return { kind: 'migrations', db, dir };
}

/** `staging`, or the address of a database given by URL; `the migrations` for the replay. */
function sideName(side: DriftResult['expected']): string {
  if (side.name === 'migrations') return 'the migrations';
  return side.name === 'url' ? side.display : side.name;
}

function differenceLine(d: ObjectDifference, r: DriftResult): string {
  const [expected, actual] = [sideName(r.expected), sideName(r.actual)];
  const what =
    d.change === 'missing on target'
      ? `missing on ${actual} (${expected} ${r.mode === 'migrations' ? 'make' : 'has'} it)`
      : d.change === 'only on target'
        ? `extra on ${actual} (not in ${expected})`
        : `differs on ${actual} (${(d.fields ?? []).map((f) => f.field).join(', ')})`;
  return `${d.kind} ${d.object}: ${what}`;
}

function problemItem(p: FunctionProblem): VerdictItem {
  const where = `${p.function}${p.relation ? ` (trigger on ${p.relation})` : ''}${p.line ? ` line ${p.line}` : ''}`;
  // plpgsql_check gives its own warnings SQLSTATE 00000 (successful completion).
  const code = p.sqlstate && p.sqlstate !== '00000' ? ` (${p.sqlstate})` : '';
  return `${where}: ${p.level}: ${p.message}${code}`;
}

const isError = (p: FunctionProblem) => p.level === 'error';

const major = (version: string) => Number.parseInt(version, 10);

/** Replayed on another major than the environment's: some differences may be the version's alone. */
function versionWarning(r: DriftResult): string[] {
  const { expected, actual } = r.serverVersions;
  if (r.mode !== 'migrations' || !r.drifted || major(expected) === major(actual)) return [];
  return [
    `the migrations were replayed on PostgreSQL ${major(expected)}, ${sideName(r.actual)} runs ${major(actual)}: ` +
      `some differences may come from the version alone (printed definitions, PostgreSQL 17's MAINTAIN privilege); ` +
      `install PostgreSQL ${major(actual)} server binaries here to replay on the same major (the newest found is used; PG_BIN adds a directory)`,
  ];
}

function headline(r: DriftResult): string {
  const [expected, actual] = [sideName(r.expected), sideName(r.actual)];
  const objects = groupObjectChanges(r.differences).length;
  const against =
    r.mode === 'migrations'
      ? `its migrations (${r.replay?.files.length ?? 0} in ${r.expected.display})`
      : `${expected} (schema only)`;
  const drift = r.drifted
    ? `${actual} has drifted from ${against}: ${objects} object(s) differ`
    : `${actual} matches ${against}: ${r.objectsCompared.actual} objects compared`;
  const check = r.functionCheck;
  if (!check) return drift;
  if (!check.available) return `${drift}; function bodies not checked (plpgsql_check not installed)`;
  const errors = check.problems.filter(isError).length;
  return `${drift}; plpgsql_check: ${errors} error(s), ${check.problems.length - errors} warning(s) in ${check.functions} plpgsql function(s)`;
}

export const driftJob: Job<DriftOptions, DriftResult> = {
  name: 'drift',
  description:
    'Is an environment what its migrations make? --db replays every migration of --dir on a throwaway ' +
    'Supabase-shaped cluster with the migrate core and compares its app schemas with the environment’s, object ' +
    'by object through the catalog model (tables, columns, constraints, indexes, views, functions, triggers, RLS, ' +
    'policies, grants, default privileges, sequences, enums, extensions, every other kind); plpgsql_check, where ' +
    'installed, checks the replayed plpgsql bodies. --source/--target compares two environments’ schemas the ' +
    'same way (no data). Read-only on the environments. Exit 1 on drift or a function body error.',
  examples: [
    'npm run drift -- --db staging',
    'npm run drift -- --db production --dir supabase/migrations',
    'npm run drift -- --source staging --target production',
  ],
  flags: {
    db: {
      type: 'string',
      value: '<env|url>',
      description: 'the environment to check against the migrations',
    },
    dir: {
      type: 'string',
      value: '<dir>',
      description: `the migrations, with --db (default ${DEFAULT_MIGRATIONS_DIR})`,
    },
    source: { type: 'string', value: '<env|url>', description: 'the environment the target should match' },
    target: { type: 'string', value: '<env|url>', description: 'the environment to check against --source' },
    'connect-timeout': connectTimeoutFlag,
  },
  parse(flags, env) {
    const { mode, connectTimeout } = readFlags({
      mode: () => driftMode(flags, env),
      connectTimeout: () => parseConnectTimeout(flags['connect-timeout']),
    });
    return { mode, connectTimeout, env };
  },
  run: runDrift,
  render: renderDriftSummary,
  verdict: (r) => {
    const problems = r.functionCheck?.problems ?? [];
    const errors = problems.filter(isError);
    return {
      ok: !r.drifted && errors.length === 0,
      headline: headline(r),
      problems: [
        ...r.differences.slice(0, 50).map((d) => differenceLine(d, r)),
        ...(r.differences.length > 50 ? [`… and ${r.differences.length - 50} more (see drift.json)`] : []),
        ...errors.map(problemItem),
      ],
      warnings: [
        ...versionWarning(r),
        ...problems.filter((p) => !isError(p)).map(problemItem),
        ...(r.functionCheck?.unchecked ?? []).map((u) => `${u.function}: not checked (${u.reason})`),
        ...(r.functionCheck?.note ? [r.functionCheck.note] : []),
      ],
    };
  },
  outputs: (r) => ({
    drifted: r.drifted,
    differences: r.differences.length,
    function_errors: r.functionCheck?.problems.filter(isError).length ?? 0,
    function_warnings: r.functionCheck?.problems.filter((p) => !isError(p)).length ?? 0,
  }),
};
