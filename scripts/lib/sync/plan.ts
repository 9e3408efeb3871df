// plan.json: what prepare found and what sync will do — the contract between the two
// jobs. Fingerprints of both schemas let sync refuse a plan the databases moved away from.

import { createHash } from 'node:crypto';
import { existsSync, readFileSync } from 'node:fs';
import path from 'node:path';
import { InputError } from '../base/errors.ts';
import { signatures } from '../catalog/diff.ts';
import type { Inventory } from '../catalog/model.ts';
import type { SyncPlan } from '../results/plan.ts';
import { PLAN_FORMAT } from '../results/plan.ts';

/** A stable hash of everything a sync replicates in `inv`'s schema. */
export function schemaFingerprint(inv: Inventory): string {
  const sig = signatures(inv);
  const flat = [...sig.entries()]
    .sort(([a], [b]) => a.localeCompare(b))
    .map(([kind, objects]) => [kind, [...objects.entries()].sort(([a], [b]) => a.localeCompare(b))]);
  return `sha256:${createHash('sha256').update(JSON.stringify(flat)).digest('hex')}`;
}

/**
 * A plan sync may act on, or bad input (exit 2): prepare's preflight passed, it took the
 * target's rollback snapshot (unless this is a dry run), it is younger than `maxAgeMs` (a
 * re-run days later would roll back to a stale snapshot), and it covers the platform tables
 * asked for (the snapshot holds only those).
 */
export function checkPlanUsable(
  plan: SyncPlan,
  dir: string,
  o: { now: Date; maxAgeMs: number; dryRun: boolean; platformTables?: string[] },
): void {
  const failed = plan.checks.filter((c) => c.status === 'fail').map((c) => c.name);
  if (failed.length) {
    throw new InputError(
      `--plan ${dir}: prepare's preflight failed (${failed.join(', ')}); the plan is not ready`,
      'fix what prepare named, then run prepare again',
    );
  }
  if (!plan.snapshot && !o.dryRun) {
    throw new InputError(
      `--plan ${dir} has no rollback snapshot of the target (prepared with --no-snapshot)`,
      'run prepare without --no-snapshot: a sync from a plan needs a way back',
    );
  }
  const age = o.now.getTime() - Date.parse(plan.createdAt);
  if (!(age <= o.maxAgeMs)) {
    throw new InputError(
      `--plan ${dir} was prepared at ${plan.createdAt}, ${Math.round(age / 60_000)} min ago: older than --max-plan-age ${Math.round(o.maxAgeMs / 60_000)} min`,
      'run prepare again: its rollback snapshot is too old to restore to',
    );
  }
  if (
    o.platformTables &&
    [...o.platformTables].sort().join(',') !== [...plan.platformTables].sort().join(',')
  ) {
    throw new InputError(
      `--platform-tables ${o.platformTables.join(',')} is not what --plan ${dir} was prepared for (${plan.platformTables.join(',') || 'none'})`,
      'leave --platform-tables out (the plan decides), or run prepare with the same --platform-tables',
    );
  }
}

/** Reads and checks `<dir>/plan.json` (exit 2 when missing or not a plan). */
export function readPlan(dir: string): SyncPlan {
  const file = path.join(dir, 'plan.json');
  if (!existsSync(file)) {
    throw new InputError(
      `--plan ${dir}: no plan.json there`,
      'run prepare first: npm run prepare-sync -- --source … --target …',
    );
  }
  let plan: SyncPlan;
  try {
    plan = JSON.parse(readFileSync(file, 'utf8')) as SyncPlan;
  } catch {
    throw new InputError(`--plan ${dir}: plan.json is not valid JSON`, 'run prepare again');
  }
  const ok =
    plan &&
    plan.format === PLAN_FORMAT &&
    typeof plan.source?.fingerprint === 'string' &&
    typeof plan.target?.fingerprint === 'string' &&
    plan.source.identity &&
    plan.target.identity &&
    Array.isArray(plan.schemas) &&
    Array.isArray(plan.platformTables) &&
    Array.isArray(plan.checks) &&
    typeof plan.createdAt === 'string';
  if (!ok)
    throw new InputError(
      `--plan ${dir}: plan.json is not an envsync plan (${PLAN_FORMAT})`,
      'run prepare again',
    );
  return plan;
}
