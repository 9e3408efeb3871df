// The migration renderers against their golden files (the same rule as tests/unit/summaries.test.ts).
import { renderMigrateSummary } from '../../scripts/lib/report/migrate-summary.ts';
import { renderMigrationStatusSummary } from '../../scripts/lib/report/migration-status-summary.ts';
import { renderNewMigrationSummary } from '../../scripts/lib/report/new-migration-summary.ts';
import { migrated, newMigration, statusAcrossEnvironments, upToDate } from '../fixtures/results/migrate.ts';
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
