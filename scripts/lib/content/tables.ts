// The content tables of envsync.yaml resolved against both databases: each one's key, the
// columns compared and written, its place in FK order, and the protected tables that point
// at it. A config that names what cannot be content is refused with every problem at once.

import { InputError, InputErrors } from '../base/errors.ts';
import type { ForeignKey, Inventory, Table } from '../catalog/model.ts';
import type { ContentTableConfig } from '../results/config.ts';

export interface ContentTable {
  schema: string;
  name: string;
  /** `schema.table`. */
  qualified: string;
  key: string[];
  /** Columns copied from the source (generated columns left out: the target computes them). */
  columns: string[];
  /** Every column of the target but generated ones: what a content snapshot saves and restores. */
  targetColumns: string[];
  /** Columns compared and updated: `columns` without the key and the ignored ones. */
  compared: string[];
  ignored: string[];
  delete: 'keep' | 'delete';
  triggers: 'skip' | 'fire';
  /** Identity columns GENERATED ALWAYS: an insert says OVERRIDING SYSTEM VALUE. */
  identityAlways: boolean;
  /** FKs from protected tables to this one: a delete here must not reach them. */
  protectedReferences: ForeignKey[];
  /** Sequences the table's columns own (`schema.sequence`): moved forward only. */
  sequences: string[];
  /**
   * Columns of FKs that close a cycle among content tables (nullable, not deferrable, pointing
   * at a table written later): inserted NULL, set once every table's rows are in, and set NULL
   * on rows about to be deleted before any delete.
   */
  held: string[];
}

const q = (t: { schema: string; name: string }) => `${t.schema}.${t.name}`;

/**
 * Every configured table checked on both sides: it exists, it is an app table, it has a key
 * (the primary key, or a declared one whose columns exist), the ignored columns exist.
 * Returned in write order (`writeOrder`), parents first.
 */
export function resolveContentTables(
  config: Record<string, ContentTableConfig>,
  src: Inventory,
  tgt: Inventory,
): ContentTable[] {
  const problems: InputError[] = [];
  const find = (inv: Inventory, name: string) => inv.tables.find((t) => q(t) === name && t.kind === 'table');
  const names = Object.keys(config);
  const content = new Set(names);
  const tables: ContentTable[] = [];
  for (const name of names) {
    const c = config[name]!;
    const [s, t] = [find(src, name), find(tgt, name)];
    if (!s || !t) {
      problems.push(
        new InputError(
          `content table ${name} does not exist on the ${!s ? 'source' : 'target'}`,
          'list only tables both databases have (schema.table)',
        ),
      );
      continue;
    }
    if (s.platform) {
      problems.push(
        new InputError(
          `${name} belongs to the Supabase platform: it is protected and cannot be content`,
          'list the app’s own content tables (courses, lessons, prices…)',
        ),
      );
      continue;
    }
    const key = c.key ?? (s.primaryKey.length ? s.primaryKey : null);
    if (!key) {
      problems.push(
        new InputError(
          `content table ${name} has no primary key and no key in envsync.yaml`,
          `declare a unique natural key: ${name}: { key: [slug] }`,
        ),
      );
      continue;
    }
    const common = commonColumns(s, t);
    const missing = [...key, ...c.ignoreColumns].filter((k) => !common.includes(k));
    if (missing.length) {
      problems.push(
        new InputError(
          `content table ${name}: no column ${missing.join(', ')} on both sides`,
          'name columns both databases have',
        ),
      );
      continue;
    }
    tables.push({
      schema: s.schema,
      name: s.name,
      qualified: name,
      key,
      columns: common,
      targetColumns: t.columns.filter((col) => !col.generated).map((col) => col.name),
      compared: common.filter((col) => !key.includes(col) && !c.ignoreColumns.includes(col)),
      ignored: c.ignoreColumns,
      delete: c.delete,
      triggers: c.triggers,
      identityAlways: t.columns.some((col) => col.identity === 'always'),
      protectedReferences: tgt.foreignKeys.filter((fk) => fk.references === name && !content.has(fk.table)),
      sequences: tgt.sequences
        .filter((seq) => seq.ownedBy?.startsWith(`${name}.`))
        .map((seq) => `${seq.schema}.${seq.name}`),
      held: [],
    });
  }
  const fks = tgt.foreignKeys.filter(
    (fk) =>
      content.has(fk.table) && content.has(fk.references) && fk.table !== fk.references && !fk.deferrable,
  );
  const { order, problem } = writeOrder(
    tables.map((t) => t.qualified),
    fks,
  );
  if (problem) problems.push(problem);
  if (problems.length) throw problems.length === 1 ? problems[0]! : new InputErrors(problems);
  const position = new Map(order.map((t, i) => [t, i]));
  for (const t of tables)
    t.held = [
      ...new Set(
        fks
          .filter(
            (fk) => fk.table === t.qualified && position.get(fk.references)! > position.get(t.qualified)!,
          )
          .flatMap((fk) => fk.columns),
      ),
    ];
  return tables.sort((a, b) => position.get(a.qualified)! - position.get(b.qualified)!);
}

/**
 * Content tables in write order: parents first, otherwise as envsync.yaml lists them, over
 * the target's FKs that are not deferrable (deferrable ones are deferred). A cycle is entered
 * at a table whose FKs into it are nullable; a cycle of NOT NULL FKs alone cannot be written
 * row by row, and is refused.
 */
function writeOrder(tables: string[], fks: ForeignKey[]): { order: string[]; problem?: InputError } {
  const order: string[] = [];
  const left = new Set(tables);
  const ready = (t: string, strict: boolean) =>
    fks.every((fk) => fk.table !== t || !left.has(fk.references) || (!strict && fk.nullable));
  while (left.size) {
    const next = [...left].find((t) => ready(t, true)) ?? [...left].find((t) => ready(t, false));
    if (!next)
      return {
        order: [...order, ...left],
        problem: new InputError(
          `content tables ${[...left].join(', ')} reference each other through NOT NULL foreign keys that are not deferrable`,
          'make one of those foreign keys DEFERRABLE (or its column nullable) so the rows can be written in one transaction',
        ),
      };
    order.push(next);
    left.delete(next);
  }
  return { order };
}

/** Columns on both sides, generated ones left out, in the target's order. */
function commonColumns(s: Table, t: Table): string[] {
  const there = new Set(s.columns.filter((c) => !c.generated).map((c) => c.name));
  return t.columns.filter((c) => !c.generated && there.has(c.name)).map((c) => c.name);
}
