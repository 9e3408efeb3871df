// prepare's plan for people: the preflight, what will be replaced and removed, estimates.

import type { ObjectDifference, PreflightCheck } from '../results/plan.ts';
import type { PrepareResult } from '../results/prepare.ts';
import { cell, code, formatBytes, formatCount, formatDuration, table } from './markdown.ts';

const mark = { pass: '✅ pass', warn: '⚠️ warn', fail: '❌ fail' } as const;

export function checksTable(checks: PreflightCheck[]): string {
  return table(
    ['Check', 'Result', 'Detail', 'Fix'],
    checks.map((c) => [c.name, mark[c.status], cell(c.detail), cell(c.hint ?? '')]),
  );
}

export function differencesTable(diffs: ObjectDifference[], max = 100): string {
  return [
    table(
      ['Kind', 'Object', 'Change'],
      diffs
        .slice(0, max)
        .map((d) => [
          d.kind,
          code(d.object),
          d.fields ? `differs: ${d.fields.map((f) => f.field).join(', ')}` : d.change,
        ]),
    ),
    diffs.length > max ? `\n… and ${diffs.length - max} more (see the JSON artifact).` : '',
  ].join('\n');
}

export function renderPlanSummary(r: PrepareResult): string {
  const p = r.plan;
  const failed = p.checks.filter((c) => c.status === 'fail');
  const rows = p.tables.reduce((n, t) => n + t.estimatedRows, 0);
  const bytes = p.tables.reduce((n, t) => n + t.bytes, 0);
  const out = [
    `## envsync prepare — ${code(p.source.display)} → ${code(p.target.display)}`,
    '',
    failed.length
      ? `**Preflight failed:** ${failed.map((c) => c.name).join(', ')}. Nothing was changed.`
      : `**Ready to sync.** ${p.schemas.length} schema(s), ${p.tables.length} tables, ~${formatCount(rows)} rows (${formatBytes(bytes)} on disk), estimated ${formatDuration(p.estimatedSeconds * 1000)}.`,
    '',
    '### Preflight',
    '',
    checksTable(p.checks),
    '',
    '### Plan',
    '',
    `- App schemas replaced (DDL and data): ${p.schemas.map(code).join(', ') || 'none'}`,
    `- Platform rows replaced: ${p.platformTables.map(code).join(', ') || 'none'}`,
    `- The app’s objects on platform tables: ${p.platformObjects.map(code).join(', ') || 'none'}`,
    `- Deleted on the target with those rows, through their FKs, not carried from the source: ${
      (p.cascades ?? []).map((c) => `${code(c.table)} (${formatCount(c.rows)} rows)`).join(', ') || 'nothing'
    }`,
    `- Target snapshot for rollback: ${p.snapshot ? code(p.snapshot) : 'not taken'}${r.snapshotMs !== null ? ` (${formatDuration(r.snapshotMs)})` : ''}`,
    `- Fingerprints: source ${code(p.source.fingerprint.slice(0, 19))}, target ${code(p.target.fingerprint.slice(0, 19))}`,
    '',
  ];
  out.push(
    '### Removed from the target',
    '',
    p.removes.length ? differencesTable(p.removes) : 'Nothing: the target has no object the source lacks.',
    '',
  );
  if (p.changes.length) out.push('### Created or changed on the target', '', differencesTable(p.changes), '');
  out.push(
    '<details><summary>Every table, with estimates</summary>',
    '',
    table(
      ['Table', 'Estimated rows', 'Size'],
      p.tables.map((t) => [code(t.table), formatCount(t.estimatedRows), formatBytes(t.bytes)]),
      ['l', 'r', 'r'],
    ),
    '',
    '</details>',
    '',
  );
  return out.join('\n');
}
