// prepare: everything sync needs to know before it starts — the preflight (each check
// named, with its fix), the plan (what is replaced, copied and removed, with estimates
// and both schemas' fingerprints) and the target's rollback snapshot. Changes nothing
// on either database.

import { writeFileSync } from 'node:fs';
import path from 'node:path';
import { InputError, readFlags } from '../base/errors.ts';
import { diffInventories } from '../catalog/diff.ts';
import { readInventory } from '../catalog/inventory.ts';
import { cascadeReach } from '../catalog/platform.ts';
import { loadConfig, maskingFlags, parseMaskingFlags } from '../cli/config.ts';
import {
  connectTimeoutFlag,
  parseConnectTimeout,
  parseList,
  platformTablesFlag,
  requireSourceAndTarget,
} from '../cli/database-flags.ts';
import { guardProduction } from '../db/guards.ts';
import type { DatabaseTarget } from '../db/url.ts';
import { decideMasking, maskingCheck, tryRules } from '../masking/decide.ts';
import { renderPlanSummary } from '../report/plan-summary.ts';
import type { SyncPlan } from '../results/plan.ts';
import { PLAN_FORMAT } from '../results/plan.ts';
import type { PrepareResult } from '../results/prepare.ts';
import { schemaFingerprint } from '../sync/plan.ts';
import { preflight } from '../sync/preflight.ts';
import { openPair, syncScope } from '../sync/scope.ts';
import { runBackup } from './backup.ts';
import type { Job, JobContext } from './runner.ts';

export interface PrepareOptions {
  source: DatabaseTarget;
  target: DatabaseTarget;
  out: string;
  allowProduction: boolean;
  /** Take the target's rollback snapshot (default). */
  snapshot: boolean;
  platformTables?: string[];
  /** Mask the copy (forced when the source is production): its rules are checked here. */
  mask: boolean;
  config?: string;
  connectTimeout: number;
  env: NodeJS.ProcessEnv;
}

/** Throughput this machine class sustains end to end (COPY + index build), for the estimate. */
const ESTIMATED_BYTES_PER_SECOND = 40 * 1048576;

export async function runPrepare(ctx: JobContext, o: PrepareOptions): Promise<PrepareResult> {
  ctx.log.info(`prepare ${o.source.display} → ${o.target.display}`);
  const pair = await openPair(o.source, o.target, 'prepare', o.connectTimeout);
  let plan: SyncPlan;
  try {
    const [srcInv, tgtInv] = await Promise.all([
      readInventory(pair.src, { exactCounts: false }),
      readInventory(pair.tgt, { exactCounts: false }),
    ]);
    const production = await guardProduction(pair.tgt, o.target, o.env, o.allowProduction, 'prepare');
    const scope = syncScope(srcInv, tgtInv, o.platformTables);
    const masking = await decideMasking(
      { ...o, config: () => loadConfig(o.config), src: pair.src, targetProduction: production },
      srcInv,
      scope.tables.map((t) => `${t.schema}.${t.name}`),
    );
    // Read only: a rule's expression is tried on the source, never allowed to write there.
    if (masking) await pair.src.begin('read only', (tx) => tryRules(tx, masking.plan));
    const checks = await preflight({
      tgt: pair.tgt,
      srcInv,
      tgtInv,
      schemas: scope.schemas,
      dropSchemas: scope.targetOnlySchemas,
      env: o.env,
      identities: { source: pair.srcIdentity, target: pair.tgtIdentity },
      production: { reason: production, allowed: o.allowProduction },
    });
    const maskCheck = maskingCheck(masking);
    if (maskCheck) checks.push(maskCheck);
    for (const c of checks) {
      const line = `  ${c.status === 'pass' ? 'ok  ' : c.status === 'warn' ? 'warn' : 'FAIL'} ${c.name}: ${c.detail}`;
      if (c.status === 'fail') ctx.log.warn(line);
      else if (c.status === 'warn') ctx.log.warn(line);
      else ctx.log.info(line);
    }
    const diff = diffInventories(srcInv, tgtInv);
    const cascades = [];
    for (const t of cascadeReach(
      tgtInv.foreignKeys,
      scope.platformTables,
      (t) => scope.schemas.includes(t.split('.')[0]!) || scope.platformTables.includes(t),
    )) {
      const [s, n] = t.split(/\.(.+)/) as [string, string];
      const [r] = await pair.tgt`select count(*)::int8 as n from only ${pair.tgt(s)}.${pair.tgt(n)}`;
      cascades.push({ table: t, rows: Number(r!.n) });
    }
    const bytes = scope.tables.reduce((n, t) => n + t.bytes, 0);
    const side = (inv: typeof srcInv, identity: typeof pair.srcIdentity, db: DatabaseTarget) => ({
      name: db.name,
      display: db.display,
      identity,
      serverVersion: inv.database.serverVersion,
      fingerprint: schemaFingerprint(inv),
    });
    plan = {
      format: PLAN_FORMAT,
      createdAt: ctx.now().toISOString(),
      source: side(srcInv, pair.srcIdentity, o.source),
      target: side(tgtInv, pair.tgtIdentity, o.target),
      checks,
      schemas: scope.schemas,
      platformTables: scope.platformTables,
      platformObjects: [
        ...srcInv.triggers
          .filter((t) => t.onPlatformTable && !t.platform)
          .map((t) => `trigger ${t.name} on ${t.schema}.${t.table}`),
        ...srcInv.policies
          .filter((p) => p.onPlatformTable)
          .map((p) => `policy ${p.name} on ${p.schema}.${p.table}`),
      ],
      cascades,
      tables: scope.tables.map((t) => ({
        table: `${t.schema}.${t.name}`,
        estimatedRows: t.estimatedRows,
        bytes: t.bytes,
        platform: t.platform,
      })),
      removes: diff.filter((d) => d.change === 'only on target'),
      changes: diff.filter((d) => d.change !== 'only on target'),
      estimatedSeconds: Math.ceil(2 + bytes / ESTIMATED_BYTES_PER_SECOND),
      snapshot: null,
    };
  } finally {
    await pair.close();
  }
  const ready = !plan.checks.some((c) => c.status === 'fail');
  let snapshotMs: number | null = null;
  if (ready && o.snapshot) {
    // The rollback point: what the sync could change on the target, through the backup code.
    const t0 = Date.now();
    ctx.log.info('  taking the target’s rollback snapshot');
    await runBackup(ctx, {
      db: o.target,
      out: path.join(o.out, 'snapshot'),
      ...(o.platformTables ? { platformTables: o.platformTables } : {}),
      ...(o.env.BACKUP_ENCRYPTION_KEY ? { encryptionKey: o.env.BACKUP_ENCRYPTION_KEY } : {}),
      connectTimeout: o.connectTimeout,
      env: o.env,
    });
    snapshotMs = Date.now() - t0;
    plan.snapshot = 'snapshot';
  }
  writeFileSync(path.join(o.out, 'plan.json'), `${JSON.stringify(plan, null, 2)}\n`);
  return { plan, ready, snapshotMs };
}

/** The target's rows the sync deletes through FKs without carrying them from the source. */
function lostRows(plan: SyncPlan): string[] {
  const lost = (plan.cascades ?? []).filter((c) => c.rows > 0);
  return lost.length
    ? [
        `replacing ${plan.platformTables.join(', ')} deletes on the target, through their FKs: ${lost.map((c) => `${c.table} (${c.rows} rows)`).join(', ')} — every user of the target is signed out; the snapshot keeps them for a rollback`,
      ]
    : [];
}

export const prepareJob: Job<PrepareOptions, PrepareResult> = {
  name: 'prepare',
  npmScript: 'prepare-sync',
  description:
    'Preflight and plan for a sync, changing nothing but taking the target’s rollback snapshot: both databases ' +
    'reachable, versions, pg_dump, target privileges and session_replication_role, extensions and roles the source ' +
    'needs, target ≠ source, production guard, envsync lock, blocking sessions; then plan.json — schemas replaced, ' +
    'platform rows copied, the app’s objects on platform tables, every table with estimates, what only the target ' +
    'has and will be removed, an estimated duration and both schemas’ fingerprints. Exit 1 when a check fails.',
  examples: ['npm run prepare-sync -- --source dev --target staging --out artifacts/prepare'],
  flags: {
    source: { type: 'string', value: '<env|url>', description: 'the database to replicate' },
    target: { type: 'string', value: '<env|url>', description: 'the database the sync will replace' },
    'allow-production': { type: 'boolean', description: 'allow planning a sync into production' },
    'no-snapshot': {
      type: 'boolean',
      description: 'skip the target’s rollback snapshot (no rollback possible)',
    },
    'platform-tables': platformTablesFlag,
    ...maskingFlags,
    'connect-timeout': connectTimeoutFlag,
  },
  parse(flags, env) {
    const snapshot = flags['no-snapshot'] !== true;
    const { databases, platformTables, connectTimeout } = readFlags({
      databases: () => requireSourceAndTarget(flags, env, 'prepare', true),
      platformTables: () => parseList(flags['platform-tables']),
      connectTimeout: () => parseConnectTimeout(flags['connect-timeout']),
      // On Actions the snapshot becomes an artifact anyone who can read the repository can download.
      key: () => {
        if (snapshot && env.GITHUB_ACTIONS === 'true' && !env.BACKUP_ENCRYPTION_KEY) {
          throw new InputError(
            'BACKUP_ENCRYPTION_KEY is not set: on GitHub Actions the target’s snapshot is uploaded as an artifact, and it would be plaintext and unsigned',
            'add the BACKUP_ENCRYPTION_KEY secret to the environment (e.g. `openssl rand -base64 32`), or pass --no-snapshot (no rollback possible)',
          );
        }
      },
    });
    return {
      ...databases,
      out: typeof flags.out === 'string' ? flags.out : path.join('artifacts', 'prepare'),
      allowProduction: flags['allow-production'] === true,
      snapshot,
      ...(platformTables ? { platformTables } : {}),
      ...parseMaskingFlags(flags),
      connectTimeout,
      env,
    };
  },
  run: runPrepare,
  render: renderPlanSummary,
  verdict: (r) => {
    const failed = r.plan.checks.filter((c) => c.status === 'fail');
    return {
      ok: r.ready,
      headline: r.ready
        ? `ready to sync ${r.plan.source.display} → ${r.plan.target.display}: ${r.plan.tables.length} tables, ${r.plan.changes.length} object(s) to create or change, ${r.plan.removes.length} to remove`
        : `preflight failed for ${r.plan.target.display}: ${failed.map((c) => c.name).join(', ')}`,
      problems: failed.map((c) => `${c.name}: ${c.detail}${c.hint ? ` — ${c.hint}` : ''}`),
      warnings: [
        ...r.plan.checks.filter((c) => c.status === 'warn').map((c) => `${c.name}: ${c.detail}`),
        ...lostRows(r.plan),
      ],
    };
  },
  outputs: (r) => ({
    ready: r.ready,
    tables: r.plan.tables.length,
    removes: r.plan.removes.length,
    estimated_seconds: r.plan.estimatedSeconds,
  }),
};
