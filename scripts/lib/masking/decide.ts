// Whether a copy is masked, and with what: prepare, sync and validate decide alike. Masking (and
// neutralizing the copy's side effects) applies with --mask, and always when the source is
// production and the target is not; production itself is never masked or neutralized. Bad rules
// and a missing key are bad input (exit 2) before anything is written; columns of personal tables
// without a rule are the preflight's `masking` check, which fails closed.

import { InputError, InputErrors } from '../base/errors.ts';
import type { Inventory } from '../catalog/model.ts';
import type { Query, Sql } from '../db/connect.ts';
import { productionReason } from '../db/guards.ts';
import { literal, qname } from '../db/sql-text.ts';
import type { DatabaseTarget } from '../db/url.ts';
import type { EnvsyncConfig, SideEffectsConfig } from '../results/config.ts';
import type { PreflightCheck } from '../results/plan.ts';
import { type MaskPlan, resolveMasking } from './rules.ts';

export interface Masking {
  /** Why the copy is masked: `--mask`, or the source being production. */
  reason: string;
  plan: MaskPlan;
  /** MASKING_KEY (never printed or stored), when a keyed strategy is used. */
  key: string | null;
  sideEffects: SideEffectsConfig;
}

export interface MaskingInput {
  mask: boolean;
  /** Reads envsync.yaml (--config), only when the copy is masked. */
  config: () => EnvsyncConfig;
  env: NodeJS.ProcessEnv;
  source: DatabaseTarget;
  target: DatabaseTarget;
  /** The source, to ask the server whether it is production. */
  src: Sql;
  /** Why the target is production, or null. */
  targetProduction: string | null;
  /** Whether MASKING_KEY is needed (not to prove a copy masked: validate). Default true. */
  needKey?: boolean;
}

const MIN_KEY = 16;

/** null when the copy is not masked; else the resolved rules (their bad input thrown, exit 2). */
export async function decideMasking(
  i: MaskingInput,
  srcInv: Inventory,
  tables: string[],
): Promise<Masking | null> {
  const sourceProduction = await productionReason(i.src, i.source, i.env);
  const reason = i.mask
    ? '--mask'
    : sourceProduction && !i.targetProduction
      ? `the source is production (${sourceProduction})`
      : null;
  if (!reason) return null;
  if (i.targetProduction) {
    throw new InputError(
      `${i.target.flag} ${i.target.display} is production (${i.targetProduction}): envsync never masks or neutralizes production`,
      'masking replaces values and disables webhooks and jobs: give a staging or development target',
    );
  }
  const config = i.config();
  if (!config.masking) {
    throw new InputError(
      `this copy must be masked (${reason}), and ${config.file ?? 'envsync.yaml'} has no masking section`,
      'npm run analyze -- --db <source> proposes one (summary.md, "Suggested masking rules")',
    );
  }
  const plan = resolveMasking(config.masking, srcInv, tables);
  if (plan.bad.length)
    throw new InputErrors(
      plan.bad.map((b) => new InputError(b, 'fix the masking section of envsync.yaml (docs/masking.md)')),
    );
  const key = i.env.MASKING_KEY ?? '';
  if (plan.keyed && i.needKey !== false && key.length < MIN_KEY) {
    throw new InputError(
      key
        ? `MASKING_KEY is shorter than ${MIN_KEY} characters`
        : `this copy must be masked (${reason}) and MASKING_KEY is not set`,
      'set MASKING_KEY to a secret of at least 16 characters (e.g. openssl rand -base64 32), the same for every run',
    );
  }
  return {
    reason,
    plan,
    key: plan.keyed ? key : null,
    sideEffects: config.sideEffects,
  };
}

/**
 * The `sql:` and `constant:` rules tried on the source (in its snapshot, nothing read): an
 * expression that does not run, or a constant its column's type refuses, is bad input.
 */
export async function tryRules(tx: Query, plan: MaskPlan): Promise<void> {
  const problems: InputError[] = [];
  for (const [table, masks] of plan.tables) {
    const [schema, name] = table.split(/\.(.+)/) as [string, string];
    for (const m of masks) {
      const s = m.strategy;
      const probe =
        s.kind === 'sql'
          ? `select (${s.expression}) from only ${qname(schema, name)} limit 0`
          : s.kind === 'constant'
            ? `select ${literal(s.value)}::${m.column.type}`
            : null;
      if (!probe) continue;
      await tx.unsafe('savepoint envsync_try_rule');
      try {
        await tx.unsafe(probe);
        await tx.unsafe('release savepoint envsync_try_rule');
      } catch (error) {
        await tx.unsafe('rollback to savepoint envsync_try_rule');
        problems.push(
          new InputError(
            `masking.rules.${m.rule}: ${s.kind === 'sql' ? 'the expression' : 'the constant'} for ${table}.${m.column.name} fails on the source: ${(error as Error).message}`,
            'fix the masking section of envsync.yaml (docs/masking.md)',
          ),
        );
      }
    }
  }
  if (problems.length) throw new InputErrors(problems);
}

/** The preflight's `masking` check: every column of a personal table has a rule. */
export function maskingCheck(m: Masking | null): PreflightCheck | null {
  if (!m) return null;
  const masked = [...m.plan.tables.values()].reduce((n, cs) => n + cs.length, 0);
  if (m.plan.uncovered.length)
    return {
      name: 'masking',
      status: 'fail',
      detail: `${m.plan.uncovered.length} column(s) of personal tables have no masking rule: ${m.plan.uncovered.join(', ')}`,
      hint: 'give each a rule (keep if it holds nothing personal) in the masking section of envsync.yaml; nothing was changed',
    };
  return {
    name: 'masking',
    status: 'pass',
    detail: `${masked} column(s) in ${m.plan.tables.size} table(s) masked on the way (${m.reason})`,
  };
}
