// content-sync for people: per content table what is new, changed or only on the target, what
// a sync wrote, the protected rows that block a delete, and the proof; a rollback: what it
// restored from the snapshot, and each table's count and checksum against the snapshot's.

import type { ContentSyncResult, ProtectedReport } from '../results/content-sync.ts';
import { code, formatCount, formatDuration, route, table } from './markdown.ts';

export function renderContentSyncSummary(r: ContentSyncResult): string {
  const where = route(r.source, r.target);
  const out = [`## envsync content-sync (${r.mode}) — ${where.heading}`, ''];
  if (where.displays) out.push(where.displays, '');
  const blocked = r.tables.flatMap((t) => t.protectedReferences.map((p) => ({ ...p, content: t.table })));
  if (r.mode === 'rollback') return renderRollback(r, out);
  if (r.mode === 'sync') {
    out.push(
      `**Promoted.** ${formatCount(r.tables.reduce((n, t) => n + t.written.inserted, 0))} inserted, ${formatCount(r.tables.reduce((n, t) => n + t.written.updated, 0))} updated, ${formatCount(r.tables.reduce((n, t) => n + t.written.deleted, 0))} deleted in one transaction; ${r.inSync ? 'the content now equals the source’s' : '**the content still differs from the source’s**'}.`,
      '',
      r.proof
        ? `**Proof:** this transaction wrote nothing to any of the ${r.proof.protectedTablesChecked} protected tables it touched or could have (pg_stat_xact_user_tables, checked before COMMIT).`
        : '',
      '',
    );
  } else {
    out.push(
      r.inSync
        ? '**The target’s content equals the source’s** (under each table’s delete policy).'
        : `**${r.mode === 'validate' ? 'The content differs.' : 'What a sync would change:'}**`,
      '',
    );
  }
  if (r.protected) out.push(...protectedLines(r.protected));
  if (blocked.length)
    out.push(
      `**A sync would be refused:** ${blocked.map((b) => `${formatCount(b.rows)} row(s) of ${code(b.table)} (ON DELETE ${b.onDelete}) reference rows of ${code(b.content)} it would delete`).join('; ')}.`,
      '',
    );
  out.push(
    table(
      [
        'Content table',
        'Source',
        'Target',
        'New',
        'Changed',
        'Only on target',
        r.mode === 'sync' ? 'Written (ins/upd/del)' : 'Changed columns',
      ],
      r.tables.map((t) => [
        code(t.table),
        formatCount(t.sourceRows),
        formatCount(t.targetRows),
        formatCount(t.new),
        formatCount(t.changed),
        `${formatCount(t.onlyOnTarget)}${t.policy.delete === 'keep' && t.onlyOnTarget ? ' (kept)' : ''}`,
        r.mode === 'sync'
          ? `${t.written.inserted}/${t.written.updated}/${t.written.deleted}`
          : Object.entries(t.changedColumns)
              .map(([c, n]) => `${code(c)} ${n}`)
              .join(', '),
      ]),
      ['l', 'r', 'r', 'r', 'r', 'r', 'l'],
    ),
    '',
  );
  const triggers = r.tables.filter((t) => t.triggersSkipped.length);
  if (triggers.length)
    out.push(
      `Triggers not fired (triggers: skip): ${triggers.map((t) => `${code(t.table)} ${t.triggersSkipped.map(code).join(', ')}`).join('; ')}.`,
      '',
    );
  const advanced = r.tables.flatMap((t) => t.sequencesAdvanced);
  if (advanced.length)
    out.push(`Sequences moved forward (never back): ${advanced.map(code).join(', ')}.`, '');
  if (r.snapshot)
    out.push(
      `Before writing, the target’s content was saved to ${code(r.snapshot.dir)} (${formatCount(r.snapshot.rows)} rows in ${r.snapshot.tables} table(s), ${snapshotProtection(r.snapshot)}); \`--mode rollback --from ${r.snapshot.dir}\` restores it.`,
      '',
    );
  out.push(`Configuration ${code(r.config)} · ${formatDuration(r.durationMs)}`, '');
  return out.join('\n');
}

/** Users' tables: counts, or against the manifest what nobody wrote and what the application wrote since. */
function protectedLines(p: ProtectedReport): string[] {
  const rows = formatCount(p.tables.reduce((n, t) => n + t.rows, 0));
  if (!p.manifest)
    return [
      `**Protected tables:** ${p.tables.length}, ${rows} rows (counts only: \`--manifest <content-snapshot>\` checks them against a sync’s manifest).`,
      '',
    ];
  const since = p.tables.filter((t) => t.unchanged === false);
  const out = [
    `**Protected tables against the manifest in ${code(p.manifest)}:** ${p.tables.length - since.length} of ${p.tables.length} unchanged since the sync began${
      since.length
        ? `; ${since.length} written since — not by the sync (its proof counted no write of its own): the application’s own writes, not claimed as unchanged.`
        : '.'
    }`,
    '',
  ];
  if (since.length)
    out.push(
      table(
        ['Written since', 'Rows at the manifest', 'Rows now'],
        since.map((t) => [
          code(t.table),
          t.before === null ? '— (new)' : formatCount(t.before),
          formatCount(t.rows),
        ]),
        ['l', 'r', 'r'],
      ),
      '',
    );
  return out;
}

const snapshotProtection = (s: NonNullable<ContentSyncResult['snapshot']>) =>
  `${s.encrypted ? 'encrypted' : '**not encrypted**'}, ${s.signed ? 'signed' : '**not signed**'}${s.verified ? ', read back and checked' : ''}`;

function renderRollback(r: ContentSyncResult, out: string[]): string {
  const sum = (k: 'inserted' | 'updated' | 'deleted') => r.tables.reduce((n, t) => n + t.written[k], 0);
  const checks = new Map((r.restoreChecks ?? []).map((c) => [c.table, c]));
  out.push(
    `**Rolled back.** The content tables are the snapshot again${r.snapshot ? ` (taken ${r.snapshot.createdAt}, ${snapshotProtection(r.snapshot)})` : ''}: ${formatCount(sum('inserted'))} deleted row(s) re-inserted, ${formatCount(sum('updated'))} changed row(s) restored, ${formatCount(sum('deleted'))} row(s) the sync added removed — in one transaction.`,
    '',
    r.inSync
      ? '**Checked before COMMIT:** every content table’s row count and checksum equal the snapshot’s.'
      : '**The content differs from the snapshot.**',
    '',
  );
  if (r.proof)
    out.push(
      `**Proof:** this transaction wrote nothing to any of the ${r.proof.protectedTablesChecked} protected tables it touched or could have (pg_stat_xact_user_tables, checked before COMMIT); users’ rows written since the sync stay.`,
      '',
    );
  out.push(
    table(
      ['Content table', 'Snapshot rows', 'Re-inserted', 'Restored', 'Removed', 'Checksum'],
      r.tables.map((t) => {
        const c = checks.get(t.table);
        return [
          code(t.table),
          formatCount(t.sourceRows),
          formatCount(t.written.inserted),
          formatCount(t.written.updated),
          formatCount(t.written.deleted),
          c ? (c.equal ? 'equal' : `**differs** (${formatCount(c.restored.rows)} rows)`) : '—',
        ];
      }),
      ['l', 'r', 'r', 'r', 'r', 'l'],
    ),
    '',
  );
  const triggers = r.tables.filter((t) => t.triggersSkipped.length);
  if (triggers.length)
    out.push(
      `Triggers not fired: ${triggers.map((t) => `${code(t.table)} ${t.triggersSkipped.map(code).join(', ')}`).join('; ')}.`,
      '',
    );
  if (r.sequencesLeft.length)
    out.push(
      `Sequences left where they are (never moved backwards): ${r.sequencesLeft.map(code).join(', ')}.`,
      '',
    );
  out.push(`Snapshot ${code(r.snapshot?.dir ?? r.source.display)} · ${formatDuration(r.durationMs)}`, '');
  return out.join('\n');
}
