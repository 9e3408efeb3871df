// sync: makes the target an exact replica of the source — app schemas' DDL, every row,
// sequences, grants, RLS and policies, the platform tables' rows and the app's objects
// on them — in ONE target transaction, reading the source from ONE exported snapshot.
// Any error, kill or disconnect leaves the target exactly as it was.

import { EnvsyncError, InputError, JobError, readFlags } from '../base/errors.ts';
import { TimedSteps } from '../base/timed-steps.ts';
import { diffInventories } from '../catalog/diff.ts';
import { readInventory, readInventoryIn } from '../catalog/inventory.ts';
import { canActAs, type Inventory } from '../catalog/model.ts';
import { readSnapshot, type Snapshot } from '../catalog/snapshot.ts';
import { loadConfig, maskingFlags, parseMaskingFlags } from '../cli/config.ts';
import {
  connectTimeoutFlag,
  parseConnectTimeout,
  parseList,
  platformTablesFlag,
  requireSourceAndTarget,
} from '../cli/database-flags.ts';
import { parseDuration } from '../cli/duration.ts';
import {
  fastHashAgrees,
  type HashAgreement,
  hashChoice,
  pinOutputSettings,
  sequenceStates,
} from '../db/checksum.ts';
import { connect, describePgError, type Sql } from '../db/connect.ts';
import { binaryPortableTables, type CopySource, copyTable } from '../db/copy-table.ts';
import { guardProduction } from '../db/guards.ts';
import { sameDatabase } from '../db/identity.ts';
import { libpqEnvironment } from '../db/libpq-env.ts';
import { ENVSYNC_LOCK_KEY } from '../db/lock.ts';
import { findClientProgram } from '../db/pg-binaries.ts';
import { qname } from '../db/sql-text.ts';
import type { DatabaseTarget } from '../db/url.ts';
import { maskedRead } from '../masking/copy-masked.ts';
import { decideMasking, type Masking, maskingCheck, tryRules } from '../masking/decide.ts';
import { maskedColumns } from '../masking/rules.ts';
import { applyDumpScript, applyStatements } from '../replica/apply-dump.ts';
import { describeEntry } from '../replica/dump-entries.ts';
import { outsideObjectStatements } from '../replica/outside-objects.ts';
import { clearStatements, finishStatements, grantCorrections, replicaState } from '../replica/replace.ts';
import { dumpSchemaSections } from '../replica/schema-dump.ts';
import { renderSyncSummary } from '../report/sync-summary.ts';
import type { DatabaseIdentity, PreflightCheck, SyncPlan } from '../results/plan.ts';
import type { CopiedTable, SourceDigest, SyncResult } from '../results/sync.ts';
import { readDigest } from '../sync/digest.ts';
import { findSideEffects, type NeutralizedAction, neutralizeStatements } from '../sync/neutralize.ts';
import { checkPlanUsable, readPlan, schemaFingerprint } from '../sync/plan.ts';
import { blockingSessions, describeBlocker, preflight } from '../sync/preflight.ts';
import { openPair, type Pair, type Scope, syncScope } from '../sync/scope.ts';
import type { Job, JobContext } from './runner.ts';

export interface SyncOptions {
  source: DatabaseTarget;
  target: DatabaseTarget;
  /** A prepare directory: its plan.json must still match both databases. */
  planDir?: string;
  dryRun: boolean;
  allowProduction: boolean;
  terminateBlockers: boolean;
  lockTimeoutMs: number;
  /** A --plan older than this is refused. */
  maxPlanAgeMs: number;
  platformTables?: string[];
  /** Keep a digest of the source's snapshot for `validate --digest`. */
  digest: boolean;
  /** Mask the copy and neutralize its side effects (forced when the source is production). */
  mask: boolean;
  /** envsync.yaml (masking rules, side effects); default at the repository root. */
  config?: string;
  connectTimeout: number;
  env: NodeJS.ProcessEnv;
}

/** Throughput and ETA lines while tables copy, at most every 5 s. */
function progressReporter(ctx: JobContext, scope: Scope) {
  const totalBytes = scope.tables.reduce((n, t) => n + t.bytes, 0) || 1;
  const started = Date.now();
  let doneEstimate = 0;
  let last = Date.now();
  return {
    bytes(table: string, estimate: number, bytes: number) {
      if (Date.now() - last < 5000) return;
      last = Date.now();
      const elapsed = (Date.now() - started) / 1000;
      const progressed = doneEstimate + Math.min(bytes, estimate);
      const rate = progressed / Math.max(elapsed, 0.001);
      const eta = Math.max(0, (totalBytes - progressed) / Math.max(rate, 1));
      ctx.log.info(
        `  copying ${table}: ${(bytes / 1048576).toFixed(1)} MB, ${(bytes / 1048576 / Math.max(elapsed, 0.001)).toFixed(1)} MB/s overall, ${Math.round((100 * progressed) / totalBytes)}% — ETA ${Math.round(eta)} s`,
      );
    },
    tableDone(estimate: number, c: CopiedTable) {
      doneEstimate += estimate;
      if (c.ms >= 1000) {
        ctx.log.info(
          `  ${c.table}: ${c.rows.toLocaleString('en-US')} rows, ${(c.bytes / 1048576).toFixed(1)} MB in ${(c.ms / 1000).toFixed(1)} s (${Math.round(c.rows / (c.ms / 1000)).toLocaleString('en-US')} rows/s, ${c.format})`,
        );
      }
    },
  };
}

/** A failure inside the target transaction, as one line: nothing was committed. */
function applyError(phase: string, error: unknown): EnvsyncError {
  if (error instanceof JobError && error.detail) {
    return new JobError(`sync failed during ${phase}: ${error.message}`, error.hint, {
      detail: error.detail,
    });
  }
  if (error instanceof EnvsyncError) return error;
  const e = error as { code?: string };
  if (e.code === '55P03') {
    return new JobError(
      `sync could not lock the target during ${phase}: another session holds the app's tables`,
      'end that session or pass --terminate-blockers (prepare lists them); nothing was changed',
    );
  }
  const lost = [
    'ECONNRESET',
    'EPIPE',
    'CONNECTION_CLOSED',
    'CONNECTION_DESTROYED',
    '57P01',
    '57P02',
    '57P03',
  ];
  return new JobError(
    `sync failed during ${phase}: ${lost.includes(e.code ?? '') ? 'a database connection was lost' : describePgError(error)}${lost.includes(e.code ?? '') ? ` (${describePgError(error)})` : ''}`,
    'the target transaction was never committed: the target is exactly as before; run the sync again',
  );
}

type CommitOutcome = 'committed' | 'aborted' | 'unknown';

/**
 * After the connection went during COMMIT: asks the target, on a new connection, what became
 * of the transaction (`pg_xact_status`), waiting a little while it is still in progress.
 */
async function commitOutcome(o: SyncOptions, xid: string): Promise<CommitOutcome> {
  let sql: Sql | undefined;
  try {
    sql = await connect(o.target, {
      applicationName: 'envsync sync commit check',
      connectTimeout: o.connectTimeout,
    });
    for (let i = 0; i < 50; i++) {
      const [r] = await sql`select pg_xact_status(${xid}::xid8) as status`;
      if (r?.status === 'committed' || r?.status === 'aborted') return r.status as CommitOutcome;
      await new Promise((res) => setTimeout(res, 200));
    }
    return 'unknown';
  } catch {
    return 'unknown';
  } finally {
    await sql?.end({ timeout: 1 }).catch(() => {});
  }
}

function commitError(o: SyncOptions, outcome: CommitOutcome, xid: string, error: unknown): JobError {
  const lost = `the connection to ${o.target.display} was lost during COMMIT (${describePgError(error)})`;
  return outcome === 'aborted'
    ? new JobError(
        `sync failed: ${lost}, and the target rolled the transaction back`,
        'the target is exactly as before; run the sync again',
        {
          detail: { transaction: xid, outcome },
        },
      )
    : new JobError(
        `sync failed: ${lost}, and the target could not say whether it committed (transaction ${xid})`,
        'run validate against the source: if it passes, the target committed; if the target is as before, run the sync again; to undo a commit, roll back from prepare’s snapshot',
        { detail: { transaction: xid, outcome } },
      );
}

/** The plan named by --plan, refused when it is too old or was made for other flags. */
function usablePlan(ctx: JobContext, o: SyncOptions): SyncPlan | undefined {
  if (!o.planDir) return undefined;
  const plan = readPlan(o.planDir);
  checkPlanUsable(plan, o.planDir, {
    now: ctx.now(),
    maxAgeMs: o.maxPlanAgeMs,
    dryRun: o.dryRun,
    ...(o.platformTables ? { platformTables: o.platformTables } : {}),
  });
  return plan;
}

function checkPlanDatabases(plan: SyncPlan, pair: Pair, o: SyncOptions): void {
  if (
    !sameDatabase(plan.source.identity, pair.srcIdentity) ||
    !sameDatabase(plan.target.identity, pair.tgtIdentity)
  ) {
    throw new InputError(
      `--plan ${o.planDir} was prepared for ${plan.source.display} → ${plan.target.display}, not these databases`,
      'run prepare for this source and target',
    );
  }
}

function checkPlanSchemas(ctx: JobContext, o: SyncOptions, plan: SyncPlan, src: Inventory, tgt: Inventory) {
  const now = { source: schemaFingerprint(src), target: schemaFingerprint(tgt) };
  const moved = (['source', 'target'] as const).filter((s) => now[s] !== plan[s].fingerprint);
  if (moved.length) {
    throw new InputError(
      `--plan ${o.planDir} is outdated: the ${moved.join(' and ')} schema changed since prepare (${plan.createdAt})`,
      'run prepare again, then sync with the new plan',
    );
  }
  ctx.log.info(`  plan ${o.planDir} matches both schemas (prepared ${plan.createdAt})`);
}

/** Without a plan, prepare's checks run here; any failure stops the sync before it writes. */
async function checkBeforeSync(
  o: SyncOptions,
  pair: Pair,
  src: Inventory,
  tgt: Inventory,
  scope: Scope,
  production: string | null,
  extra: PreflightCheck[],
): Promise<PreflightCheck[]> {
  const checks = await preflight({
    tgt: pair.tgt,
    srcInv: src,
    tgtInv: tgt,
    schemas: scope.schemas,
    dropSchemas: scope.targetOnlySchemas,
    env: o.env,
    identities: { source: pair.srcIdentity, target: pair.tgtIdentity },
    production: { reason: production, allowed: o.allowProduction },
  });
  checks.push(...extra);
  const failed = checks.filter((c) => c.status === 'fail');
  if (failed.length) {
    throw new JobError(
      `preflight failed: ${failed.map((c) => `${c.name}: ${c.detail}`).join('; ')}`,
      failed[0]!.hint ?? 'fix the target, then run sync again; nothing was changed',
    );
  }
  return checks;
}

type Outline = Pick<
  SyncResult,
  | 'source'
  | 'target'
  | 'dryRun'
  | 'plan'
  | 'checks'
  | 'schemas'
  | 'removedSchemas'
  | 'platformTables'
  | 'changes'
  | 'masking'
>;

/** --dry-run: what would change, and every copied table whose row count differs. */
function dryRunResult(
  outline: Outline,
  src: Inventory,
  tgt: Inventory,
  scope: Scope,
  ms: number,
): SyncResult {
  const rows = (inv: Inventory) => new Map(inv.tables.map((t) => [`${t.schema}.${t.name}`, t.rowCount]));
  const [a, b] = [rows(src), rows(tgt)];
  return {
    ...outline,
    rowDeltas: scope.tables
      .map((t) => `${t.schema}.${t.name}`)
      .map((t) => ({ table: t, source: a.get(t) ?? null, target: b.get(t) ?? null }))
      .filter((d) => d.source !== d.target),
    tables: [],
    sequences: 0,
    terminated: [],
    leftAlone: [],
    totals: { rows: 0, bytes: 0 },
    timings: { preparationMs: ms, schemaMs: 0, copyMs: 0, postDataMs: 0, commitMs: 0, totalMs: ms },
    committed: false,
    digest: null,
    neutralized: [],
    commitConfirmedAfterLoss: false,
  };
}

export async function runSync(ctx: JobContext, o: SyncOptions): Promise<SyncResult> {
  const started = ctx.now().getTime();
  const plan = usablePlan(ctx, o);
  const pair = await openPair(o.source, o.target, 'sync', o.connectTimeout);
  try {
    if (plan) checkPlanDatabases(plan, pair, o);
    // A dry run writes nothing: it may look at production without the flag.
    const production = await guardProduction(
      pair.tgt,
      o.target,
      o.env,
      o.allowProduction || o.dryRun,
      'sync',
    );
    ctx.log.info(
      `sync ${o.source.display} → ${o.target.display}${o.dryRun ? ' (dry run: nothing is written)' : ''}`,
    );
    return await readSnapshot(
      pair.src,
      async (source) => {
        const srcInv = await source.inventory({ exactCounts: o.dryRun });
        const tgtBefore = await readInventory(pair.tgt, { exactCounts: o.dryRun });
        const scope = syncScope(srcInv, tgtBefore, o.platformTables ?? plan?.platformTables);
        const masking = await decideMasking(
          {
            mask: o.mask,
            config: () => loadConfig(o.config),
            env: o.env,
            source: o.source,
            target: o.target,
            src: pair.src,
            targetProduction: production,
          },
          srcInv,
          scope.tables.map((t) => `${t.schema}.${t.name}`),
        );
        if (masking) await tryRules(source.tx, masking.plan);
        const maskCheck = maskingCheck(masking);
        let checks: PreflightCheck[] = [];
        if (plan) {
          checkPlanSchemas(ctx, o, plan, srcInv, tgtBefore);
          if (maskCheck?.status === 'fail')
            throw new JobError(`preflight failed: masking: ${maskCheck.detail}`, maskCheck.hint!);
        } else
          checks = await checkBeforeSync(
            o,
            pair,
            srcInv,
            tgtBefore,
            scope,
            production,
            maskCheck ? [maskCheck] : [],
          );
        if (masking) ctx.log.info(`  masked on the way: ${maskCheck!.detail}`);
        const outline: Outline = {
          source: { name: o.source.name, display: o.source.display },
          target: { name: o.target.name, display: o.target.display },
          dryRun: o.dryRun,
          plan: o.planDir ?? null,
          checks,
          schemas: scope.schemas,
          removedSchemas: scope.targetOnlySchemas,
          platformTables: scope.platformTables,
          changes: diffInventories(srcInv, tgtBefore),
          masking: masking
            ? {
                reason: masking.reason,
                tables: [...masking.plan.tables].map(([table, masks]) => ({
                  table,
                  columns: masks.map((m) => ({
                    column: m.column.name,
                    strategy: m.strategy.kind,
                    rule: m.rule,
                  })),
                })),
              }
            : null,
        };
        if (o.dryRun) return dryRunResult(outline, srcInv, tgtBefore, scope, ctx.now().getTime() - started);
        const replaced = await replaceTarget(ctx, o, pair.tgt, {
          snapshot: source,
          inventory: srcInv,
          scope,
          hashes: await fastHashAgrees(pair.src, pair.tgt),
          identities: { source: pair.srcIdentity, target: pair.tgtIdentity },
          takenAt: new Date(started).toISOString(),
          masking,
        });
        const totalMs = ctx.now().getTime() - started;
        return { ...outline, rowDeltas: [], ...replaced, timings: { ...replaced.timings, totalMs } };
      },
      // Once everything was read, losing the source changes nothing: never a reason to fail.
      (error) =>
        ctx.log.warn(
          `the source's read-only snapshot transaction could not be closed (${describePgError(error)}); everything was read before`,
        ),
    );
  } catch (error) {
    pair.abort();
    throw error;
  } finally {
    await pair.close();
  }
}

interface SourceRead {
  snapshot: Snapshot;
  inventory: Inventory;
  scope: Scope;
  /** The copy's masking and side-effect settings (null: an exact replica). */
  masking: Masking | null;
  /** For the digest: the row hashes both servers agree on, both identities, the snapshot's time. */
  hashes: HashAgreement;
  identities: { source: DatabaseIdentity; target: DatabaseIdentity };
  takenAt: string;
}

type Replaced = Omit<SyncResult, keyof Outline | 'rowDeltas'>;

/**
 * The target's app schemas and platform rows replaced in ONE transaction: lock → clear →
 * pre-data → copy → post-data → sequences → objects outside the schemas → publications and
 * default privileges → grants → commit. Transactions are opened by hand, not with
 * sql.begin() (see catalog/snapshot.ts): a failed connection is closed, and the server
 * rolls its transaction back.
 */
async function replaceTarget(
  ctx: JobContext,
  o: SyncOptions,
  tgt: Sql,
  source: SourceRead,
): Promise<Replaced> {
  const { inventory: src, scope } = source;
  const major = Math.floor(src.database.serverVersionNum / 10000);
  const sections = dumpSchemaSections(
    findClientProgram('pg_dump', major, o.env),
    libpqEnvironment(o.source, 'envsync sync pg_dump', o.env),
    source.snapshot.id,
    scope.schemas,
  );
  sections.catch(() => {}); // awaited below; never an unhandled rejection if the target fails first
  const copySource: CopySource = {
    psql: findClientProgram('psql', major, o.env),
    env: libpqEnvironment(o.source, 'envsync sync', o.env),
    snapshot: source.snapshot.id,
  };
  const sequences = await sequenceStates(
    source.snapshot.tx,
    src.sequences.filter((s) => scope.schemas.includes(s.schema)),
  );
  const binary = await binaryPortableTables(source.snapshot.tx, scope.tables);
  // Started once every row is read; awaited after the commit. Its failure never fails the sync.
  let digesting: Promise<{ digest: SourceDigest | null; error?: unknown }> = Promise.resolve({
    digest: null,
  });

  const steps = new TimedSteps(['preparation', 'schema', 'copy', 'postData'] as const, applyError);
  const terminated: number[] = [];
  let xid = '';
  let sequencesSet = 0;
  let neutralized: NeutralizedAction[] = [];
  await tgt.unsafe('begin');
  const { copied, leftAlone } = await (async () => {
    await steps.run('locking the target', 'preparation', () => lockTarget(ctx, o, tgt, scope, terminated));
    const current = await steps.run('reading the target', 'preparation', () =>
      readInventoryIn(tgt, { exactCounts: false }),
    );
    const actable = (role: string) => canActAs(current, role);
    const wanted = replicaState(src, scope.schemas);
    await steps.run('removing the target’s app objects', 'preparation', async () => {
      await tgt`select set_config('session_replication_role', 'origin', true)`;
      await applyStatements(
        tgt,
        clearStatements({
          current,
          schemas: scope.schemas,
          dropSchemas: scope.targetOnlySchemas,
          platformTables: scope.platformTables,
          wanted,
        }),
      );
    });
    const ddl = await steps.run('creating the app schemas', 'schema', () => sections);
    const pre = await steps.run('creating the app schemas', 'schema', () =>
      applyDumpScript(tgt, ddl.preData, actable, 'pre-data'),
    );
    await steps.run(
      'copying data',
      'copy',
      () => tgt`select set_config('session_replication_role', 'replica', true)`,
    );
    const copied = await copyTables(ctx, steps, tgt, copySource, src, scope, binary, source.masking);
    const excluded = source.masking ? maskedColumns(source.masking.plan, src) : new Map<string, string[]>();
    // The source is idle while the target builds indexes: its checksums, for validate --digest.
    if (o.digest)
      digesting = readDigest(source.snapshot.tx, {
        // Masked columns differ on the target by design: the digest leaves them out.
        tables: scope.tables.map((t) => ({
          schema: t.schema,
          name: t.name,
          exclude: excluded.get(`${t.schema}.${t.name}`) ?? [],
        })),
        kind: () => hashChoice(source.hashes),
        sequences,
        identities: source.identities,
        takenAt: source.takenAt,
      }).then(
        (digest) => ({ digest }),
        (error) => ({ digest: null, error }),
      );
    const post = await steps.run(
      'building indexes, constraints, triggers and policies',
      'postData',
      async () => {
        const applied = await applyDumpScript(tgt, ddl.postData, actable, 'post-data');
        for (const v of src.views.filter(
          (v) => v.kind === 'matview' && v.populated && scope.schemas.includes(v.schema),
        )) {
          await tgt.unsafe(`REFRESH MATERIALIZED VIEW ${qname(v.schema, v.name)}`);
        }
        return applied;
      },
    );
    await steps.run('setting sequences', 'postData', async () => {
      // A sequence of a role the target role cannot act as is left as the target has it, like its dump entry.
      const owners = new Map(src.sequences.map((s) => [`${s.schema}.${s.name}`, s.owner]));
      const ours = sequences.filter((s) => actable(owners.get(s.sequence) ?? ''));
      sequencesSet = ours.length;
      for (const s of ours) {
        const [schema, name] = s.sequence.split(/\.(.+)/) as [string, string];
        await tgt`select pg_catalog.setval(${qname(schema, name)}::regclass, ${s.lastValue}::int8, ${s.isCalled})`;
      }
    });
    await steps.run('applying the app’s objects outside its schemas', 'postData', () =>
      applyStatements(tgt, outsideObjectStatements(src, scope.schemas)),
    );
    await steps.run('publications, schema comments and database-wide default privileges', 'postData', () =>
      applyStatements(tgt, finishStatements(wanted, current, scope.schemas)),
    );
    await steps.run('making grants exactly the source’s', 'postData', async () => {
      const after = await readInventoryIn(tgt, { exactCounts: false });
      await applyStatements(tgt, grantCorrections(src.grants, after, scope.schemas));
      await tgt`select set_config('session_replication_role', 'origin', true)`;
    });
    // A masked copy calls nothing the source calls: webhooks, copied cron jobs, subscriptions.
    if (source.masking) {
      const m = source.masking;
      neutralized = await steps.run(
        'neutralizing webhooks, cron jobs and subscriptions',
        'postData',
        async () => {
          const effects = await findSideEffects(tgt, {
            schemas: scope.schemas,
            cronCopied: scope.platformTables.includes('cron.job'),
          });
          const { statements, actions } = neutralizeStatements(effects, m.sideEffects);
          await applyStatements(tgt, statements);
          return actions;
        },
      );
      for (const a of neutralized) ctx.log.info(`  ${a.kind} ${a.name}: ${a.action} (${a.detail})`);
    }
    xid = await steps.run('committing', 'postData', async () => {
      const [x] = await tgt`select pg_current_xact_id()::text as xid`;
      return String(x!.xid);
    });
    return { copied, leftAlone: [...pre.leftAlone, ...post.leftAlone].map(describeEntry) };
  })();
  const commitStarted = Date.now();
  const confirmedAfterLoss = await commitTarget(ctx, o, tgt, xid);
  const commitMs = Date.now() - commitStarted;
  const { digest, error } = await digesting;
  if (error)
    ctx.log.warn(
      `the source's digest could not be read (${describePgError(error)}): validate will read the source's rows`,
    );
  else if (digest)
    ctx.log.info(`  source digest: ${digest.tables.length} tables checksummed in ${digest.ms} ms`);
  return {
    tables: copied,
    sequences: sequencesSet,
    terminated,
    leftAlone,
    totals: {
      rows: copied.reduce((n, c) => n + c.rows, 0),
      bytes: copied.reduce((n, c) => n + c.bytes, 0),
    },
    timings: {
      preparationMs: steps.ms.preparation,
      schemaMs: steps.ms.schema,
      copyMs: steps.ms.copy,
      postDataMs: steps.ms.postData,
      commitMs,
      totalMs: 0,
    },
    committed: true,
    digest,
    neutralized,
    commitConfirmedAfterLoss: confirmedAfterLoss,
  };
}

/** Settings, envsync's lock on the target (never two runs at once), and --terminate-blockers. */
async function lockTarget(ctx: JobContext, o: SyncOptions, tgt: Sql, scope: Scope, terminated: number[]) {
  await tgt`select set_config('lock_timeout', ${`${o.lockTimeoutMs}ms`}, true), set_config('maintenance_work_mem', '256MB', true)`;
  const [lock] = await tgt`select pg_try_advisory_xact_lock(${ENVSYNC_LOCK_KEY}::int8) as locked`;
  if (!lock!.locked) {
    throw new JobError(
      `another envsync run holds ${o.target.display}`,
      'wait for it to finish and run again; two runs never interleave on one target',
    );
  }
  if (o.terminateBlockers) {
    for (const b of await blockingSessions(tgt, scope.schemas)) {
      const [r] = await tgt`select pg_terminate_backend(${b.pid}) as ok`;
      if (r!.ok) terminated.push(b.pid);
      ctx.log.warn(`  ended blocking session ${describeBlocker(b)}`);
    }
  }
  await pinOutputSettings(tgt);
}

/** Every table's rows streamed with COPY from the source's snapshot, in load order, triggers off. */
async function copyTables(
  ctx: JobContext,
  steps: TimedSteps<'preparation' | 'schema' | 'copy' | 'postData'>,
  tgt: Sql,
  copySource: CopySource,
  src: Inventory,
  scope: Scope,
  binary: Set<string>,
  masking: Masking | null,
): Promise<CopiedTable[]> {
  const columns = new Map(
    src.tables.map((t) => [
      `${t.schema}.${t.name}`,
      t.columns.filter((c) => !c.generated).map((c) => c.name),
    ]),
  );
  const progress = progressReporter(ctx, scope);
  // The plain tables this transaction created (the app schemas' own, not a platform table's
  // rows or a table left alone): their rows are loaded frozen.
  const created = await steps.run('copying data', 'copy', async () => {
    const rows = await tgt`
      select n.nspname || '.' || c.relname as t from pg_class c join pg_namespace n on n.oid = c.relnamespace
      where c.relkind = 'r' and c.xmin = xid(pg_current_xact_id()) and n.nspname = any(${scope.schemas})`;
    return new Set(rows.map((r) => String(r.t)));
  });
  const copied: CopiedTable[] = [];
  for (const t of scope.tables) {
    const name = `${t.schema}.${t.name}`;
    const cols = columns.get(name) ?? [];
    // Masked columns travel as text, rewritten on the way (`sql:` ones computed by the source).
    const masked = maskedRead(masking, name, cols);
    const c = await steps.run(`copying ${name}`, 'copy', () =>
      copyTable(
        copySource,
        tgt,
        {
          schema: t.schema,
          name: t.name,
          columns: cols,
          binary: binary.has(name) && !masked.masked,
          freeze: created.has(name),
          ...(masked.expressions.size ? { expressions: masked.expressions } : {}),
          ...(masked.transform ? { transform: masked.transform } : {}),
        },
        (bytes) => progress.bytes(name, t.bytes, bytes),
      ),
    );
    copied.push(c);
    progress.tableDone(t.bytes, c);
  }
  return copied;
}

/**
 * COMMIT, and when the connection goes while it is under way, the server's word on what
 * became of the transaction. Returns whether the commit was confirmed only after the loss.
 */
async function commitTarget(ctx: JobContext, o: SyncOptions, tgt: Sql, xid: string): Promise<boolean> {
  try {
    await tgt.unsafe('commit');
    return false;
  } catch (error) {
    // The server answered COMMIT with an error (a deferred constraint): not committed, and said so.
    const code = String((error as { code?: string }).code);
    if (/^[0-9A-Z]{5}$/.test(code) && !['57P01', '57P02', '57P03'].includes(code))
      throw applyError('committing', error);
    const outcome = await commitOutcome(o, xid);
    if (outcome !== 'committed') throw commitError(o, outcome, xid, error);
    ctx.log.warn(
      `the connection to ${o.target.display} was lost during COMMIT, and the server says the transaction committed: validate the target`,
    );
    return true;
  }
}

export const syncJob: Job<SyncOptions, SyncResult> = {
  name: 'sync',
  description:
    'Makes the target an exact replica of the source in ONE target transaction: the app schemas’ DDL replaced, ' +
    'every row streamed with COPY from one source snapshot (binary where portable, no trigger firing), indexes and ' +
    'constraints built after the data, sequences set, grants made exactly the source’s, auth.users/identities and ' +
    'the migration history replaced with the app’s triggers and policies on them. Any error, kill or disconnect ' +
    'leaves the target as it was. Without --plan it runs prepare’s preflight itself.',
  examples: [
    'npm run sync -- --source dev --target staging --plan artifacts/prepare',
    'npm run sync -- --source dev --target staging --dry-run',
  ],
  flags: {
    source: { type: 'string', value: '<env|url>', description: 'the database to replicate' },
    target: {
      type: 'string',
      value: '<env|url>',
      description: 'the database to replace (its app schemas and platform rows)',
    },
    plan: {
      type: 'string',
      value: '<dir>',
      description: 'a prepare directory; refused if either schema changed since',
    },
    'dry-run': {
      type: 'boolean',
      description: 'print what would change (schema differences, row deltas); write nothing',
    },
    'allow-production': { type: 'boolean', description: 'allow a production target' },
    'terminate-blockers': {
      type: 'boolean',
      description: 'end sessions holding the app’s tables on the target',
    },
    'lock-timeout': {
      type: 'string',
      value: '<duration>',
      description: 'how long to wait for a lock on the target (default 30s)',
    },
    'max-plan-age': {
      type: 'string',
      value: '<duration>',
      description: 'refuse a --plan prepared longer ago than this (default 12h)',
    },
    'platform-tables': platformTablesFlag,
    ...maskingFlags,
    digest: {
      type: 'boolean',
      description:
        'while the target builds indexes, checksum every copied table on the source (same snapshot) for validate --digest, which then reads only the target',
    },
    'connect-timeout': connectTimeoutFlag,
  },
  parse(flags, env) {
    const { databases, lockTimeoutMs, maxPlanAgeMs, platformTables, connectTimeout } = readFlags({
      databases: () => requireSourceAndTarget(flags, env, 'sync', true),
      lockTimeoutMs: () => parseDuration('--lock-timeout', flags['lock-timeout'], 30_000, 3_600_000),
      maxPlanAgeMs: () => parseDuration('--max-plan-age', flags['max-plan-age'], 12 * 3_600_000),
      platformTables: () => parseList(flags['platform-tables']),
      connectTimeout: () => parseConnectTimeout(flags['connect-timeout']),
    });
    return {
      ...databases,
      ...(typeof flags.plan === 'string' ? { planDir: flags.plan } : {}),
      dryRun: flags['dry-run'] === true,
      allowProduction: flags['allow-production'] === true,
      terminateBlockers: flags['terminate-blockers'] === true,
      lockTimeoutMs,
      maxPlanAgeMs,
      ...(platformTables ? { platformTables } : {}),
      digest: flags.digest === true,
      ...parseMaskingFlags(flags),
      connectTimeout,
      env,
    };
  },
  run: runSync,
  render: renderSyncSummary,
  verdict: (r) => ({
    ok: true,
    headline: r.dryRun
      ? `dry run: ${r.changes.length} schema difference(s), ${r.rowDeltas.length} table(s) with other row counts; nothing written to ${r.target.display}`
      : `${r.target.display} now replicates ${r.source.display}: ${r.tables.length} tables, ${r.totals.rows.toLocaleString('en-US')} rows, ${(r.totals.bytes / 1048576).toFixed(1)} MB in ${(r.timings.totalMs / 1000).toFixed(1)} s`,
    problems: [],
    warnings: [
      ...r.checks.filter((c) => c.status === 'warn').map((c) => `${c.name}: ${c.detail}`),
      ...(r.commitConfirmedAfterLoss
        ? ['the connection was lost during COMMIT; the target confirmed afterwards that it committed']
        : []),
    ],
  }),
  outputs: (r) => ({
    committed: r.committed,
    tables: r.tables.length,
    rows: r.totals.rows,
    schema_changes: r.changes.length,
    duration_ms: r.timings.totalMs,
  }),
};
