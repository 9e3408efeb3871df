// The last job summary of a db-sync run: the whole run on one screen.

import type { JobConclusion, RunReport } from '../results/report.ts';
import { environment, formatCount, formatDuration, prose, table } from './markdown.ts';

const MARK: Record<JobConclusion, string> = {
  success: '✅ success',
  failure: '❌ failure',
  cancelled: '⏹ cancelled',
  skipped: '⏭ skipped',
  missing: '— not run',
};

function replicaVerdict(r: RunReport, rollback: string): string {
  const target = environment(r.target);
  return r.ok
    ? r.dryRun
      ? '**Dry run: planned, nothing changed.** The sync job summary lists every difference.'
      : `**Synced, validated, healthy.** ${formatCount(r.synced?.rows)} rows in ${r.synced?.tables} tables.`
    : `**Stopped at ${r.failedJob}.**${rollback || (r.synced ? '' : ` ${target} was not changed by this run.`)}`;
}

/** Migrate mode: what the migrate step did instead of a sync's rows. */
function migrateVerdict(r: RunReport): string {
  const target = environment(r.target);
  const applied = `${r.migrated?.applied ?? 0} migration(s)`;
  if (r.ok)
    return r.dryRun
      ? `**Dry run: ${applied} ran and were rolled back; nothing changed.** The migrate job summary lists what they change.`
      : `**Migrated and healthy.** ${applied} applied to ${target}.`;
  return `**Stopped at ${r.failedJob}.** ${
    r.rolledBack === true
      ? `The migrations had committed: **${target} was rolled back to its snapshot** and proved identical to it.`
      : r.rolledBack === false
        ? `**The rollback failed: restore ${target} by hand (docs/github-setup.md, “Recovering by hand”).**`
        : r.migrated && !r.dryRun
          ? `${target} was migrated (${applied} applied) and not rolled back.`
          : `${target} was not changed by this run.`
  }`;
}

/** deploy-production: deployed, nothing to do, planned; or where it stopped, what was undone and what stays. */
function productionVerdict(r: RunReport): string {
  const target = environment(r.target);
  const applied = `${r.migrated?.applied ?? 0} migration(s)`;
  if (r.ok)
    return r.nothingToDo
      ? `**Nothing to deploy.** No pending migration, and ${target}'s content is already ${environment(r.source)}'s. No approval was asked for.`
      : r.dryRun
        ? '**Dry run: planned, nothing deployed.** The plan job summary is what an approver would read.'
        : `**Deployed, validated, healthy.** ${applied} applied, ${formatCount(r.promoted?.rows ?? 0)} content row(s) promoted; backed up first.`;
  return [
    `**Stopped at ${r.failedJob}.**`,
    r.rolledBack === true
      ? 'The content had committed: **it was rolled back to its snapshot** and checked equal to it; users’ tables were not touched.'
      : r.rolledBack === false
        ? '**The content rollback failed: roll it back by hand (docs/production.md).**'
        : '',
    r.migrated?.applied
      ? `${applied} committed and **stay**: restoring the backup would discard users’ writes made since — the deploy job summary gives the one-command restore (restore-production) and what it would lose.`
      : r.failedJob === 'plan' || r.failedJob === 'verify'
        ? `${target} was not changed by this run.`
        : '',
  ]
    .filter(Boolean)
    .join(' ');
}

export function renderRunReport(r: RunReport): string {
  const target = environment(r.target);
  const rollback =
    r.rolledBack === null
      ? ''
      : r.rolledBack
        ? ` The sync had committed: **${target} was rolled back to its snapshot** and proved identical to it.`
        : ` **The rollback failed: restore ${target} by hand (docs/github-setup.md, “Recovering by hand”).**`;
  const production = r.pipeline === 'production';
  const verdict = production
    ? productionVerdict(r)
    : r.mode === 'migrate'
      ? migrateVerdict(r)
      : replicaVerdict(r, rollback);
  return [
    `## envsync ${production ? 'deploy-production' : `db-sync${r.mode === 'migrate' ? ' (migrate)' : ''}`} — ${environment(r.source)} → ${target}${r.dryRun ? ' (dry run)' : ''}`,
    '',
    verdict,
    '',
    table(
      ['Job', 'Result', 'Time', 'What happened'],
      r.jobs.map((j) => [
        j.job,
        MARK[j.result],
        j.elapsedMs === null ? '' : formatDuration(j.elapsedMs),
        prose(j.headline),
      ]),
      ['l', 'l', 'r', 'l'],
    ),
    '',
    `Jobs ran ${formatDuration(r.totalMs)} in total (without runner set-up).` +
      (r.runUrl
        ? ` Artifacts (plan, snapshot, every job’s JSON and summary): [${r.runUrl}#artifacts](${r.runUrl}#artifacts).`
        : ''),
    '',
  ].join('\n');
}
