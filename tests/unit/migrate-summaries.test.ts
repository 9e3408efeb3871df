// The migration renderers against their golden files (the same rule as tests/unit/summaries.test.ts).
import { renderMigrateSummary } from '../../scripts/lib/report/migrate-summary.ts';
import { renderMigrationStatusSummary } from '../../scripts/lib/report/migration-status-summary.ts';
import { renderNewMigrationSummary } from '../../scripts/lib/report/new-migration-summary.ts';
import { renderRunReport } from '../../scripts/lib/report/run-report-summary.ts';
import { migrated, newMigration, statusAcrossEnvironments, upToDate } from '../fixtures/results/migrate.ts';
import { runSynced } from '../fixtures/results/runs.ts';
import { expectGolden } from '../helpers/golden.ts';

test('migrate summary: applied in two steps; up to date', () => {
  const md = renderMigrateSummary(migrated());
  expectGolden('migrate-summary.applied.md', md);
  expect(md).toContain('**Applied 3 migrations** in 2 steps.');
  expectGolden('migrate-summary.up-to-date.md', renderMigrateSummary(upToDate()));
});

test('migrate summary: a dry run says nothing was applied', () => {
  expect(renderMigrateSummary({ ...migrated(), dryRun: true })).toContain('**Rehearsed and rolled back:**');
});

test('migration-status summary: every version against every environment, what needs fixing first', () => {
  const md = renderMigrationStatusSummary(statusAcrossEnvironments());
  expectGolden('migration-status-summary.md', md);
  expect(md).toContain('**staging, production need attention**');
});

test('new-migration summary', () => {
  expectGolden('new-migration-summary.md', renderNewMigrationSummary(newMigration()));
});

test('db-sync run report in migrate mode: migrated and healthy; stopped and rolled back', () => {
  // In migrate mode the migrate job takes the sync's place and validate does not run.
  const jobs = runSynced()
    .jobs.filter((j) => j.job !== 'validate')
    .map((j) =>
      j.job === 'sync'
        ? {
            ...j,
            job: 'migrate',
            headline: '2 migration(s) applied to staging in 1 transaction(s)/step(s); 3 object change(s)',
          }
        : j,
    );
  const ok = { ...runSynced(), mode: 'migrate', synced: null, migrated: { applied: 2 }, jobs };
  expectGolden('run-report-summary.migrated.md', renderRunReport(ok));
  const failed = { ...ok, ok: false, failedJob: 'health-check', rolledBack: true };
  expect(renderRunReport(failed)).toContain(
    '**Stopped at health-check.** The migrations had committed: **staging was rolled back to its snapshot**',
  );
});
