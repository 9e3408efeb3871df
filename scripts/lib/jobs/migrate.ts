// migrate: applies pending migrations as the Supabase CLI would record them — its history, its
// statement splitting — and more safely: every pending file in ONE transaction by default, an
// advisory lock against a second run, lock_timeout on every statement with bounded retries,
// edited applied files refused, and a --dry-run that really runs the files and rolls back.

import { EnvsyncError, InputError, JobError, readFlags } from '../base/errors.ts';
import { diffInventories } from '../catalog/diff.ts';
import { readInventory, readInventoryIn } from '../catalog/inventory.ts';
import type { Inventory } from '../catalog/model.ts';
import {
  connectTimeoutFlag,
  parseConnectTimeout,
  parseList,
  requireDatabase,
} from '../cli/database-flags.ts';
import { parseDuration } from '../cli/duration.ts';
import { connect, describePgError, type Query, type Sql } from '../db/connect.ts';
import { guardProduction } from '../db/guards.ts';
import type { DatabaseTarget } from '../db/url.ts';
import { type MigrationFile, readMigrations } from '../migrations/files.ts';
import {
  createHistory,
  historyExists,
  markApplied,
  markReverted,
  readHistory,
  recordMigration,
} from '../migrations/history.ts';
import { type ParsedStatement, parseStatements, positionAt, SqlSyntaxError } from '../migrations/parser.ts';
import {
  addsEnumValue,
  type LocalMigration,
  markedNonTransactional,
  migrationStatus,
  nonTransactional,
} from '../migrations/plan.ts';
import { splitStatements } from '../migrations/split.ts';
import { renderMigrateSummary } from '../report/migrate-summary.ts';
import type {
  AppliedMigrationFile,
  MigrateResult,
  MigrationGroup,
  MigrationStatus,
  SchemaChange,
} from '../results/migrate.ts';
import type { Job, JobContext } from './runner.ts';

export interface MigrateOptions {
  db: DatabaseTarget;
  dir: string;
  dryRun: boolean;
  perFile: boolean;
  allowEdited: boolean;
  includeAll: boolean;
  repair: { status: 'applied' | 'reverted'; versions: string[] } | null;
  lockTimeoutMs: number;
  lockRetries: number;
  /** How long a second run waits for the first before it gives up. */
  waitMs: number;
  allowProduction: boolean;
  connectTimeout: number;
  env: NodeJS.ProcessEnv;
}

/** pg_advisory_lock key of migrate (distinct from sync's, db/lock.ts): 'envsmigr' as 8 bytes. */
export const MIGRATE_LOCK_KEY = 0x656e76736d696772n;

/** A local migration read, split as the CLI splits it, and parsed by PostgreSQL's parser. */
interface Prepared extends LocalMigration {
  text: string;
  parsed: ParsedStatement[];
  /** Each stored statement's line in the file. */
  lines: number[];
  /** Each stored statement: whether it holds one PostgreSQL refuses inside a transaction block. */
  outsideTransaction: boolean[];
}

async function prepare(f: MigrationFile): Promise<Prepared> {
  let parsed: ParsedStatement[];
  try {
    parsed = await parseStatements(f.text);
  } catch (error) {
    if (!(error instanceof SqlSyntaxError)) throw error;
    throw new InputError(
      `${f.file}:${error.position.line}:${error.position.column}: ${error.message}`,
      'fix the migration file; nothing was applied',
    );
  }
  const statements = splitStatements(f.text);
  // Where each stored statement stands in the file (the CLI's splitter keeps it verbatim, trimmed).
  let cursor = 0;
  const spans = statements.map((s) => {
    const at = f.text.indexOf(s, cursor);
    const from = at < 0 ? cursor : at;
    cursor = at < 0 ? cursor : at + s.length;
    return { from, to: from + s.length };
  });
  const refused = nonTransactional(parsed).map((p) => p.start.offset);
  return {
    version: f.version,
    name: f.name,
    file: f.file,
    statements,
    text: f.text,
    parsed,
    lines: spans.map((s) => positionAt(f.text, s.from).line),
    outsideTransaction: spans.map((s) => refused.some((o) => o >= s.from && o < s.to)),
  };
}

/** Pending files grouped into transactions: all in one by default, a boundary where PostgreSQL needs one. */
function groupsOf(pending: Prepared[], perFile: boolean): MigrationGroup[] {
  const groups: MigrationGroup[] = [];
  let open: MigrationGroup | null = null;
  for (const m of pending) {
    const s = nonTransactional(m.parsed)[0];
    if (s || markedNonTransactional(m.text)) {
      groups.push({
        files: [m.file],
        transaction: false,
        reason: s
          ? `line ${s.start.line}: ${s.kind} cannot run inside a transaction block; run on its own, its history row after it`
          : 'marked `-- pg-delta: transaction=false` (as the Supabase CLI reads it): run on its own, its history row after it',
      });
      open = null;
      continue;
    }
    if (!open || perFile) {
      open = { files: [], transaction: true };
      groups.push(open);
    }
    open.files.push(m.file);
    if (addsEnumValue(m.parsed) && !perFile) {
      open.reason = `${m.file} adds an enum value, usable only once its transaction commits`;
      open = null;
    }
  }
  return groups;
}

const lockTimedOut = (error: unknown) => (error as { code?: string }).code === '55P03';

/** The session's advisory lock: never two runs applying at once; the second waits `waitMs`, then names the first. */
async function lockMigrations(sql: Sql, o: MigrateOptions): Promise<void> {
  await sql`select set_config('lock_timeout', ${`${o.waitMs}ms`}, false)`;
  try {
    await sql`select pg_advisory_lock(${MIGRATE_LOCK_KEY.toString()}::int8)`;
  } catch (error) {
    if (!lockTimedOut(error)) throw error;
    const holders = await sql`
      select a.pid, coalesce(a.application_name, '') as app, coalesce(a.usename, '') as usr
      from pg_locks l join pg_stat_activity a on a.pid = l.pid
      where l.locktype = 'advisory' and l.granted and l.database = (select oid from pg_database where datname = current_database())
        and ((l.classid::int8 << 32) | l.objid::int8) = ${MIGRATE_LOCK_KEY.toString()}::int8`;
    throw new JobError(
      `another migrate run holds ${o.db.display} (${holders.map((h) => `pid ${h.pid}, ${h.usr}${h.app ? `, ${h.app}` : ''}`).join('; ') || 'its session just ended'}): waited ${o.waitMs / 1000} s`,
      'wait for it to finish and run again; migrations are never applied by two runs at once',
    );
  } finally {
    await sql`select set_config('lock_timeout', '0', false)`.catch(() => {});
  }
}

/** A statement failed: the file and line, the server's words, and what stayed applied. */
function statementError(m: Prepared, index: number, error: unknown, kept: string): JobError {
  if (error instanceof EnvsyncError) return error as JobError;
  const line = m.lines[index] ?? 1;
  return new JobError(`${m.file}:${line}: ${describePgError(error)}`, kept, {
    detail: { file: m.file, line, statement: (m.statements[index] ?? '').slice(0, 2000) },
  });
}

/** Runs one file's statements and, unless rehearsing, its history row, on `tx`. */
async function applyFile(
  tx: Query,
  m: Prepared,
  o: MigrateOptions,
  kept: string,
  rehearse: boolean,
): Promise<AppliedMigrationFile> {
  const started = Date.now();
  // As the CLI does between files: no setting of an earlier file leaks into this one.
  await tx.unsafe('RESET ALL');
  await tx`select set_config('lock_timeout', ${`${o.lockTimeoutMs}ms`}, true)`;
  const timings: AppliedMigrationFile['statements'] = [];
  const notRehearsed: NonNullable<AppliedMigrationFile['notRehearsed']> = [];
  for (const [i, statement] of m.statements.entries()) {
    if (rehearse && m.outsideTransaction[i]) {
      notRehearsed.push({ line: m.lines[i]!, reason: 'cannot run inside the rehearsal’s transaction' });
      continue;
    }
    const t = Date.now();
    try {
      await tx.unsafe(statement);
    } catch (error) {
      if (lockTimedOut(error)) throw error;
      throw statementError(m, i, error, kept);
    }
    timings.push({ line: m.lines[i]!, ms: Date.now() - t });
  }
  if (!rehearse) await recordMigration(tx, m);
  return {
    version: m.version,
    name: m.name,
    file: m.file,
    ms: Date.now() - started,
    statements: timings,
    ...(notRehearsed.length ? { notRehearsed } : {}),
  };
}

/** One transaction's files, retried from the start when a lock cannot be had within --lock-timeout. */
async function applyGroup(
  ctx: JobContext,
  sql: Sql,
  files: Prepared[],
  o: MigrateOptions,
  retries: { count: number },
): Promise<AppliedMigrationFile[]> {
  const kept = o.perFile
    ? 'this file was rolled back; the files before it stay applied (--per-file)'
    : 'nothing of this run was applied: its transaction was rolled back';
  for (let attempt = 0; ; attempt++) {
    // Opened by hand, as elsewhere: a dead connection is closed, never sent a ROLLBACK to wait on.
    await sql.unsafe('begin');
    try {
      if (!(await historyExists(sql))) await createHistory(sql);
      const applied: AppliedMigrationFile[] = [];
      for (const m of files) {
        ctx.log.info(`  applying ${m.file}`);
        applied.push(await applyFile(sql, m, o, kept, false));
      }
      await sql.unsafe('commit');
      return applied;
    } catch (error) {
      await sql.unsafe('rollback').catch(() => {});
      if (!lockTimedOut(error)) throw error;
      if (attempt >= o.lockRetries) {
        throw new JobError(
          `a lock needed by ${files.map((f) => f.file).join(', ')} was not granted within ${o.lockTimeoutMs} ms, ${attempt + 1} time(s): ${describePgError(error)}`,
          `${kept}; run again when the tables are quieter, or raise --lock-timeout (traffic queues behind a waiting ALTER)`,
        );
      }
      retries.count++;
      ctx.log.warn(
        `  lock timeout (${describePgError(error)}): retrying (${attempt + 1} of ${o.lockRetries})`,
      );
      await new Promise((r) => setTimeout(r, 250 * 2 ** attempt));
    }
  }
}

/** A file PostgreSQL refuses in a transaction: its statements one by one, then its history row. */
async function applyAlone(
  ctx: JobContext,
  sql: Sql,
  m: Prepared,
  o: MigrateOptions,
): Promise<AppliedMigrationFile> {
  ctx.log.info(`  applying ${m.file} outside a transaction (it holds a statement that needs that)`);
  if (!(await historyExists(sql))) await createHistory(sql);
  const started = Date.now();
  await sql.unsafe('RESET ALL');
  await sql`select set_config('lock_timeout', ${`${o.lockTimeoutMs}ms`}, false)`;
  const timings: AppliedMigrationFile['statements'] = [];
  for (const [i, statement] of m.statements.entries()) {
    const t = Date.now();
    try {
      await sql.unsafe(statement);
    } catch (error) {
      throw statementError(
        m,
        i,
        error,
        `the statements of ${m.file} before line ${m.lines[i]} ran (they cannot be undone in a transaction) and no history row was written: fix the file and run again`,
      );
    }
    timings.push({ line: m.lines[i]!, ms: Date.now() - t });
  }
  await recordMigration(sql, m);
  await sql`select set_config('lock_timeout', '0', false)`;
  return { version: m.version, name: m.name, file: m.file, ms: Date.now() - started, statements: timings };
}

/** What the migrations did to the schema, through the one catalog model. */
function schemaChanges(before: Inventory, after: Inventory): SchemaChange[] {
  const words = { 'missing on target': 'created', 'only on target': 'dropped', differs: 'altered' } as const;
  return diffInventories(after, before).map((d) => ({
    kind: d.kind,
    object: d.object,
    change: words[d.change],
  }));
}

/** Refuses a state the CLI refuses (and an edited applied file, which it does not notice). */
function checkState(status: MigrationStatus[], o: MigrateOptions): void {
  const of = (state: MigrationStatus['state']) => status.filter((s) => s.state === state);
  const missing = of('missing locally');
  if (missing.length)
    throw new JobError(
      `applied on ${o.db.display} but not in ${o.dir}: ${missing.map((m) => m.version).join(', ')}`,
      `restore the files, or mark them reverted: npm run migrate -- --db ${o.db.name} --repair reverted ${missing.map((m) => m.version).join(' ')} (as supabase migration repair does)`,
    );
  const edited = of('edited');
  if (edited.length && !o.allowEdited)
    throw new JobError(
      `applied migrations edited since: ${edited.map((m) => m.file).join(', ')} (their statements differ from those stored when they ran)`,
      'put the files back as they were applied and make a new migration for the change; --allow-edited goes on anyway',
    );
  const late = of('out of order');
  if (late.length && !o.includeAll)
    throw new JobError(
      `older than the latest applied migration: ${late.map((m) => m.file).join(', ')}`,
      'give them a later version, or pass --include-all to apply them out of order (as supabase db push --include-all)',
    );
}

export async function runMigrate(ctx: JobContext, o: MigrateOptions): Promise<MigrateResult> {
  const started = Date.now();
  const { files, skipped } = readMigrations(o.dir);
  for (const s of skipped) ctx.log.info(`  skipping ${s}: not <version>_<name>.sql`);
  const local = await Promise.all(files.map(prepare));
  const sql = await connect(o.db, { applicationName: 'envsync migrate', connectTimeout: o.connectTimeout });
  try {
    await guardProduction(sql, o.db, o.env, o.allowProduction, 'migrate');
    await lockMigrations(sql, o);
    const outline = {
      database: { name: o.db.name, display: o.db.display },
      dir: o.dir,
      dryRun: o.dryRun,
      perFile: o.perFile,
      skipped,
      lockRetries: 0,
    };
    if (o.repair)
      return { ...outline, ...(await repair(sql, local, o, o.repair)), durationMs: Date.now() - started };
    const status = migrationStatus(local, await readHistory(sql));
    checkState(status, o);
    const wanted = new Set(
      status
        .filter((s) => s.state === 'pending' || (o.includeAll && s.state === 'out of order'))
        .map((s) => s.version),
    );
    const pending = local.filter((m) => wanted.has(m.version));
    const groups = groupsOf(pending, o.perFile);
    ctx.log.info(
      `migrate ${o.db.display}: ${pending.length} pending of ${local.length}${o.dryRun ? ' (dry run: run, then rolled back)' : ''}`,
    );
    const before = await readInventory(sql, { exactCounts: false });
    const retries = { count: 0 };
    let applied: AppliedMigrationFile[];
    let changes: SchemaChange[];
    if (o.dryRun) ({ applied, changes } = await rehearse(ctx, sql, pending, o, before));
    else {
      applied = [];
      const byFile = new Map(pending.map((m) => [m.file, m]));
      for (const g of groups) {
        const members = g.files.map((f) => byFile.get(f)!);
        if (g.transaction) applied.push(...(await applyGroup(ctx, sql, members, o, retries)));
        else applied.push(await applyAlone(ctx, sql, members[0]!, o));
      }
      changes = applied.length ? schemaChanges(before, await readInventory(sql, { exactCounts: false })) : [];
    }
    return {
      ...outline,
      status,
      groups,
      applied,
      repaired: null,
      changes,
      lockRetries: retries.count,
      durationMs: Date.now() - started,
    };
  } finally {
    await sql.end({ timeout: 5 });
  }
}

/** --dry-run: every pending file really run in one transaction, its changes read, then rolled back. */
async function rehearse(
  ctx: JobContext,
  sql: Sql,
  pending: Prepared[],
  o: MigrateOptions,
  before: Inventory,
): Promise<{ applied: AppliedMigrationFile[]; changes: SchemaChange[] }> {
  await sql.unsafe('begin');
  try {
    const applied: AppliedMigrationFile[] = [];
    for (const m of pending) {
      ctx.log.info(`  rehearsing ${m.file}`);
      applied.push(await applyFile(sql, m, o, 'a dry run: nothing was applied', true));
    }
    const changes = schemaChanges(before, await readInventoryIn(sql, { exactCounts: false }));
    return { applied, changes };
  } finally {
    await sql.unsafe('rollback').catch(() => {});
  }
}

/** --repair applied|reverted <version…>: history rows written or deleted, as `supabase migration repair`. */
async function repair(
  sql: Sql,
  local: Prepared[],
  o: MigrateOptions,
  r: NonNullable<MigrateOptions['repair']>,
): Promise<
  Omit<MigrateResult, 'database' | 'dir' | 'dryRun' | 'perFile' | 'skipped' | 'lockRetries' | 'durationMs'>
> {
  const byVersion = new Map(local.map((m) => [m.version, m]));
  const unknown = r.versions.filter((v) => r.status === 'applied' && !byVersion.has(v));
  if (unknown.length)
    throw new InputError(
      `--repair applied: no local migration has version ${unknown.join(', ')}`,
      `choose among the files in ${o.dir}`,
    );
  await sql.unsafe('begin');
  try {
    if (!(await historyExists(sql))) await createHistory(sql);
    if (r.status === 'applied') for (const v of r.versions) await markApplied(sql, byVersion.get(v)!);
    else await markReverted(sql, r.versions);
    await sql.unsafe('commit');
  } catch (error) {
    await sql.unsafe('rollback').catch(() => {});
    throw error;
  }
  return {
    status: migrationStatus(local, await readHistory(sql)),
    groups: [],
    applied: [],
    repaired: r,
    changes: [],
  };
}

function parseRepair(flags: Record<string, unknown>, positionals: string[]): MigrateOptions['repair'] {
  const status = flags.repair;
  if (status === undefined) return null;
  if (status !== 'applied' && status !== 'reverted')
    throw new InputError(
      `--repair ${String(status)} is not applied or reverted`,
      'use --repair applied <version…>',
    );
  const versions = parseList(flags.version) ?? positionals;
  if (!versions.length || versions.some((v) => !/^[0-9]+$/.test(v)))
    throw new InputError(
      `--repair ${status} needs versions (digits): --version 20260101120000,20260102090000`,
      'name the versions to mark',
    );
  return { status, versions };
}

export const migrateJob: Job<MigrateOptions, MigrateResult> = {
  name: 'migrate',
  description:
    'Applies pending migrations from --dir to --db, recorded in supabase_migrations.schema_migrations exactly as ' +
    'the Supabase CLI records them (it then sees them applied). Every pending file in ONE transaction (--per-file: ' +
    'the CLI’s one per file); a file PostgreSQL refuses in a transaction (CREATE INDEX CONCURRENTLY…) runs on its ' +
    'own. An advisory lock keeps a second run out; lock_timeout on every statement, retried; an applied file ' +
    'edited since is refused. --dry-run runs every file and rolls back.',
  examples: [
    'npm run migrate -- --db staging',
    'npm run migrate -- --db staging --dry-run',
    'npm run migrate -- --db staging --repair reverted --version 20260101120000',
  ],
  flags: {
    db: { type: 'string', value: '<env|url>', description: 'the database to migrate' },
    dir: { type: 'string', value: '<dir>', description: 'the migrations (default supabase/migrations)' },
    'dry-run': { type: 'boolean', description: 'run every pending file in a transaction, report, roll back' },
    'per-file': { type: 'boolean', description: 'one transaction per file (the CLI’s behaviour)' },
    'allow-edited': { type: 'boolean', description: 'go on although an applied file was edited since' },
    'include-all': { type: 'boolean', description: 'apply files older than the latest applied one' },
    repair: {
      type: 'string',
      value: '<applied|reverted>',
      description: 'only write (or delete) history rows for --version, as supabase migration repair',
    },
    version: { type: 'string', value: '<v,…>', description: 'the versions --repair marks' },
    'lock-timeout': {
      type: 'string',
      value: '<duration>',
      description: 'how long a statement may wait for a lock (default 5s)',
    },
    'lock-retries': { type: 'string', value: '<n>', description: 'retries after a lock timeout (default 3)' },
    wait: {
      type: 'string',
      value: '<duration>',
      description: 'how long to wait for another migrate run on the database (default 60s)',
    },
    'allow-production': { type: 'boolean', description: 'allow a production database' },
    'connect-timeout': connectTimeoutFlag,
  },
  parse(flags, env) {
    const read = readFlags({
      db: () => requireDatabase(flags, 'db', env),
      repair: () => parseRepair(flags, []),
      lockTimeoutMs: () => parseDuration('--lock-timeout', flags['lock-timeout'], 5_000, 600_000),
      waitMs: () => parseDuration('--wait', flags.wait, 60_000, 3_600_000),
      lockRetries: () => {
        const n = flags['lock-retries'] === undefined ? 3 : Number(flags['lock-retries']);
        if (!Number.isInteger(n) || n < 0 || n > 20)
          throw new InputError(
            `--lock-retries ${String(flags['lock-retries'])} is not 0 to 20`,
            'use e.g. --lock-retries 3',
          );
        return n;
      },
      connectTimeout: () => parseConnectTimeout(flags['connect-timeout']),
    });
    return {
      ...read,
      dir: typeof flags.dir === 'string' ? flags.dir : 'supabase/migrations',
      dryRun: flags['dry-run'] === true,
      perFile: flags['per-file'] === true,
      allowEdited: flags['allow-edited'] === true,
      includeAll: flags['include-all'] === true,
      allowProduction: flags['allow-production'] === true,
      env,
    };
  },
  run: runMigrate,
  render: renderMigrateSummary,
  verdict: (r) => ({
    ok: true,
    headline: r.repaired
      ? `history repaired on ${r.database.display}: ${r.repaired.versions.join(', ')} marked ${r.repaired.status}`
      : r.dryRun
        ? `dry run: ${r.applied.length} pending migration(s) ran and were rolled back on ${r.database.display}; ${r.changes.length} object change(s)`
        : r.applied.length
          ? `${r.applied.length} migration(s) applied to ${r.database.display} in ${r.groups.length} transaction(s)/step(s); ${r.changes.length} object change(s)`
          : `${r.database.display} is up to date (${r.status.length} migration(s) applied)`,
    problems: [],
    warnings: [
      ...r.status
        .filter((s) => s.state === 'edited')
        .map((s) => `${s.file}: applied, and edited since (--allow-edited)`),
      ...(r.lockRetries ? [`${r.lockRetries} lock timeout(s) retried`] : []),
    ],
  }),
  outputs: (r) => ({ applied: r.applied.length, changes: r.changes.length, dry_run: r.dryRun }),
};
