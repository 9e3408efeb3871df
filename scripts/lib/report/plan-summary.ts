// prepare's plan for people: ready or blocked, what the sync will change on the target (object by
// object, removals first), what it costs, then the preflight and the tables.

import type { PrepareResult } from '../results/prepare.ts';
import { code, counted, formatBytes, formatCount, formatDuration, route, table } from './markdown.ts';
import { groupObjectChanges, objectChangesHeadline, objectChangesTable } from './object-changes.ts';
import { preflightSection } from './preflight-checks.ts';

export function renderPlanSummary(r: PrepareResult): string {
  const p = r.plan;
  const failed = p.checks.filter((c) => c.status === 'fail');
  const rows = p.tables.reduce((n, t) => n + t.estimatedRows, 0);
  const bytes = p.tables.reduce((n, t) => n + t.bytes, 0);
  const diffs = [...p.removes, ...p.changes];
  const groups = groupObjectChanges(
    diffs,
    p.tables.map((t) => t.table),
  );
  const lost = (p.cascades ?? []).filter((c) => c.rows > 0);
  const where = route(p.source, p.target);
  const out = [`## envsync prepare — ${where.heading}`, ''];
  if (where.displays) out.push(where.displays, '');
  out.push(
    failed.length
      ? `**Blocked by the preflight:** ${failed.map((c) => c.name).join(', ')}. Nothing was changed; fix what the table below says, then run prepare again.`
      : `**Ready to sync.** ${counted(p.schemas.length, 'schema')} replaced, ${counted(p.tables.length, 'table')}, ~${formatCount(rows)} rows (${formatBytes(bytes)} on disk), estimated ${formatDuration(p.estimatedSeconds * 1000)}.`,
    '',
  );
  if (failed.length) out.push(...preflightSection(p.checks));
  out.push(
    '### What the sync changes on the target',
    '',
    `- Objects: ${objectChangesHeadline(groups, 'sync') || 'none: the target’s schema already equals the source’s'}.`,
  );
  if (lost.length) {
    out.push(
      `- **Rows lost on the target** (deleted through FKs with the replaced platform rows, not carried from the source; every user is signed out): ${lost.map((c) => `${code(c.table)} (${formatCount(c.rows)})`).join(', ')}.`,
    );
  }
  if (!failed.length) {
    out.push(
      `- Rollback: ${p.snapshot ? `snapshot of the target in ${code(p.snapshot)}${r.snapshotMs !== null ? ` (taken in ${formatDuration(r.snapshotMs)})` : ''}` : '**no snapshot taken: no rollback possible**'}.`,
    );
  }
  out.push(
    `- App schemas replaced (DDL and data): ${p.schemas.map(code).join(', ') || 'none'}; platform rows replaced: ${p.platformTables.map(code).join(', ') || 'none'}; the app’s objects on platform tables: ${p.platformObjects.map(code).join(', ') || 'none'}.`,
    '',
  );
  if (groups.length)
    out.push(
      objectChangesTable(diffs, {
        wording: 'sync',
        json: 'plan.json',
        relations: p.tables.map((t) => t.table),
      }),
      '',
    );
  if (!failed.length) out.push(...preflightSection(p.checks));
  out.push(
    '<details><summary>Every table, with estimates</summary>',
    '',
    table(
      ['Table', 'Estimated rows', 'Size'],
      p.tables.map((t) => [code(t.table), formatCount(t.estimatedRows), formatBytes(t.bytes)]),
      ['l', 'r', 'r'],
    ),
    '',
    `Fingerprints: source ${code(p.source.fingerprint.slice(0, 19))}, target ${code(p.target.fingerprint.slice(0, 19))}.`,
    '',
    '</details>',
    '',
  );
  return out.join('\n');
}
