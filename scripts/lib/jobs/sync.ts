// sync: makes the target an exact replica of the source — app schemas' DDL, every row,
// sequences, grants, RLS and policies, the platform tables' rows and the app's objects
// on them — in ONE target transaction, reading the source from ONE exported snapshot.
// Any error, kill or disconnect leaves the target exactly as it was.

import { EnvsyncError, InputError, JobError } from '../base/errors.ts';
import { diffInventories } from '../catalog/diff.ts';
import { readInventory, readInventoryIn } from '../catalog/inventory.ts';
import { canActAs, type Inventory } from '../catalog/model.ts';
import {
  connectTimeoutFlag,
  parseConnectTimeout,
  parseList,
  platformTablesFlag,
  requireSourceAndTarget,
} from '../cli/database-flags.ts';
import { parseDuration } from '../cli/duration.ts';
import { pinOutputSettings, sequenceStates } from '../db/checksum.ts';
import { connect, describePgError, type Sql } from '../db/connect.ts';
import { guardProduction } from '../db/guards.ts';
import { sameDatabase } from '../db/identity.ts';
import { libpqEnvironment } from '../db/libpq-env.ts';
import { ENVSYNC_LOCK_KEY } from '../db/lock.ts';
import { findClientProgram } from '../db/pg-binaries.ts';
import { qname } from '../db/sql-text.ts';
import type { DatabaseTarget } from '../db/url.ts';
import { applyDumpScript, applyStatements } from '../replica/apply-dump.ts';
import { describeEntry } from '../replica/dump-entries.ts';
import { outsideObjectStatements } from '../replica/outside-objects.ts';
import { clearStatements, finishStatements, grantCorrections, replicaState } from '../replica/replace.ts';
import { dumpSchemaSections } from '../replica/schema-dump.ts';
import { renderSyncSummary } from '../report/sync-summary.ts';
import type { PreflightCheck, SyncPlan } from '../results/plan.ts';
import type { CopiedTable, SyncResult } from '../results/sync.ts';
import { binaryPortableTables, type CopySource, copyTable } from '../sync/copy-table.ts';
import { checkPlanUsable, readPlan, schemaFingerprint } from '../sync/plan.ts';
import { blockingSessions, describeBlocker, preflight } from '../sync/preflight.ts';
import { openPair, type Scope, syncScope } from '../sync/scope.ts';
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

export async function runSync(ctx: JobContext, o: SyncOptions): Promise<SyncResult> {
  const started = ctx.now().getTime();
  const plan: SyncPlan | undefined = o.planDir ? readPlan(o.planDir) : undefined;
  if (plan) {
    checkPlanUsable(plan, o.planDir!, {
      now: ctx.now(),
      maxAgeMs: o.maxPlanAgeMs,
      dryRun: o.dryRun,
      ...(o.platformTables ? { platformTables: o.platformTables } : {}),
    });
  }
  const pair = await openPair(o.source, o.target, 'sync', o.connectTimeout);
  const { src, tgt } = pair;
  try {
    if (plan) {
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
    // A dry run writes nothing: it may look at production without the flag.
    const production = await guardProduction(tgt, o.target, o.env, o.allowProduction || o.dryRun, 'sync');
    ctx.log.info(
      `sync ${o.source.display} → ${o.target.display}${o.dryRun ? ' (dry run: nothing is written)' : ''}`,
    );
    // Transactions are opened by hand, not with sql.begin(): when a connection dies,
    // postgres.js 3.4.9's begin() still sends ROLLBACK on it and either crashes (write
    // to a null socket) or waits forever. A dead or failed connection is simply closed:
    // the server rolls its transaction back.
    const stx = src;
    await stx.unsafe('begin isolation level repeatable read read only');
    const result = await (async () => {
      const [{ snapshot }] = (await stx`select pg_export_snapshot() as snapshot`) as unknown as [
        { snapshot: string },
      ];
      await pinOutputSettings(stx as never);
      // Never a silently filtered copy: a table RLS would hide rows from fails instead.
      await stx`select set_config('row_security', 'off', true)`;
      const srcInv = (await readInventoryIn(stx as never, { exactCounts: o.dryRun })) as Inventory;
      const tgtBefore = await readInventory(tgt, { exactCounts: o.dryRun });
      const scope = syncScope(srcInv, tgtBefore, o.platformTables ?? plan?.platformTables);
      const changes = diffInventories(srcInv, tgtBefore);

      let checks: PreflightCheck[] = [];
      if (plan) {
        const now = { source: schemaFingerprint(srcInv), target: schemaFingerprint(tgtBefore) };
        const moved = (['source', 'target'] as const).filter((s) => now[s] !== plan[s].fingerprint);
        if (moved.length) {
          throw new InputError(
            `--plan ${o.planDir} is outdated: the ${moved.join(' and ')} schema changed since prepare (${plan.createdAt})`,
            'run prepare again, then sync with the new plan',
          );
        }
        ctx.log.info(`  plan ${o.planDir} matches both schemas (prepared ${plan.createdAt})`);
      } else {
        checks = await preflight({
          tgt,
          srcInv,
          tgtInv: tgtBefore,
          schemas: scope.schemas,
          dropSchemas: scope.targetOnlySchemas,
          env: o.env,
          productionAllowed: production ? o.allowProduction : null,
        });
        const failed = checks.filter((c) => c.status === 'fail');
        if (failed.length) {
          throw new JobError(
            `preflight failed: ${failed.map((c) => `${c.name}: ${c.detail}`).join('; ')}`,
            failed[0]!.hint ?? 'fix the target, then run sync again; nothing was changed',
          );
        }
      }
      const base = {
        source: { name: o.source.name, display: o.source.display },
        target: { name: o.target.name, display: o.target.display },
        dryRun: o.dryRun,
        plan: o.planDir ?? null,
        checks,
        schemas: scope.schemas,
        removedSchemas: scope.targetOnlySchemas,
        platformTables: scope.platformTables,
        changes,
      };
      if (o.dryRun) {
        const rows = (inv: Inventory) =>
          new Map(inv.tables.map((t) => [`${t.schema}.${t.name}`, t.rowCount]));
        const [a, b] = [rows(srcInv), rows(tgtBefore)];
        const rowDeltas = scope.tables
          .map((t) => `${t.schema}.${t.name}`)
          .map((t) => ({ table: t, source: a.get(t) ?? null, target: b.get(t) ?? null }))
          .filter((d) => d.source !== d.target);
        return {
          ...base,
          rowDeltas,
          tables: [],
          sequences: 0,
          terminated: [],
          leftAlone: [],
          totals: { rows: 0, bytes: 0 },
          timings: {
            preparationMs: ctx.now().getTime() - started,
            schemaMs: 0,
            copyMs: 0,
            postDataMs: 0,
            commitMs: 0,
            totalMs: ctx.now().getTime() - started,
          },
          committed: false,
          commitConfirmedAfterLoss: false,
        } satisfies SyncResult;
      }

      const major = Math.floor(srcInv.database.serverVersionNum / 10000);
      const pgDump = findClientProgram('pg_dump', major, o.env);
      const sections = dumpSchemaSections(
        pgDump,
        libpqEnvironment(o.source, 'envsync sync pg_dump', o.env),
        snapshot,
        scope.schemas,
      );
      sections.catch(() => {}); // awaited below; never an unhandled rejection if the target fails first
      const copySource: CopySource = {
        psql: findClientProgram('psql', major, o.env),
        env: libpqEnvironment(o.source, 'envsync sync', o.env),
        snapshot,
      };
      const sequences = await sequenceStates(
        stx as never,
        srcInv.sequences.filter((s) => scope.schemas.includes(s.schema)),
      );
      const binary = await binaryPortableTables(stx as never, scope.tables);
      const columns = new Map(
        srcInv.tables.map((t) => [
          `${t.schema}.${t.name}`,
          t.columns.filter((c) => !c.generated).map((c) => c.name),
        ]),
      );

      const timings = { preparationMs: 0, schemaMs: 0, copyMs: 0, postDataMs: 0, commitMs: 0, totalMs: 0 };
      const copied: CopiedTable[] = [];
      const terminated: number[] = [];
      const leftAlone: string[] = [];
      let xid: string | undefined;
      let lostCommit = false;
      let phase = 'locking the target';
      let mark = Date.now();
      const lap = () => {
        const ms = Date.now() - mark;
        mark = Date.now();
        return ms;
      };
      try {
        const ttx = tgt;
        await ttx.unsafe('begin');
        await (async () => {
          await ttx`select set_config('lock_timeout', ${`${o.lockTimeoutMs}ms`}, true), set_config('maintenance_work_mem', '256MB', true)`;
          const [{ locked }] =
            (await ttx`select pg_try_advisory_xact_lock(${ENVSYNC_LOCK_KEY}::int8) as locked`) as unknown as [
              { locked: boolean },
            ];
          if (!locked) {
            throw new JobError(
              `another envsync run holds ${o.target.display}`,
              'wait for it to finish and run again; two runs never interleave on one target',
            );
          }
          if (o.terminateBlockers) {
            for (const b of await blockingSessions(tgt, scope.schemas)) {
              const [r] = await ttx`select pg_terminate_backend(${b.pid}) as ok`;
              if (r!.ok) terminated.push(b.pid);
              ctx.log.warn(`  ended blocking session ${describeBlocker(b)}`);
            }
          }
          await pinOutputSettings(ttx as never);
          phase = 'reading the target';
          const tgtInv = (await readInventoryIn(ttx as never, { exactCounts: false })) as Inventory;
          const actable = (role: string) => canActAs(tgtInv, role);
          await ttx`select set_config('session_replication_role', 'origin', true)`;

          phase = 'removing the target’s app objects';
          const clearing = clearStatements({
            current: tgtInv,
            schemas: scope.schemas,
            dropSchemas: scope.targetOnlySchemas,
            platformTables: scope.platformTables,
            wanted: replicaState(srcInv, scope.schemas),
          });
          await applyStatements(ttx, clearing);
          timings.preparationMs = lap();

          phase = 'creating the app schemas';
          const ddl = await sections;
          const pre = await applyDumpScript(ttx, ddl.preData, actable, 'pre-data');
          timings.schemaMs = lap();

          phase = 'copying data';
          await ttx`select set_config('session_replication_role', 'replica', true)`;
          const progress = progressReporter(ctx, scope);
          for (const t of scope.tables) {
            const name = `${t.schema}.${t.name}`;
            phase = `copying ${name}`;
            const c = await copyTable(
              copySource,
              ttx as never,
              { schema: t.schema, name: t.name, columns: columns.get(name) ?? [], binary: binary.has(name) },
              (bytes) => progress.bytes(name, t.bytes, bytes),
            );
            copied.push(c);
            progress.tableDone(t.bytes, c);
          }
          timings.copyMs = lap();

          phase = 'building indexes, constraints, triggers and policies';
          const post = await applyDumpScript(ttx, ddl.postData, actable, 'post-data');
          leftAlone.push(...[...pre.leftAlone, ...post.leftAlone].map(describeEntry));
          for (const v of srcInv.views.filter(
            (v) => v.kind === 'matview' && v.populated && scope.schemas.includes(v.schema),
          )) {
            await ttx.unsafe(`REFRESH MATERIALIZED VIEW ${qname(v.schema, v.name)}`);
          }
          phase = 'setting sequences';
          for (const s of sequences) {
            const [schema, name] = s.sequence.split(/\.(.+)/) as [string, string];
            await ttx`select pg_catalog.setval(${qname(schema, name)}::regclass, ${s.lastValue}::int8, ${s.isCalled})`;
          }
          phase = 'applying the app’s objects outside its schemas';
          await applyStatements(ttx, outsideObjectStatements(srcInv, scope.schemas));
          phase = 'publications, schema comments and database-wide default privileges';
          await applyStatements(
            ttx,
            finishStatements(replicaState(srcInv, scope.schemas), tgtInv, scope.schemas),
          );
          phase = 'making grants exactly the source’s';
          const after = (await readInventoryIn(ttx as never, { exactCounts: false })) as Inventory;
          await applyStatements(ttx, grantCorrections(srcInv.grants, after, scope.schemas));
          await ttx`select set_config('session_replication_role', 'origin', true)`;
          timings.postDataMs = lap();
          phase = 'committing';
          const [x] = await ttx`select pg_current_xact_id()::text as xid`;
          xid = String(x!.xid);
        })();
        await ttx.unsafe('commit');
      } catch (error) {
        // The server answered COMMIT with an error (a deferred constraint): not committed, and said so.
        const answered =
          /^[0-9A-Z]{5}$/.test(String((error as { code?: string }).code)) &&
          !['57P01', '57P02', '57P03'].includes(String((error as { code?: string }).code));
        if (phase !== 'committing' || !xid || answered) throw applyError(phase, error);
        // The connection went while COMMIT was under way: the outcome is the server's to tell.
        const outcome = await commitOutcome(o, xid);
        if (outcome !== 'committed') throw commitError(o, outcome, xid, error);
        lostCommit = true;
        ctx.log.warn(
          `the connection to ${o.target.display} was lost during COMMIT, and the server says the transaction committed: validate the target`,
        );
      }
      timings.commitMs = lap();
      timings.totalMs = ctx.now().getTime() - started;
      return {
        ...base,
        rowDeltas: [],
        tables: copied,
        sequences: sequences.length,
        terminated,
        leftAlone,
        totals: {
          rows: copied.reduce((n, c) => n + c.rows, 0),
          bytes: copied.reduce((n, c) => n + c.bytes, 0),
        },
        timings,
        committed: true,
        commitConfirmedAfterLoss: lostCommit,
      } satisfies SyncResult;
    })();
    // The source's snapshot transaction only read: once the target committed, losing it
    // changes nothing — never a reason to report the sync as failed.
    await stx.unsafe('commit').catch((error) => {
      if (result.committed && !result.dryRun) {
        ctx.log.warn(
          `the source's read-only snapshot transaction could not be closed (${describePgError(error)}); the target is committed`,
        );
        pair.abort();
        return;
      }
      throw error;
    });
    return result;
  } catch (error) {
    pair.abort();
    throw error;
  } finally {
    await pair.close();
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
    'connect-timeout': connectTimeoutFlag,
  },
  parse(flags, env) {
    const { source, target } = requireSourceAndTarget(flags, env, 'sync', true);
    const lockTimeoutMs = parseDuration('--lock-timeout', flags['lock-timeout'], 30_000, 3_600_000);
    const maxPlanAgeMs = parseDuration('--max-plan-age', flags['max-plan-age'], 12 * 3_600_000);
    const platformTables = parseList(flags['platform-tables']);
    return {
      source,
      target,
      ...(typeof flags.plan === 'string' ? { planDir: flags.plan } : {}),
      dryRun: flags['dry-run'] === true,
      allowProduction: flags['allow-production'] === true,
      terminateBlockers: flags['terminate-blockers'] === true,
      lockTimeoutMs,
      maxPlanAgeMs,
      ...(platformTables ? { platformTables } : {}),
      connectTimeout: parseConnectTimeout(flags['connect-timeout']),
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
