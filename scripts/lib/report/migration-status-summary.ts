// Every migration against every environment, one row per version: what needs fixing stands out.

import type { MigrationStatusResult } from '../results/migration-status.ts';
import { code, environment, table } from './markdown.ts';

const MARK: Record<string, string> = {
  applied: '✅ applied',
  pending: '⏳ pending',
  edited: '❌ edited since applied',
  'missing locally': '❌ missing locally',
  'out of order': '⚠️ out of order',
};

export function renderMigrationStatusSummary(r: MigrationStatusResult): string {
  const names = r.databases.map((d) => (d.name === 'url' ? code(d.display) : environment(d.name)));
  return [
    '## envsync migration-status',
    '',
    r.needAttention.length
      ? `**${r.needAttention.map((n) => environment(n)).join(', ')} need${r.needAttention.length === 1 ? 's' : ''} attention** (see the ❌ and ⚠️ rows).`
      : `**Nothing to fix.** ${r.rows.length} migration(s) in ${code(r.dir)}.`,
    '',
    table(
      ['Version', 'Name', 'Local', ...names],
      r.rows.map((row) => [
        code(row.version),
        row.name,
        row.file ? '✅' : '—',
        ...row.states.map((s) => MARK[s] ?? s),
      ]),
    ),
    '',
  ].join('\n');
}
