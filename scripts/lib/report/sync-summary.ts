// The sync for people: committed or a dry run, what changed on the target (object by object,
// removals first), then the rows, the phases and every table copied.

import type { SyncResult } from '../results/sync.ts';
import { cell, code, counted, formatBytes, formatCount, formatDuration, route, table } from './markdown.ts';
import { groupObjectChanges, objectChangesHeadline, objectChangesTable } from './object-changes.ts';
import { preflightSection } from './preflight-checks.ts';

const rate = (rows: number, ms: number) => (ms > 0 ? formatCount(Math.round(rows / (ms / 1000))) : '—');

export function renderSyncSummary(r: SyncResult): string {
  const where = route(r.source, r.target);
  const out = [`## envsync sync — ${where.heading}${r.dryRun ? ' (dry run)' : ''}`, ''];
  if (where.displays) out.push(where.displays, '');
  const relations = [...r.tables.map((t) => t.table), ...r.rowDeltas.map((d) => d.table)];
  const groups = groupObjectChanges(r.changes, relations);
  const objects = objectChangesHeadline(groups, 'sync') || 'no object changes';
  if (r.dryRun) {
    out.push(
      `**Dry run: nothing was written.** If it ran: ${objects}; ${counted(r.rowDeltas.length, 'table')} with other row counts.`,
      '',
    );
  } else {
    out.push(
      `**Committed in one transaction.** ${counted(r.tables.length, 'table')}, ${formatCount(r.totals.rows)} rows, ${formatBytes(r.totals.bytes)} in ${formatDuration(r.timings.totalMs)} (${rate(r.totals.rows, r.timings.copyMs)} rows/s while copying); ${counted(r.sequences, 'sequence')} set.`,
      '',
      `Objects: ${objects}. Schemas replaced: ${r.schemas.map(code).join(', ')}${r.removedSchemas.length ? ` · **removed: ${r.removedSchemas.map(code).join(', ')}**` : ''} · platform rows replaced: ${r.platformTables.map(code).join(', ') || 'none'}${r.terminated.length ? ` · ${counted(r.terminated.length, 'blocking session')} ended` : ''}`,
      '',
    );
  }
  if (r.commitConfirmedAfterLoss) {
    out.push(
      'The connection was lost during COMMIT; the target confirmed afterwards that the transaction committed.',
      '',
    );
  }
  if (r.leftAlone.length) {
    out.push(
      `**Left alone:** ${r.leftAlone.length} dump entr${r.leftAlone.length === 1 ? 'y' : 'ies'} owned by roles the connecting role cannot act as stay as the target has them (validate compares them): ${r.leftAlone
        .slice(0, 8)
        .map(code)
        .join(', ')}${r.leftAlone.length > 8 ? ` and ${r.leftAlone.length - 8} more (sync.json)` : ''}.`,
      '',
    );
  }
  if (groups.length) {
    out.push(
      `### Schema ${r.dryRun ? 'differences' : 'changes applied'}`,
      '',
      objectChangesTable(r.changes, { wording: 'sync', json: 'sync.json', relations }),
      '',
    );
  }
  if (r.masking) {
    const columns = r.masking.tables.flatMap((t) => t.columns.map((c) => ({ table: t.table, ...c })));
    out.push(
      '### Masked on the way',
      '',
      `${r.masking.reason === '--mask' ? 'With --mask' : `Forced: ${r.masking.reason}`}: ${counted(columns.length, 'column')} in ${counted(r.masking.tables.length, 'table')} ${r.dryRun ? 'would be' : 'were'} masked on their way to the target — the source's values never reach it.`,
      '',
      table(
        ['Column', 'Strategy', 'Rule'],
        columns.slice(0, 40).map((c) => [code(`${c.table}.${c.column}`), c.strategy, code(c.rule)]),
      ),
      ...(columns.length > 40 ? ['', `… and ${columns.length - 40} more (see sync.json).`] : []),
      '',
    );
  }
  if (r.neutralized.length) {
    out.push(
      '### Side effects neutralized',
      '',
      table(
        ['Kind', 'What', 'Action', 'Detail'],
        r.neutralized.map((n) => [n.kind, code(n.name), n.action, cell(n.detail)]),
      ),
      '',
    );
  }
  if (r.rowDeltas.length) {
    out.push(
      '### Row counts',
      '',
      table(
        ['Table', 'Source', 'Target', 'Δ'],
        r.rowDeltas
          .slice(0, 30)
          .map((d) => [
            code(d.table),
            formatCount(d.source),
            formatCount(d.target),
            d.source !== null && d.target !== null
              ? `${d.source - d.target > 0 ? '+' : ''}${formatCount(d.source - d.target)}`
              : '—',
          ]),
        ['l', 'r', 'r', 'r'],
      ),
      ...(r.rowDeltas.length > 30
        ? ['', `… and ${r.rowDeltas.length - 30} more tables (see sync.json).`]
        : []),
      '',
    );
  }
  if (r.checks.length) out.push(...preflightSection(r.checks));
  if (!r.dryRun) {
    out.push(
      table(
        ['Phase', 'Time'],
        [
          ['Preparation (lock, remove old objects)', formatDuration(r.timings.preparationMs)],
          ['Schema (pre-data DDL)', formatDuration(r.timings.schemaMs)],
          ['Data (COPY source → target)', formatDuration(r.timings.copyMs)],
          ['Indexes, constraints, triggers, policies, grants', formatDuration(r.timings.postDataMs)],
          ['Commit', formatDuration(r.timings.commitMs)],
        ],
        ['l', 'r'],
      ),
      '',
    );
  }
  if (r.tables.length) {
    out.push(
      '<details><summary>Every table copied, slowest first</summary>',
      '',
      table(
        ['Table', 'Rows', 'Bytes', 'Time', 'Rows/s', 'Format'],
        [...r.tables]
          .sort((a, b) => b.ms - a.ms || a.table.localeCompare(b.table))
          .map((t) => [
            code(t.table),
            formatCount(t.rows),
            formatBytes(t.bytes),
            formatDuration(t.ms),
            rate(t.rows, t.ms),
            t.format,
          ]),
        ['l', 'r', 'r', 'r', 'r', 'l'],
      ),
      '',
      '</details>',
      '',
    );
  }
  return out.join('\n');
}
