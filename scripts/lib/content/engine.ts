// Content promotion inside the target's transaction: the source's content rows staged in temp
// tables (COPY from the source's snapshot), compared with the target's by key, written with
// upserts that skip equal rows and deletes only where the policy allows and no protected row
// points — then the proof: the transaction's own statistics show no protected table written.

import { InputError, JobError } from '../base/errors.ts';
import type { Query } from '../db/connect.ts';
import { type CopySource, copyTable } from '../db/copy-table.ts';
import { ident, literal, qname } from '../db/sql-text.ts';
import type { ContentSyncResult, ContentTableResult, ProtectedReference } from '../results/content-sync.ts';
import type { ContentTable } from './tables.ts';

export interface Staged {
  table: ContentTable;
  /** The temp table holding the source's rows. */
  stage: string;
}

const cols = (names: string[], alias?: string) =>
  names.map((c) => (alias ? `${alias}.${ident(c)}` : ident(c))).join(', ');
const keyMatch = (t: ContentTable, a: string, b: string) =>
  t.key.map((k) => `${a}.${ident(k)} = ${b}.${ident(k)}`).join(' and ');
const rowOf = (names: string[], alias: string) => (names.length ? `row(${cols(names, alias)})` : 'row()');

/** Fills a stage (quoted `pg_temp.…`) with a table's rows: COPY from the source's snapshot or a content snapshot's file. */
export type FillStage = (t: ContentTable, stage: string) => Promise<void>;

/** COPY from the source's exported snapshot into the stage. */
export const fromSource =
  (source: CopySource, tx: Query): FillStage =>
  async (t, stage) => {
    await copyTable(
      source,
      tx,
      { schema: t.schema, name: t.name, columns: t.columns, binary: false, into: stage },
      () => {},
    );
  };

/** The source's rows of every content table (or a snapshot's), into temp tables dropped at commit. */
export async function stageContent(tx: Query, tables: ContentTable[], fill: FillStage): Promise<Staged[]> {
  const staged: Staged[] = [];
  for (const [i, t] of tables.entries()) {
    const stage = `pg_temp.envsync_content_${i}`;
    await tx.unsafe(
      `create temp table envsync_content_${i} on commit drop as select ${cols(t.columns)} from ${qname(t.schema, t.name)} with no data`,
    );
    await fill(t, stage);
    await tx.unsafe(`create index on ${stage} (${cols(t.key)})`);
    await tx.unsafe(`analyze ${stage}`);
    const [dup] = await tx.unsafe(`select count(*) - count(distinct (${cols(t.key)})) as dup from ${stage}`);
    if (Number(dup!.dup) > 0)
      throw new InputError(
        `the key (${t.key.join(', ')}) of ${t.qualified} is not unique on the source (${dup!.dup} duplicate row(s))`,
        'declare a key that is unique (a primary key, or a unique natural key) in envsync.yaml',
      );
    staged.push({ table: t, stage });
  }
  return staged;
}

/** One content table compared: new, changed, only-on-target and equal rows, samples, and protected references. */
export async function compareTable(tx: Query, s: Staged): Promise<ContentTableResult> {
  const { table: t, stage } = s;
  const target = qname(t.schema, t.name);
  const differs = `${rowOf(t.compared, 's')} is distinct from ${rowOf(t.compared, 't')}`;
  const perColumn = t.compared.map(
    (c, i) => `count(*) filter (where s.${ident(c)} is distinct from t.${ident(c)}) as c${i}`,
  );
  const [counts] = await tx.unsafe(`
    select (select count(*) from ${stage}) as source_rows,
           (select count(*) from ${target}) as target_rows,
           (select count(*) from ${stage} s where not exists (select 1 from ${target} t where ${keyMatch(t, 't', 's')})) as new,
           (select count(*) from ${target} t where not exists (select 1 from ${stage} s where ${keyMatch(t, 't', 's')})) as gone`);
  const [changed] = await tx.unsafe(`
    select count(*) filter (where ${differs}) as changed${perColumn.length ? `, ${perColumn.join(', ')}` : ''}
    from ${stage} s join ${target} t on ${keyMatch(t, 't', 's')}`);
  const keyText = (alias: string) =>
    `concat_ws(', ', ${t.key.map((k) => `${alias}.${ident(k)}::text`).join(', ')})`;
  const sample = async (sql: string) => (await tx.unsafe(`${sql} limit 5`)).map((r) => String(r.k));
  const samples = {
    new: await sample(
      `select ${keyText('s')} as k from ${stage} s where not exists (select 1 from ${target} t where ${keyMatch(t, 't', 's')}) order by 1`,
    ),
    changed: await sample(
      `select ${keyText('s')} as k from ${stage} s join ${target} t on ${keyMatch(t, 't', 's')} where ${differs} order by 1`,
    ),
    onlyOnTarget: await sample(
      `select ${keyText('t')} as k from ${target} t where not exists (select 1 from ${stage} s where ${keyMatch(t, 't', 's')}) order by 1`,
    ),
  };
  const protectedReferences: ProtectedReference[] = [];
  if (t.delete === 'delete') {
    for (const fk of t.protectedReferences) {
      const [schema, name] = fk.table.split(/\.(.+)/) as [string, string];
      const [r] = await tx.unsafe(`
        select count(*) as n from ${qname(schema, name)} p
        where (${cols(fk.columns, 'p')}) in (
          select ${cols(fk.refColumns, 't')} from ${target} t
          where not exists (select 1 from ${stage} s where ${keyMatch(t, 't', 's')}))`);
      if (Number(r!.n) > 0)
        protectedReferences.push({
          table: fk.table,
          constraint: fk.name,
          onDelete: fk.onDelete,
          rows: Number(r!.n),
        });
    }
  }
  const sourceRows = Number(counts!.source_rows);
  const newRows = Number(counts!.new);
  const changedRows = Number(changed!.changed);
  return {
    table: t.qualified,
    key: t.key,
    policy: { delete: t.delete, triggers: t.triggers, ignoreColumns: t.ignored },
    sourceRows,
    targetRows: Number(counts!.target_rows),
    new: newRows,
    changed: changedRows,
    onlyOnTarget: Number(counts!.gone),
    equal: sourceRows - newRows - changedRows,
    changedColumns: Object.fromEntries(
      t.compared.map((c, i) => [c, Number(changed![`c${i}`])]).filter(([, n]) => Number(n) > 0),
    ),
    samples,
    protectedReferences,
    triggersSkipped: [],
    written: { inserted: 0, updated: 0, deleted: 0 },
    sequencesAdvanced: [],
  };
}

/** The target's enabled user triggers on a content table that must not fire (triggers: skip). */
export async function enabledTriggers(tx: Query, t: ContentTable): Promise<string[]> {
  const rows = await tx`
    select tgname from pg_trigger
    where tgrelid = ${qname(t.schema, t.name)}::regclass and not tgisinternal and tgenabled <> 'D'
    order by 1`;
  return rows.map((r) => String(r.tgname));
}

/**
 * Inserts and updates (parents first); equal rows are not rewritten. Held columns (a cycle's
 * forward FKs) are left alone here — inserted NULL — and set by `settleHeld`.
 */
async function upsertTable(tx: Query, s: Staged, r: ContentTableResult): Promise<void> {
  const { table: t, stage } = s;
  const target = qname(t.schema, t.name);
  const set = t.compared.filter((c) => !t.held.includes(c));
  try {
    if (t.compared.length) {
      const changed = `${rowOf(t.compared, 's')} is distinct from ${rowOf(t.compared, 't')}`;
      // A row whose only change is a held column is counted here and written by settleHeld.
      const assign = set.length ? set : [t.key[0]!];
      const updated = await tx.unsafe(`
        update ${target} t set ${assign.map((c) => `${ident(c)} = s.${ident(c)}`).join(', ')}
        from ${stage} s where ${keyMatch(t, 't', 's')} and ${changed}`);
      r.written.updated = updated.count;
    }
    const inserted = await tx.unsafe(`
      insert into ${target} (${cols(t.columns)})${t.identityAlways ? ' overriding system value' : ''}
      select ${t.columns.map((c) => (t.held.includes(c) ? 'null' : `s.${ident(c)}`)).join(', ')} from ${stage} s
      where not exists (select 1 from ${target} t where ${keyMatch(t, 't', 's')})`);
    r.written.inserted = inserted.count;
  } catch (error) {
    const e = error as { code?: string; constraint_name?: string; detail?: string };
    if (e.code === '23505')
      throw new JobError(
        `${t.qualified}: a source row clashes with another row of the target on ${e.constraint_name ?? 'a unique key'} (${e.detail ?? 'duplicate key'})`,
        'the two databases disagree on another unique key (a slug?): fix the row on one side; nothing was committed',
      );
    throw error;
  }
}

/** Held columns set to the source's values, once every content table's rows are in. */
async function settleHeld(tx: Query, s: Staged): Promise<void> {
  const { table: t, stage } = s;
  if (!t.held.length) return;
  await tx.unsafe(`
    update ${qname(t.schema, t.name)} t set ${t.held.map((c) => `${ident(c)} = s.${ident(c)}`).join(', ')}
    from ${stage} s where ${keyMatch(t, 't', 's')} and ${rowOf(t.held, 's')} is distinct from ${rowOf(t.held, 't')}`);
}

/** Held columns set NULL on rows about to be deleted, so a cycle's rows can go in any order. */
async function releaseHeld(tx: Query, s: Staged): Promise<void> {
  const { table: t, stage } = s;
  if (!t.held.length || t.delete !== 'delete') return;
  await tx.unsafe(`
    update ${qname(t.schema, t.name)} t set ${t.held.map((c) => `${ident(c)} = null`).join(', ')}
    where not exists (select 1 from ${stage} s where ${keyMatch(t, 't', 's')})
      and ${t.held.map((c) => `t.${ident(c)} is not null`).join(' or ')}`);
}

/** Deletes where the policy allows (children first); protected references were refused before. */
async function deleteFromTable(tx: Query, s: Staged, r: ContentTableResult): Promise<void> {
  const { table: t, stage } = s;
  if (t.delete !== 'delete') return;
  try {
    const deleted = await tx.unsafe(`
      delete from ${qname(t.schema, t.name)} t
      where not exists (select 1 from ${stage} s where ${keyMatch(t, 't', 's')})`);
    r.written.deleted = deleted.count;
  } catch (error) {
    const e = error as { code?: string; constraint_name?: string; detail?: string; table_name?: string };
    if (e.code === '23503')
      throw new JobError(
        `${t.qualified}: a row the policy deletes is still referenced by a content row the target keeps (${e.constraint_name ?? 'a foreign key'}: ${e.detail ?? 'still referenced'})`,
        'set delete: delete on the referencing content table too, or keep these rows; nothing was committed',
      );
    throw error;
  }
}

/**
 * The writes of sync and rollback, in the target's open transaction: refused first when a
 * protected row references a row that would be deleted; triggers of `triggers: skip` tables
 * disabled; upserts parents first, held cycle columns settled, deletes children first;
 * sequences forward only; triggers back on; then the proof.
 */
export async function writeContent(
  tx: Query,
  staged: Staged[],
  results: Map<Staged, ContentTableResult>,
  what: 'sync' | 'rollback',
  log: (line: string) => void,
  sequences?: Map<string, { lastValue: string; isCalled: boolean }>,
): Promise<ContentProof> {
  refuseProtectedReferences([...results.values()], what);
  // Deferrable FKs among content tables are checked at COMMIT, whatever order rows arrive in.
  await tx.unsafe('set constraints all deferred');
  const disabled: { table: string; trigger: string }[] = [];
  for (const s of staged.filter((x) => x.table.triggers === 'skip')) {
    const r = results.get(s)!;
    r.triggersSkipped = await enabledTriggers(tx, s.table);
    for (const trigger of r.triggersSkipped) {
      const table = qname(s.table.schema, s.table.name);
      await tx.unsafe(`alter table ${table} disable trigger ${ident(trigger)}`);
      disabled.push({ table, trigger });
    }
  }
  for (const s of staged) {
    log(`  ${s.table.qualified}: ${what === 'sync' ? 'upserting' : 'restoring'}`);
    await upsertTable(tx, s, results.get(s)!);
  }
  for (const s of staged) await settleHeld(tx, s);
  for (const s of staged) await releaseHeld(tx, s);
  for (const s of [...staged].reverse()) await deleteFromTable(tx, s, results.get(s)!);
  if (sequences)
    for (const s of staged)
      results.get(s)!.sequencesAdvanced = await advanceSequences(tx, s.table, sequences);
  for (const d of disabled) await tx.unsafe(`alter table ${d.table} enable trigger ${ident(d.trigger)}`);
  await tx.unsafe('set constraints all immediate');
  return proveProtectedUntouched(
    tx,
    staged.map((s) => s.table),
  );
}

/** Refused (exit 1, nothing written) when a protected row references a row the write would delete. */
function refuseProtectedReferences(results: ContentTableResult[], what: 'sync' | 'rollback'): void {
  const blocked = results.flatMap((r) =>
    r.protectedReferences.map(
      (p) =>
        `${p.rows} row(s) of ${p.table} (${p.constraint}, ON DELETE ${p.onDelete}) reference rows of ${r.table} the ${what} would delete`,
    ),
  );
  if (blocked.length)
    throw new JobError(
      `content-sync ${what === 'sync' ? '' : 'rollback '}refused: ${blocked.join('; ')}`,
      what === 'sync'
        ? 'users’ rows point at that content: keep those rows (delete: keep), or move the users’ rows first; nothing was changed'
        : 'users’ rows point at content the sync added: move or remove those rows first, or keep the content; nothing was changed',
    );
}

/** Sequences of content tables moved forward to the source's value, never backwards. */
async function advanceSequences(
  tx: Query,
  t: ContentTable,
  source: Map<string, { lastValue: string; isCalled: boolean }>,
): Promise<string[]> {
  const advanced: string[] = [];
  for (const seq of t.sequences) {
    const s = source.get(seq);
    if (!s) continue;
    const [schema, name] = seq.split(/\.(.+)/) as [string, string];
    const [r] = await tx.unsafe(
      `select pg_catalog.setval(${literal(qname(schema, name))}, $1::int8, $2)
       where ($1::int8, $2) > (select last_value, is_called from ${qname(schema, name)})`,
      [s.lastValue, s.isCalled],
    );
    if (r) advanced.push(seq);
  }
  return advanced;
}

export type ContentProof = NonNullable<ContentSyncResult['proof']>;

/**
 * The proof before COMMIT: this transaction's own statistics (pg_stat_xact_user_tables) —
 * inserts, updates and deletes on every table that is not content. FK cascades and trigger
 * side effects show here whoever did them; anything but zero: ROLLBACK and exit 1.
 */
async function proveProtectedUntouched(tx: Query, tables: ContentTable[]): Promise<ContentProof> {
  const content = new Set(tables.map((t) => t.qualified));
  const rows = await tx`
    select schemaname || '.' || relname as t, n_tup_ins::int8 as ins, n_tup_upd::int8 as upd, n_tup_del::int8 as del
    from pg_stat_xact_user_tables
    where schemaname not like 'pg\\_temp%'`;
  const others = rows.filter((r) => !content.has(String(r.t)));
  const writes = others
    .filter((r) => Number(r.ins) + Number(r.upd) + Number(r.del) > 0)
    .map((r) => ({
      table: String(r.t),
      inserted: Number(r.ins),
      updated: Number(r.upd),
      deleted: Number(r.del),
    }));
  if (writes.length) {
    await tx.unsafe('rollback').catch(() => {});
    throw new JobError(
      `the proof failed: this transaction wrote to protected table(s) ${writes.map((w) => `${w.table} (${w.inserted} inserted, ${w.updated} updated, ${w.deleted} deleted)`).join(', ')} — rolled back, nothing committed`,
      'a trigger or an FK action on a content table writes to users’ tables: set triggers: skip for it, or remove the FK action',
    );
  }
  return { protectedTablesChecked: others.length, writes };
}
