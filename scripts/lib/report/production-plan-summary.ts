// The approver's screen: what the production deploy will do — pending migrations with their
// lint findings, drift, the content to promote — whether it may be deployed, and the plan's hash
// (the deploy recomputes it and refuses when production moved).

import type { ProductionPlanResult } from '../results/production-plan.ts';
import { code, counted, database, formatCount, formatDuration, table } from './markdown.ts';

export function renderProductionPlanSummary(r: ProductionPlanResult): string {
  const out = [`## envsync production plan — ${database(r.target)}`, ''];
  if (r.verified)
    out.push(
      r.verified.equal
        ? `**Verified:** production as it is now gives the approved plan’s hash ${code(r.hash.slice(0, 19))}: the deploy writes what was approved.`
        : `**Refused: production moved since the plan was approved** — ${r.verified.differs.join(', ')}. Approved ${code(r.verified.hash.slice(0, 19))}, now ${code(r.hash.slice(0, 19))}. Nothing was deployed; run the workflow again for a new plan.`,
      '',
    );
  out.push(
    r.refused.length
      ? `**Not deployable:** ${r.refused.join('; ')}.`
      : r.changes
        ? `**To deploy:** ${counted(r.pending.length, 'pending migration')}, ${formatCount(contentRows(r))} content row(s) — in one approval, backed up first.`
        : '**Nothing to deploy:** no pending migration, the content is already the source’s.',
    '',
    `Plan ${code(r.hash)}${r.commit ? ` · commit ${code(r.commit.slice(0, 12))}` : ''}${r.runId ? ` · run ${r.runId}` : ''}`,
    '',
    '### Migrations',
    '',
  );
  out.push(
    r.pending.length
      ? table(
          ['Pending', 'sha256', 'Lint'],
          r.pending.map((p) => [
            code(p.file),
            code(p.sha256.slice(0, 12)),
            p.findings.length
              ? p.findings
                  .map(
                    (f) =>
                      `${f.severity === 'error' ? '**error**' : 'warning'} ${code(f.rule)} line ${f.line}`,
                  )
                  .join('; ')
              : 'clean',
          ]),
          ['l', 'l', 'l'],
        )
      : 'None pending.',
    '',
  );
  if (r.migrationProblems.length)
    out.push(
      `**Needs fixing first:** ${r.migrationProblems.map((m) => `${code(`${m.version}_${m.name}`)} ${m.state}`).join(', ')}.`,
      '',
    );
  out.push(
    '### Drift',
    '',
    !r.drift.checked
      ? 'Not checked: production has no migration applied yet.'
      : r.drift.drifted
        ? `**Production has drifted** from the migrations it has applied (${r.drift.differences.length}): ${r.drift.differences.slice(0, 10).map(code).join(', ')}${r.drift.differences.length > 10 ? ', …' : ''}.${r.drift.allowed ? ' Deploying anyway (`allow_drift`).' : ''}`
        : 'None: production matches the migrations it has applied.',
    '',
  );
  if (r.contentDeferred) out.push('### Content', '', `Not planned now: ${r.contentDeferred}.`, '');
  if (r.content) {
    out.push(
      `### Content (${r.source ? database(r.source) : 'source'} → production)`,
      '',
      table(
        ['Content table', 'New', 'Changed', 'Only on production', 'Blocked by'],
        r.content.tables.map((t) => [
          code(t.table),
          formatCount(t.new),
          formatCount(t.changed),
          `${formatCount(t.onlyOnTarget)}${t.onlyOnTarget ? (t.delete === 'delete' ? ' (deleted)' : ' (kept)') : ''}`,
          t.blockedBy.join(', ') || '—',
        ]),
        ['l', 'r', 'r', 'r', 'l'],
      ),
      '',
    );
  }
  out.push(
    `Steps' artifacts: migration-status, lint-migrations, drift, content-sync · ${formatDuration(r.durationMs)}`,
    '',
  );
  return out.join('\n');
}

const contentRows = (r: ProductionPlanResult) =>
  (r.content?.tables ?? []).reduce(
    (n, t) => n + t.new + t.changed + (t.delete === 'delete' ? t.onlyOnTarget : 0),
    0,
  );
