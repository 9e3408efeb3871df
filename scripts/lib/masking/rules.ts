// The masking config (envsync.yaml `masking`) resolved against a source's catalog: which column of
// which copied table is masked how. Fails closed: a table listed as personal needs a rule naming
// every column (`keep` counts; a wildcard counts only when it masks, never `table.*: keep`); a key
// column's referencing columns are masked the same way, so FKs still resolve; a rule that names
// nothing, or that its column's type cannot take, is bad input.

import type { Inventory, Table } from '../catalog/model.ts';
import type { MaskingConfig, MaskStrategy } from '../results/config.ts';
import { type ColumnKind, unsupported } from './strategies.ts';

export interface ColumnMask {
  column: ColumnKind;
  strategy: MaskStrategy;
  /** The rule that chose it (`auth.users.email`, `public.profiles.*`), or the FK it follows. */
  rule: string;
}

export interface MaskPlan {
  /** `schema.table` → its masked columns (keep rules left out: nothing to do). */
  tables: Map<string, ColumnMask[]>;
  /** Rules that cannot be honoured: bad input (exit 2), each one line. */
  bad: string[];
  /** Columns of personal tables without any rule: the copy would leak them (prepare and sync stop). */
  uncovered: string[];
  /** Whether a keyed strategy is used (MASKING_KEY needed). */
  keyed: boolean;
}

/**
 * The columns of each table that differ from the source by design: the masked ones, and the
 * generated columns of a masked table (recomputed on the target from masked values).
 */
export function maskedColumns(plan: MaskPlan, inv: Inventory): Map<string, string[]> {
  const out = new Map<string, string[]>();
  for (const [table, masks] of plan.tables) {
    const t = inv.tables.find((x) => `${x.schema}.${x.name}` === table);
    out.set(table, [...masks.map((m) => m.column.name), ...(t?.generatedColumns ?? [])]);
  }
  return out;
}

/** One part of a rule's pattern (`*` anywhere in it) as a whole-name regular expression. */
export const globToRegex = (part: string) =>
  new RegExp(
    `^${part
      .split('*')
      .map((s) => s.replace(/[.+?^${}()|[\]\\]/g, '\\$&'))
      .join('.*')}$`,
  );

/** A pattern's weight: literal characters count, so `auth.users.email` beats `auth.users.*`. */
const weight = (pattern: string) =>
  pattern.replace(/\*/g, '').length * 4 - (pattern.match(/\*/g)?.length ?? 0);

const same = (a: MaskStrategy, b: MaskStrategy) => JSON.stringify(a) === JSON.stringify(b);

/** The rules resolved for `tables` (the copy's, `schema.table`) of `inv`. */
export function resolveMasking(config: MaskingConfig, inv: Inventory, tables: string[]): MaskPlan {
  const bad: string[] = [];
  const byName = new Map(inv.tables.map((t) => [`${t.schema}.${t.name}`, t]));
  const matchers = config.rules.map((r) => ({ ...r, parts: r.pattern.split('.').map(globToRegex) }));
  const used = new Set<string>();
  // Every column of every copied table (and of personal tables) with the rule that fits it best.
  const chosen = new Map<
    string,
    { strategy: MaskStrategy; rule: string; table: Table; column: ColumnKind }
  >();
  const considered = [...new Set([...tables, ...config.personal])];
  for (const p of config.personal)
    if (!byName.has(p)) bad.push(`masking.personal: ${p} is not a table of the source`);
  for (const qualified of considered) {
    const t = byName.get(qualified);
    if (!t) continue;
    for (const c of t.columns) {
      const fits = matchers.filter(
        (m) => m.parts[0]!.test(t.schema) && m.parts[1]!.test(t.name) && m.parts[2]!.test(c.name),
      );
      if (!fits.length) continue;
      const best = fits.reduce((a, b) => (weight(b.pattern) >= weight(a.pattern) ? b : a));
      for (const f of fits) used.add(f.pattern);
      const column = { name: c.name, type: c.type, notNull: c.notNull };
      if (c.generated && best.strategy.kind !== 'keep') {
        // A stored generated column is recomputed on the target from the (masked) columns.
        if (!best.pattern.includes('*'))
          bad.push(
            `masking.rules.${best.pattern}: a generated column is computed on the target from the masked columns — give it keep or no rule`,
          );
        continue;
      }
      chosen.set(`${qualified}.${c.name}`, { strategy: best.strategy, rule: best.pattern, table: t, column });
    }
  }
  for (const r of config.rules)
    if (!r.pattern.includes('*') && !used.has(r.pattern))
      bad.push(`masking.rules.${r.pattern}: no such column in the tables the copy carries`);

  // Keys and their references masked alike, until nothing changes (a chain of FKs).
  const masked = (key: string) => {
    const c = chosen.get(key);
    return c && c.strategy.kind !== 'keep' ? c : null;
  };
  for (let changed = true; changed; ) {
    changed = false;
    for (const fk of inv.foreignKeys) {
      fk.columns.forEach((col, i) => {
        const from = `${fk.table}.${col}`;
        const to = `${fk.references}.${fk.refColumns[i]}`;
        const [a, b] = [masked(from), masked(to)];
        if (a && b) {
          if (!same(a.strategy, b.strategy))
            bad.push(
              `masking: ${from} is masked unlike ${to}, which its FK ${fk.name} references — give both one rule`,
            );
          return;
        }
        const lead = a ?? b;
        if (!lead) return;
        const [key, other] = a ? [to, from] : [from, to];
        const t = byName.get(key.slice(0, key.lastIndexOf('.')));
        const c = t?.columns.find((x) => x.name === key.slice(key.lastIndexOf('.') + 1));
        if (!t || !c) return;
        const explicit = chosen.get(key);
        if (explicit && !explicit.rule.includes('*') && explicit.strategy.kind === 'keep') {
          bad.push(
            `masking.rules.${explicit.rule}: keep, but ${other} is masked and FK ${fk.name} joins them — the FK would no longer resolve`,
          );
          return;
        }
        chosen.set(key, {
          strategy: lead.strategy,
          rule: `FK ${fk.name} (as ${other})`,
          table: t,
          column: { name: c.name, type: c.type, notNull: c.notNull },
        });
        changed = true;
      });
    }
  }

  const plan = new Map<string, ColumnMask[]>();
  let keyed = false;
  for (const [key, c] of chosen) {
    if (c.strategy.kind === 'keep') continue;
    const why = unsupported(c.strategy, c.column);
    if (why) {
      bad.push(
        `masking.rules.${c.rule.startsWith('FK ') ? key : c.rule}: ${key} cannot take ${c.strategy.kind} (${why})`,
      );
      continue;
    }
    const qualified = `${c.table.schema}.${c.table.name}`;
    if (!tables.includes(qualified)) continue;
    if (!['keep', 'sql', 'constant', 'null'].includes(c.strategy.kind)) keyed = true;
    plan.set(qualified, [
      ...(plan.get(qualified) ?? []),
      { column: c.column, strategy: c.strategy, rule: c.rule },
    ]);
  }
  // Fail closed: in a personal table a column is covered by a rule that names it (keep included)
  // or by a wildcard that masks it — never by a wildcard keep, which would let every column added
  // later through unmasked.
  const covers = (c: { strategy: MaskStrategy; rule: string } | undefined) =>
    !!c && !(c.strategy.kind === 'keep' && c.rule.includes('*'));
  const uncovered = config.personal.flatMap((p) => {
    const t = byName.get(p);
    if (!t) return [];
    return t.columns
      .filter((c) => !c.generated && !covers(chosen.get(`${p}.${c.name}`)))
      .map((c) => `${p}.${c.name}`);
  });
  return { tables: plan, bad: [...new Set(bad)], uncovered, keyed };
}
