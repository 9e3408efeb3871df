// The sync for people: what was replaced, every table's rows and throughput, the phases.

import type { SyncResult } from '../results/sync.ts';
import { code, formatBytes, formatCount, formatDuration, table } from './markdown.ts';
import { checksTable, differencesTable } from './plan-summary.ts';

const rate = (rows: number, ms: number) => (ms > 0 ? formatCount(Math.round(rows / (ms / 1000))) : '—');

export function renderSyncSummary(r: SyncResult): string {
  const out = [`## envsync sync — ${code(r.source.display)} → ${code(r.target.display)}`, ''];
  if (r.dryRun) {
    out.push(
      `**Dry run: nothing was written.** ${r.changes.length} schema difference(s); ${r.rowDeltas.length} table(s) whose row counts differ.`,
      '',
    );
  } else {
    out.push(
      `**Committed in one transaction.** ${r.tables.length} tables, ${formatCount(r.totals.rows)} rows, ${formatBytes(r.totals.bytes)} in ${formatDuration(r.timings.totalMs)} (${rate(r.totals.rows, r.timings.copyMs)} rows/s while copying); ${r.sequences} sequences set.`,
      '',
      `Schemas replaced: ${r.schemas.map(code).join(', ')}${r.removedSchemas.length ? ` · removed: ${r.removedSchemas.map(code).join(', ')}` : ''} · platform rows replaced: ${r.platformTables.map(code).join(', ') || 'none'}`,
      '',
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
  if (r.leftAlone.length) {
    out.push(
      `**Left alone:** ${r.leftAlone.length} dump entr${r.leftAlone.length === 1 ? 'y' : 'ies'} owned by roles the connecting role cannot act as stay as the target has them (validate compares them): ${r.leftAlone
        .slice(0, 8)
        .map(code)
        .join(', ')}${r.leftAlone.length > 8 ? ` and ${r.leftAlone.length - 8} more (sync.json)` : ''}.`,
      '',
    );
  }
  if (r.checks.length) out.push('### Preflight', '', checksTable(r.checks), '');
  if (r.changes.length)
    out.push(
      `### Schema ${r.dryRun ? 'differences' : 'changes applied'}`,
      '',
      differencesTable(r.changes),
      '',
    );
  if (r.rowDeltas.length) {
    out.push(
      '### Row counts',
      '',
      table(
        ['Table', 'Source', 'Target', 'Δ'],
        r.rowDeltas.map((d) => [
          code(d.table),
          formatCount(d.source),
          formatCount(d.target),
          d.source !== null && d.target !== null
            ? `${d.source - d.target > 0 ? '+' : ''}${formatCount(d.source - d.target)}`
            : '—',
        ]),
        ['l', 'r', 'r', 'r'],
      ),
      '',
    );
  }
  if (r.tables.length) {
    out.push(
      '### Tables',
      '',
      '<details><summary>Every table copied</summary>',
      '',
      table(
        ['Table', 'Rows', 'Bytes', 'Time', 'Rows/s', 'Format'],
        [...r.tables]
          .sort((a, b) => b.ms - a.ms)
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
