// The rollback result for people: the proof first (identical or what differs), then what was
// restored from where, and how long it took.

import type { RollbackResult } from '../results/rollback.ts';
import { dataDifferencesTable } from './data-differences.ts';
import { code, database, formatDuration, table } from './markdown.ts';

export function renderRollbackSummary(r: RollbackResult): string {
  const c = r.comparison;
  const out = [
    `## envsync rollback — ${database(r.target)}`,
    '',
    c.identical
      ? `**Identical to the backup:** ${r.backup.tables} tables (count and checksum) and every sequence${c.leftAlone?.length ? `, but for ${c.leftAlone.map(code).join(', ')}: owned by roles the connecting role cannot act as, left as they were` : ''}.`
      : `**${c.tables.length} table(s) and ${c.sequences.length} sequence(s) differ from the backup.** The restore did not bring the target back to it: see the tables below and rollback.json.`,
    '',
    `From ${code(r.from)}: backup of ${code(r.backup.source)} taken ${r.backup.createdAt}${r.foreign ? ' (**another database**, --force-foreign-backup)' : ''}${r.authenticated ? '' : ' — **unsigned**: taken without BACKUP_ENCRYPTION_KEY, nothing vouches for its files'}.`,
    '',
    `Files verified ${formatDuration(r.timings.verifyFilesMs)} · restored in one transaction ${formatDuration(r.timings.restoreMs)} · proved ${formatDuration(r.timings.proveMs)} · total ${formatDuration(r.timings.totalMs)}`,
    '',
  ];
  if (c.tables.length) {
    out.push(
      dataDifferencesTable(c.tables, {
        expected: 'Backup',
        actual: 'Now',
        extra: 'not in the backup',
        missing: 'missing',
      }),
      '',
    );
  }
  if (c.sequences.length) {
    out.push(
      table(
        ['Sequence', 'Backup', 'Now'],
        c.sequences.map((s) => [code(s.sequence), s.expected?.lastValue ?? '—', s.actual?.lastValue ?? '—']),
      ),
      '',
    );
  }
  return out.join('\n');
}
