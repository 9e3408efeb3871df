// The preflight checks prepare and sync run, as a table: failures and warnings first, and
// folded away when every check passed.

import type { PreflightCheck } from '../results/plan.ts';
import { prose, table } from './markdown.ts';

const mark = { pass: '✅ pass', warn: '⚠️ warn', fail: '❌ fail' } as const;
const order = { fail: 0, warn: 1, pass: 2 } as const;

/** Every check, failures and warnings first. */
export function checksTable(checks: PreflightCheck[]): string {
  return table(
    ['Check', 'Result', 'Detail', 'Fix'],
    [...checks]
      .sort((a, b) => order[a.status] - order[b.status])
      .map((c) => [c.name, mark[c.status], prose(c.detail), prose(c.hint ?? '')]),
  );
}

/** The preflight as a section: the table when a check needs reading, one line when all passed. */
export function preflightSection(checks: PreflightCheck[]): string[] {
  if (checks.every((c) => c.status === 'pass')) {
    return [
      `<details><summary>Preflight: all ${checks.length} checks passed</summary>`,
      '',
      checksTable(checks),
      '',
      '</details>',
      '',
    ];
  }
  return ['### Preflight', '', checksTable(checks), ''];
}
