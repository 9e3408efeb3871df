// The quick start: `npm run demo` shows what differs between dev and stale staging,
// and leaves nothing running behind it.
import { execFileSync } from 'node:child_process';
import { mkdtempSync, readFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import type { DemoResult } from '../../scripts/lib/results/demo.ts';
import type { JobRecord } from '../../scripts/lib/results/job-record.ts';
import { runScript } from '../helpers/run-script.ts';

const maybe = process.env.TEST_DATABASE_URL ? test.skip : test;

function serversUnder(dir: string): number {
  const out = execFileSync('ps', ['-eo', 'args'], { encoding: 'utf8' });
  return out.split('\n').filter((l) => l.includes('postgres -D') && l.includes(dir)).length;
}

maybe('demo: staging misses tables and rows that dev has, and every cluster is gone afterwards', async () => {
  const out = mkdtempSync(path.join(os.tmpdir(), 'envsync-demo-'));
  const run = await runScript('demo', ['--out', out]);
  expect(run.stderr).toBe('');
  expect(run.code).toBe(0);
  expect(run.stdout).toMatch(/public\.compliance_submissions\s+500\s+—\s+missing on target/);
  expect(run.stdout).toMatch(/public\.chat_messages\s+40,000\s+23,976\s+rows differ/);
  expect(run.stdout).toMatch(/public\.legacy_sync_log\s+—\s+1\s+only on target/);
  const record = JSON.parse(readFileSync(path.join(out, 'demo.json'), 'utf8')) as JobRecord<DemoResult>;
  const result = record.result!;
  expect(result.comparison.identical).toBe(false);
  const differing = result.comparison.tables.filter((t) => t.status !== 'same').map((t) => t.table);
  expect(differing).toEqual([
    'public.amenities',
    'public.audit_log',
    'public.chat_conversations',
    'public.chat_messages',
    'public.compliance_submissions',
    'public.job_logs',
    'public.legacy_sync_log',
    'public.reservation_extras',
    'public.saved_spots',
    'public.spot_categories',
    'public.sync_history',
    'public.tourist_spots',
    'supabase_migrations.schema_migrations',
  ]);
  // The real jobs ran, each with its artifacts, and staging's rollback proved identical.
  expect(result.steps.map((s) => `${s.step}:${s.job}:${s.exitCode}`)).toEqual([
    'analyze-dev:analyze:0',
    'analyze-staging:analyze:0',
    'pipeline-1:run-pipeline:0',
    'pipeline-2:run-pipeline:0',
    'rollback-staging:rollback:0',
    'content-compare:content-sync:0',
    'content-sync-refused:content-sync:1',
    'content-plan:content-sync:0',
    'content-sync:content-sync:0',
    'content-validate:content-sync:0',
    'content-rollback:content-sync:0',
  ]);
  // Both pipelines synced staging and validated it identical to dev; the second carried dev's change.
  expect(result.pipelines.map((p) => p.ok)).toEqual([true, true]);
  expect(result.pipelines[1]!.rows).toBe(result.pipelines[0]!.rows + 1);
  expect(result.stagingRolledBack).toBe(true);
  // The content promotion: production's catalogue is behind (50 spots, and staging's new category
  // with its spot; 50 older titles: 47 of them still there) and has an amenity dev retired that guests booked.
  const content = result.content;
  expect(content.compared).toEqual({ new: 52, changed: 47, onlyOnTarget: 1 });
  expect(content.refused).toBe(
    'content-sync refused: 3 row(s) of public.reservation_extras (reservation_extras_amenity_id_fkey, ON DELETE cascade) reference rows of public.amenities the sync would delete',
  );
  expect(content.written).toEqual({ inserted: 52, updated: 47, deleted: 0 });
  expect(content.protectedTablesChecked).toBeGreaterThan(20);
  expect(content.guestWrites).toBeGreaterThan(0);
  expect(content.guestWritesKept).toBe(true);
  expect(content.writtenSince).toEqual(['public.reservation_extras']);
  expect(content.rolledBack).toBe(true);
  for (const job of ['analyze', 'backup', 'prepare', 'sync', 'validate', 'health-check']) {
    expect(readFileSync(path.join(out, 'pipeline-2', job, 'summary.md'), 'utf8')).toContain(`## envsync`);
  }
  expect(
    readFileSync(path.join(out, 'pipeline-2', 'prepare', 'snapshot', 'manifest.json'), 'utf8'),
  ).toContain('"format": "envsync-backup/1"');
  // Both analyses were written by the real analyze job.
  expect(readFileSync(path.join(out, 'analyze-dev', 'summary.md'), 'utf8')).toContain('## envsync analyze');
  expect(readFileSync(path.join(out, 'summary.md'), 'utf8')).toContain(
    '### Before the pipeline: tables that differ (13 of 33)',
  );
  expect(
    serversUnder('envsync-pg-dev-') +
      serversUnder('envsync-pg-staging-') +
      serversUnder('envsync-pg-production-'),
  ).toBe(0);
});

test('demo rejects a bad --scale as bad input', async () => {
  const run = await runScript('demo', [
    '--scale',
    'lots',
    '--out',
    mkdtempSync(path.join(os.tmpdir(), 'envsync-demo-')),
  ]);
  expect(run.code).toBe(2);
  expect(run.stderr.trim().split('\n')).toEqual([
    'error: --scale lots is not a whole number from 1 to 1000',
    'hint: use e.g. --scale 1 (≈50k rows) or --scale 100 (≈5M rows)',
  ]);
});
