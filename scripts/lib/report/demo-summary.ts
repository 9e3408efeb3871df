// The demo's result for people: what differs between dev and staging, table by table.

import type { DemoResult } from '../results/demo.ts';
import { code, formatCount, formatDuration, table } from './markdown.ts';

export function renderDemoSummary(r: DemoResult): string {
  const c = r.comparison;
  const differing = c.tables.filter((t) => t.status !== 'same');
  const out = [
    `## envsync demo — dev vs staging (scale ${r.scale})`,
    '',
    `dev ${code(r.dev.display)}: ${r.dev.tables} app tables, ${formatCount(r.dev.rows)} rows · ` +
      `staging ${code(r.staging.display)}: ${r.staging.tables} app tables, ${formatCount(r.staging.rows)} rows`,
    '',
    `Clusters ${formatDuration(r.timings.clustersMs)} · load ${formatDuration(r.timings.seedMs)} · ` +
      `analyze both ${formatDuration(r.timings.analyzeMs)} · two pipelines and a rollback ${formatDuration(r.timings.pipelinesAndRollbackMs)} · ` +
      `content promotion ${formatDuration(r.timings.contentMs)} · ` +
      `total ${formatDuration(r.timings.totalMs)}`,
    '',
    `### Before the pipeline: tables that differ (${differing.length} of ${c.tables.length})`,
    '',
    differing.length
      ? table(
          ['Table', 'dev rows', 'staging rows', 'Status'],
          differing.map((t) => [
            code(t.table),
            formatCount(t.sourceRows),
            formatCount(t.targetRows),
            t.status,
          ]),
          ['l', 'r', 'r', 'l'],
        )
      : 'None: staging holds the same tables and row counts as dev.',
    '',
  ];
  if (c.counts.length) {
    out.push('### App objects that differ', '');
    out.push(
      table(
        ['Kind', 'dev', 'staging'],
        c.counts.map((d) => [d.kind, formatCount(d.source), formatCount(d.target)]),
        ['l', 'r', 'r'],
      ),
      '',
    );
  }
  out.push(
    '### The jobs it ran',
    '',
    table(
      ['Step', 'Job', 'Exit', 'Time'],
      r.steps.map((s) => [code(s.step), s.job, String(s.exitCode), formatDuration(s.durationMs)]),
      ['l', 'l', 'r', 'r'],
    ),
    '',
    ...r.pipelines.map(
      (p, i) =>
        `Pipeline ${i + 1}: ${p.ok ? `staging synced (${formatCount(p.rows)} rows, sync ${formatDuration(p.syncMs)}), validated identical to dev, healthy` : '**failed**'} — ${formatDuration(p.durationMs)}.`,
    ),
    '',
    r.stagingRolledBack
      ? 'After a bad change, staging was rolled back from its snapshot in one transaction and proved identical to it.'
      : '**The rollback of staging did not prove identical.**',
    '',
  );
  out.push(...contentLines(r.content));
  if (r.kept) out.push('Clusters kept running. Stop them with:', '', '```', r.kept.stopCommand, '```', '');
  return out.join('\n');
}

/** The content promotion to production: what differed, the refusal, the sync and its proof, the guests' writes, the rollback. */
function contentLines(c: DemoResult['content']): string[] {
  const w = c.written;
  return [
    '### Content promotion, staging → production (the catalogue only)',
    '',
    `compare: ${formatCount(c.compared.new)} new, ${formatCount(c.compared.changed)} changed, ${formatCount(c.compared.onlyOnTarget)} only on production across the content tables.`,
    '',
    c.refused
      ? `The first sync was **refused**, nothing written: ${c.refused}.`
      : '**The first sync was not refused.**',
    '',
    `With that amenity kept on staging, the sync (\`--plan\` from a dry run) wrote ${formatCount(w.inserted)} inserts, ${formatCount(w.updated)} updates and ${formatCount(w.deleted)} deletes in one transaction; the proof: none of the ${c.protectedTablesChecked} protected tables written. ` +
      (c.guestWritesKept
        ? `Guests booked ${formatCount(c.guestWrites)} extras meanwhile: every one is there.`
        : `**Of the ${formatCount(c.guestWrites)} extras guests booked meanwhile, some are missing.**`),
    '',
    `validate against the sync’s manifest: ${c.writtenSince.length ? `written since the sync began, by the guests (not claimed as unchanged): ${c.writtenSince.map(code).join(', ')}; every other protected table unchanged` : 'every protected table unchanged'}.`,
    '',
    c.rolledBack
      ? 'Then the content was rolled back to the snapshot the sync took: every content table’s count and checksum equal to it.'
      : '**The content rollback did not prove equal to the snapshot.**',
    '',
  ];
}
