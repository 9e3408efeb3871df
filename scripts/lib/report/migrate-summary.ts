// The migration run for people: what was applied (or rehearsed), in which transactions, what it
// changed in the schema, and every version that needs attention.

import type { MigrateResult } from '../results/migrate.ts';
import { code, counted, database, formatDuration, table } from './markdown.ts';

const MAX_ROWS = 30;

export function renderMigrateSummary(r: MigrateResult): string {
  const out = [`## envsync migrate — ${database(r.database)}${r.dryRun ? ' (dry run)' : ''}`, ''];
  const attention = r.status.filter((s) => s.state !== 'applied' && s.state !== 'pending');
  if (r.repaired) {
    out.push(
      `**History repaired:** ${r.repaired.versions.map(code).join(', ')} marked ${r.repaired.status}.`,
      '',
    );
  } else if (r.applied.length === 0) {
    out.push(`**Up to date.** ${counted(r.status.length, 'migration')} applied, nothing pending.`, '');
  } else {
    out.push(
      r.dryRun
        ? `**Rehearsed and rolled back:** ${counted(r.applied.length, 'pending migration')} ran without error; nothing was applied.`
        : `**Applied ${counted(r.applied.length, 'migration')}** in ${counted(r.groups.length, 'step')}${r.groups.length === 1 && r.groups[0]!.transaction ? ' (one transaction)' : ''}.`,
      '',
      table(
        ['Migration', 'Statements', 'Time', 'Notes'],
        r.applied.map((a) => [
          code(a.file),
          String(a.statements.length),
          formatDuration(a.ms),
          a.notRehearsed?.length
            ? `not rehearsed (needs its own transaction): line ${a.notRehearsed.map((n) => n.line).join(', ')}`
            : '',
        ]),
        ['l', 'r', 'r', 'l'],
      ),
      '',
    );
    const boundaries = r.groups.filter((g) => !g.transaction || g.reason);
    if (boundaries.length)
      out.push(...boundaries.map((g) => `- ${g.files.map(code).join(', ')}: ${g.reason}`), '');
  }
  if (r.changes.length) {
    out.push(
      '### Schema changes',
      '',
      table(
        ['Change', 'Kind', 'Object'],
        r.changes.slice(0, MAX_ROWS).map((c) => [c.change, c.kind, code(c.object)]),
      ),
      ...(r.changes.length > MAX_ROWS
        ? ['', `… and ${r.changes.length - MAX_ROWS} more (see migrate.json)`]
        : []),
      '',
    );
  }
  if (attention.length) {
    out.push(
      '### Needs attention',
      '',
      table(
        ['Version', 'Name', 'State'],
        attention.map((s) => [code(s.version), s.name, s.state]),
      ),
      '',
    );
  }
  if (r.skipped.length)
    out.push(`Skipped (not \`<version>_<name>.sql\`): ${r.skipped.map(code).join(', ')}`, '');
  if (r.lockRetries) out.push(`${counted(r.lockRetries, 'lock timeout')} met and retried.`, '');
  return out.join('\n');
}
