// The analyze result for people: totals, then the tables in load order, then what
// needs attention. Pure: result in, Markdown out (golden-file tested).

import { DESCRIBED_KINDS } from '../catalog/model.ts';
import type { AnalyzeResult } from '../results/analyze.ts';
import { cell, code, database, formatBytes, formatCount, formatDuration, table } from './markdown.ts';

export function renderAnalyzeSummary(r: AnalyzeResult): string {
  const { app, platform } = r.counts;
  const out: string[] = [];
  const su = r.database.isSuperuser ? 'superuser' : 'not superuser';
  out.push(`## envsync analyze — ${database(r.target)}`);
  out.push('');
  out.push(
    `PostgreSQL ${r.database.serverVersion} · database ${code(r.database.name)} owned by ${code(r.database.owner)} · ` +
      `read as ${code(r.database.currentUser)} (${su}) · ${formatBytes(r.database.sizeBytes)} on disk · analyzed in ${formatDuration(r.durationMs)}`,
  );
  out.push('');
  const row = (label: string, a: string | number, p: string | number) => [label, String(a), String(p)];
  out.push(
    table(
      ['', 'App', 'Platform'],
      [
        row('Schemas', app.schemas, platform.schemas),
        row('Tables', app.tables, platform.tables),
        r.exactCounts
          ? row('Rows (exact)', formatCount(app.rows), formatCount(platform.rows))
          : row('Rows (planner estimate)', `≈${formatCount(app.rows)}`, `≈${formatCount(platform.rows)}`),
        row('Table size', formatBytes(app.sizeBytes), formatBytes(platform.sizeBytes)),
        row('Views / matviews', `${app.views} / ${app.matviews}`, `${platform.views} / ${platform.matviews}`),
        row('Functions', app.functions, platform.functions),
        row('Triggers', app.triggers, platform.triggers),
        row('RLS policies', app.policies, platform.policies),
        row('Sequences', app.sequences, platform.sequences),
        row('Enums', app.enums, platform.enums),
        row('Grants', app.grants, platform.grants),
      ],
      ['l', 'r', 'r'],
    ),
  );
  out.push('');
  const ext = r.extensions.map((e) => `${e.name} ${e.version} (${e.schema})`).join(', ') || 'none';
  out.push(`Extensions: ${ext}. Event triggers: ${r.eventTriggers.map((e) => e.name).join(', ') || 'none'}.`);
  out.push(`Default privileges: ${r.counts.defaultPrivileges} entries.`);
  const other = new Map<string, number>();
  for (const o of r.objects) {
    if (!DESCRIBED_KINDS.has(o.kind) && !r.schemas.find((s) => s.name === o.schema)?.platform)
      other.set(o.kind, (other.get(o.kind) ?? 0) + 1);
  }
  if (other.size) {
    out.push(
      `Other objects in the app schemas: ${[...other].map(([kind, n]) => `${n} ${kind}${n === 1 ? '' : '(s)'}`).join(', ')}.`,
    );
  }
  out.push('');

  const levelOf = new Map<string, number>();
  r.loadOrder.forEach((tables, level) => {
    for (const t of tables) levelOf.set(t, level);
  });
  const inCycle = new Set(r.cycles.flatMap((c) => c.tables));
  // Partitions right under their parent (indented by depth), the rest in load order.
  const partitionsOf = new Map<string, typeof r.tables>();
  for (const t of r.tables) {
    if (t.partitionOf) partitionsOf.set(t.partitionOf, [...(partitionsOf.get(t.partitionOf) ?? []), t]);
  }
  const withPartitions = (t: (typeof r.tables)[number], depth: number): { t: typeof t; depth: number }[] => [
    { t, depth },
    ...(partitionsOf.get(`${t.schema}.${t.name}`) ?? [])
      .sort((a, b) => `${a.schema}.${a.name}`.localeCompare(`${b.schema}.${b.name}`))
      .flatMap((p) => withPartitions(p, depth + 1)),
  ];
  const tableRows = (platformSide: boolean) =>
    r.tables
      .filter((t) => t.platform === platformSide && !t.partitionOf)
      .map((t) => ({ t, q: `${t.schema}.${t.name}`, level: levelOf.get(`${t.schema}.${t.name}`) ?? 0 }))
      .sort((a, b) => a.level - b.level || a.q.localeCompare(b.q))
      .flatMap(({ t }) => withPartitions(t, 0))
      .map(({ t, depth }) => ({
        t,
        depth,
        q: `${t.schema}.${t.name}`,
        level: levelOf.get(`${t.schema}.${t.name}`) ?? 0,
      }))
      .map(({ t, q, level, depth }) => [
        `${level}${inCycle.has(q) ? ' ↻' : ''}`,
        `${depth ? `${'↳'.padStart(depth, '\u00a0')} ` : ''}${code(q)}${t.partitionBound ? ` ${cell(t.partitionBound)}` : ''}${t.partitionKey ? ` — partitioned by ${cell(t.partitionKey)}` : ''}`,
        t.primaryKey.length ? cell(t.primaryKey.join(', ')) : '**none**',
        t.kind === 'partitioned'
          ? `(${r.exactCounts ? formatCount(t.rowCount) : `≈${formatCount(t.estimatedRows)}`} in partitions)`
          : r.exactCounts
            ? formatCount(t.rowCount)
            : `≈${formatCount(t.estimatedRows)}`,
        formatBytes(t.sizeBytes),
        t.rlsEnabled ? (t.rlsForced ? 'on (forced)' : 'on') : 'off',
        cell(t.generatedColumns.join(', ')),
        cell(t.identityColumns.join(', ')),
      ]);
  const headers = ['Load level', 'Table', 'Primary key', 'Rows', 'Size', 'RLS', 'Generated', 'Identity'];
  const align: ('l' | 'r')[] = ['r', 'l', 'l', 'r', 'r', 'l', 'l', 'l'];
  out.push(`### App tables (${app.tables}), in load order`);
  out.push('');
  out.push(app.tables ? table(headers, tableRows(false), align) : '_No app tables._');
  out.push('');
  out.push(`### Platform tables (${platform.tables})`);
  out.push('');
  out.push(platform.tables ? table(headers, tableRows(true), align) : '_No platform tables._');
  out.push('');
  if (inCycle.size) out.push('↻ = part of an FK cycle.', '');

  out.push(`### Needs attention (${r.attention.length})`);
  out.push('');
  if (r.attention.length === 0)
    out.push('Nothing: no FK cycles, every table has a primary key, RLS is consistent.');
  for (const a of r.attention) out.push(`- **${a.kind}** — ${cell(a.message)}`);
  out.push('');
  return out.join('\n');
}
