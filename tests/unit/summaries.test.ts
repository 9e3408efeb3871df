// The Markdown renderers are pure: a fixed result must render to its golden file in tests/golden
// (a missing one fails; `UPDATE_GOLDEN=1 npm test -- tests/unit/summaries.test.ts` writes them — read the diff).

import { existsSync, readdirSync, rmSync } from 'node:fs';
import path from 'node:path';
import { compareInventories } from '../../scripts/lib/catalog/compare.ts';
import { suggestContent } from '../../scripts/lib/catalog/content-suggestion.ts';
import { attentionItems, countObjects } from '../../scripts/lib/catalog/summary.ts';
import { repoRoot } from '../../scripts/lib/cli/env-file.ts';
import { proposeMasking } from '../../scripts/lib/masking/propose.ts';
import { renderAnalyzeSummary } from '../../scripts/lib/report/analyze-summary.ts';
import { renderBackupSummary } from '../../scripts/lib/report/backup-summary.ts';
import { renderBenchSummary } from '../../scripts/lib/report/bench-summary.ts';
import { renderDemoSummary } from '../../scripts/lib/report/demo-summary.ts';
import { renderHealthSummary } from '../../scripts/lib/report/health-summary.ts';
import {
  renderLintMigrationsSummary,
  SHOWN_FINDINGS,
} from '../../scripts/lib/report/lint-migrations-summary.ts';
import { renderMarkProductionSummary } from '../../scripts/lib/report/mark-production-summary.ts';
import { renderPipelineSummary } from '../../scripts/lib/report/pipeline-summary.ts';
import { renderPlanSummary } from '../../scripts/lib/report/plan-summary.ts';
import { renderRollbackSummary } from '../../scripts/lib/report/rollback-summary.ts';
import { renderRunReport } from '../../scripts/lib/report/run-report-summary.ts';
import { renderSyncSummary } from '../../scripts/lib/report/sync-summary.ts';
import { renderValidateSummary } from '../../scripts/lib/report/validate-summary.ts';
import type { AnalyzeResult } from '../../scripts/lib/results/analyze.ts';
import type { BenchResult } from '../../scripts/lib/results/bench.ts';
import type { DemoResult } from '../../scripts/lib/results/demo.ts';
import { maskingInventory } from '../fixtures/results/analyze.ts';
import {
  backupUnverified,
  backupVerified,
  rollbackDiffers,
  rollbackIdentical,
} from '../fixtures/results/backup.ts';
import { byUrl } from '../fixtures/results/environments.ts';
import { foreignKeyOf, sampleForeignKeys, sampleInventory, tableOf } from '../fixtures/results/inventory.ts';
import { lintClean, lintFailed } from '../fixtures/results/lint-migrations.ts';
import { preparedBlocked, preparedReady } from '../fixtures/results/prepare.ts';
import {
  alreadyProduction,
  healthy,
  markedProduction,
  pipelineOk,
  pipelineRolledBack,
  runDryRun,
  runRolledBack,
  runSynced,
  unhealthy,
} from '../fixtures/results/runs.ts';
import { syncCommitted, syncDryRun } from '../fixtures/results/sync.ts';
import { validateDrifted, validateIdentical } from '../fixtures/results/validate.ts';
import { expectGolden, goldenDir } from '../helpers/golden.ts';

function sampleAnalyze(): AnalyzeResult {
  const inv = { ...sampleInventory(), foreignKeys: sampleForeignKeys() };
  return {
    target: { name: 'dev', display: 'postgres://postgres@db.example.test:5432/postgres' },
    ...inv,
    counts: countObjects(inv),
    attention: attentionItems(inv),
    contentSuggestion: suggestContent(inv),
    masking: proposeMasking(maskingInventory()),
    durationMs: 1234,
  };
}

test('analyze summary renders totals, tables in load order, attention, then the content suggestion', () => {
  const md = renderAnalyzeSummary(sampleAnalyze());
  expectGolden('analyze-summary.md', md);
  // Order matters to a reader: totals, tables, attention, then the suggested envsync.yaml.
  expect(md.indexOf('| Tables |')).toBeLessThan(md.indexOf('### App tables'));
  expect(md.indexOf('### Platform tables')).toBeLessThan(md.indexOf('### Needs attention'));
  expect(md.indexOf('### Needs attention')).toBeLessThan(
    md.indexOf('### Suggested content tables (envsync.yaml)'),
  );
  // Hostile names are quoted YAML keys; a table without a key is left commented out.
  expect(md).toContain('    "hotels.weird`tick": {}  # ← public.guest_reservations (restrict)\n');
  expect(md).toContain('    # "public.Mixed Case|pipe": { key: [<column>] }');
});

test('the suggestion snippet is capped, says how many more the JSON holds, and explains a cascade', () => {
  const inv = sampleInventory();
  inv.tables = Array.from({ length: 40 }, (_, i) =>
    tableOf('public', `content_${String(i).padStart(2, '0')}`),
  );
  inv.tables.push(tableOf('auth', 'users'), tableOf('public', 'enrollments'));
  inv.foreignKeys = [
    foreignKeyOf('public.enrollments', 'user_id', 'auth.users', 'cascade'),
    foreignKeyOf('public.enrollments', 'course_id', 'public.content_39', 'cascade'),
  ];
  const r: AnalyzeResult = {
    ...sampleAnalyze(),
    tables: inv.tables,
    contentSuggestion: suggestContent(inv),
  };
  const md = renderAnalyzeSummary(r);
  const snippet = md.slice(md.indexOf('```yaml'), md.lastIndexOf('```'));
  // content_39 is pointed at by a users' table: it leads and survives the cap.
  expect(snippet).toContain('    public.content_39: {}  # ← public.enrollments (cascade)\n');
  expect(snippet).toContain('    public.content_23: {}\n');
  expect(snippet).not.toContain('public.content_24');
  expect(md).toContain('    # … 15 more in analyze.json (contentSuggestion.content)\n');
  expect(md).toContain("`(cascade)`: deleting a row of that table deletes the users' rows that point at it");
});

test('attention lists cycles, missing PKs, RLS without policies, exposure, platform triggers, unreadable tables', () => {
  const kinds = attentionItems(sampleInventory()).map((a) => `${a.kind} ${a.object}`);
  expect(kinds).toEqual([
    'fk-cycle public.staff_users ↔ public.tenant_registry',
    'no-primary-key public.Mixed Case|pipe',
    'rls-without-policies public.staff_users',
    'rls-without-policies public.guest_reservations',
    'exposed-without-rls public.Mixed Case|pipe',
    'trigger-on-platform-table auth.users',
    'unreadable-table storage.objects',
    'matview-not-populated public.mv',
  ]);
});

const DEMO_TIMINGS: DemoResult['timings'] = {
  clustersMs: 900,
  seedMs: 2100,
  analyzeMs: 300,
  pipelinesAndRollbackMs: 4000,
  contentMs: 6100,
  totalMs: 13_400,
};

test('demo summary lists the tables that differ', () => {
  const dev = sampleInventory();
  const staging = sampleInventory();
  staging.tables = staging.tables.filter((t) => t.name !== 'guest_reservations');
  staging.tables[0] = { ...staging.tables[0]!, rowCount: 1 };
  staging.tables.push(tableOf('public', 'legacy_sync_log', { rowCount: 1 }));
  const result: DemoResult = {
    scale: 1,
    dev: { display: 'postgres://postgres@127.0.0.1:5001/postgres', tables: 5, rows: 1 },
    staging: { display: 'postgres://postgres@127.0.0.1:5002/postgres', tables: 5, rows: 1 },
    comparison: compareInventories(dev, staging),
    timings: DEMO_TIMINGS,
    steps: [
      { step: 'analyze-dev', job: 'analyze', exitCode: 0, durationMs: 150, headline: 'ok: 5 app tables' },
      { step: 'rollback-staging', job: 'rollback', exitCode: 0, durationMs: 2500, headline: 'ok: restored' },
    ],
    pipelines: [{ ok: true, rows: 51_000, syncMs: 1200, durationMs: 9000 }],
    stagingRolledBack: true,
    content: {
      compared: { new: 52, changed: 50, onlyOnTarget: 1 },
      refused:
        'content-sync refused: 3 row(s) of public.reservation_extras (reservation_extras_amenity_id_fkey, ON DELETE cascade) reference rows of public.amenities the sync would delete',
      written: { inserted: 53, updated: 50, deleted: 0 },
      protectedTablesChecked: 31,
      guestWrites: 412,
      guestWritesKept: true,
      writtenSince: ['public.reservation_extras'],
      rolledBack: true,
    },
  };
  expect(
    result.comparison.tables.filter((t) => t.status !== 'same').map((t) => `${t.table}: ${t.status}`),
  ).toEqual([
    'public.guest_reservations: missing on target',
    'public.legacy_sync_log: only on target',
    'public.tenant_registry: rows differ',
  ]);
  expectGolden('demo-summary.md', renderDemoSummary(result));
});

test('analyze summary with planner estimates, given by URL, nothing needing attention', () => {
  const inv = sampleInventory();
  inv.exactCounts = false;
  inv.tables = inv.tables
    .filter((t) => t.primaryKey.length && !t.rlsEnabled && t.readable)
    .map((t) => ({ ...t, rowCount: null, estimatedRows: 1_200 }));
  inv.triggers = [];
  inv.views = [];
  inv.cycles = [];
  inv.loadOrder = [inv.tables.map((t) => `${t.schema}.${t.name}`)];
  const r: AnalyzeResult = {
    target: byUrl(5001),
    ...inv,
    counts: countObjects(inv),
    attention: attentionItems(inv),
    contentSuggestion: suggestContent(inv),
    masking: proposeMasking(inv),
    durationMs: 480,
  };
  expect(r.attention).toEqual([]);
  const md = renderAnalyzeSummary(r);
  expect(md).toContain('## envsync analyze — `postgres://postgres@127.0.0.1:5001/postgres`\n');
  expectGolden('analyze-summary.estimates.md', md);
});

test('demo summary when a pipeline failed and the rollback did not prove identical', () => {
  const inv = sampleInventory();
  const result: DemoResult = {
    scale: 2,
    dev: { display: 'postgres://postgres@127.0.0.1:5001/postgres', tables: 5, rows: 1_234_681 },
    staging: { display: 'postgres://postgres@127.0.0.1:5002/postgres', tables: 5, rows: 1_234_681 },
    comparison: compareInventories(inv, inv),
    timings: DEMO_TIMINGS,
    steps: [
      { step: 'pipeline-1', job: 'run-pipeline', exitCode: 1, durationMs: 9000, headline: 'failed: sync' },
    ],
    pipelines: [{ ok: false, rows: 0, syncMs: 0, durationMs: 9000 }],
    stagingRolledBack: false,
    content: {
      compared: { new: 0, changed: 0, onlyOnTarget: 0 },
      refused: '',
      written: { inserted: 0, updated: 0, deleted: 0 },
      protectedTablesChecked: 31,
      guestWrites: 12,
      guestWritesKept: false,
      writtenSince: [],
      rolledBack: false,
    },
    kept: {
      dataDirs: ['/tmp/envsync-pg-dev-x', '/tmp/envsync-pg-staging-x'],
      stopCommand:
        'kill -INT $(head -1 /tmp/envsync-pg-dev-x/data/postmaster.pid); sleep 1; rm -rf /tmp/envsync-pg-dev-x',
    },
  };
  expect(result.comparison.identical).toBe(true);
  expectGolden('demo-summary.failed.md', renderDemoSummary(result));
});

describe('prepare (plan) summary', () => {
  test('ready: what changes on staging, grouped by object, removals first', () => {
    const md = renderPlanSummary(preparedReady());
    expectGolden('plan-summary.ready.md', md);
    // One line for the removed table with its policies, trigger and 32 grants; none per privilege.
    expect(md).toContain(
      '| table | `public.legacy_sync_log` | **removed**, with 2 policies, 1 trigger, 32 grants |',
    );
    expect(md).not.toMatch(/\| grant \|/);
    expect(md.indexOf('**removed**')).toBeLessThan(md.indexOf('| changed'));
    // What changes comes before the (all passing) preflight.
    expect(md.indexOf('### What the sync changes')).toBeLessThan(
      md.indexOf('Preflight: all 8 checks passed'),
    );
  });

  test('blocked: the failing checks lead, nothing was changed', () => {
    const md = renderPlanSummary(preparedBlocked());
    expectGolden('plan-summary.blocked.md', md);
    expect(md).toContain('**Blocked by the preflight:** roles, blocking sessions.');
    expect(md.indexOf('### Preflight')).toBeLessThan(md.indexOf('### What the sync changes'));
    expect(md).not.toContain('Rollback:');
  });
});

describe('sync summary', () => {
  test('committed dev → staging with the plan', () => {
    const md = renderSyncSummary(syncCommitted());
    expectGolden('sync-summary.committed.md', md);
    expect(md).toMatch(/^## envsync sync — dev → staging\n\n`postgres:\/\/postgres@db\.dev/);
    expect(md).toContain(
      '| table | `public.legacy_sync_log` | **removed**, with 2 policies, 1 trigger, 32 grants |',
    );
  });

  test('dry run: what would change, row counts, the preflight it ran', () => {
    const md = renderSyncSummary(syncDryRun());
    expectGolden('sync-summary.dry-run.md', md);
    expect(md).toContain('**Dry run: nothing was written.**');
  });
});

describe('validate summary', () => {
  test('identical, databases given by URL', () => {
    const md = renderValidateSummary(validateIdentical());
    expectGolden('validate-summary.identical.md', md);
    expect(md).toContain('**Exact replica.**');
  });

  test('differences: objects grouped, schema dump, data, located keys, sequences', () => {
    const md = renderValidateSummary(validateDrifted());
    expectGolden('validate-summary.differences.md', md);
    expect(md).toContain('### Objects');
    expect(md).toContain('### Data');
    expect(md).toContain('Differing keys of `public.chat_messages` (id): `["12"]`');
  });
});

test('backup summary: verified and signed; unverified restore, unsigned', () => {
  expectGolden('backup-summary.verified.md', renderBackupSummary(backupVerified()));
  const md = renderBackupSummary(backupUnverified());
  expectGolden('backup-summary.unverified.md', md);
  expect(md).toContain('**differ from the manifest**');
});

test('rollback summary: identical to the snapshot; differences from it', () => {
  expectGolden('rollback-summary.identical.md', renderRollbackSummary(rollbackIdentical()));
  expectGolden('rollback-summary.differences.md', renderRollbackSummary(rollbackDiffers()));
});

test('health summary: all healthy; failures first', () => {
  expectGolden('health-summary.healthy.md', renderHealthSummary(healthy()));
  const md = renderHealthSummary(unhealthy());
  expectGolden('health-summary.failed.md', md);
  expect(md).toContain('**2 of 7 probes failed**');
  // An address in a detail is a code span, never a mail link.
  expect(md).toContain('not found on `postgres://postgres@db.staging.example.test:5432/postgres`');
});

test('mark-production summary: marked now; already marked', () => {
  expectGolden('mark-production-summary.md', renderMarkProductionSummary(markedProduction()));
  expectGolden('mark-production-summary.already.md', renderMarkProductionSummary(alreadyProduction()));
});

test('pipeline summary: synced; stopped at health-check and rolled back', () => {
  expectGolden('pipeline-summary.ok.md', renderPipelineSummary(pipelineOk()));
  expectGolden('pipeline-summary.rolled-back.md', renderPipelineSummary(pipelineRolledBack()));
});

describe('run report (db-sync) summary', () => {
  test('synced, validated, healthy', () => {
    const md = renderRunReport(runSynced());
    expectGolden('run-report-summary.synced.md', md);
    expect(md).toMatch(/^## envsync db-sync — dev → staging\n/);
  });

  test('a failed job and the rollback', () => {
    const md = renderRunReport(runRolledBack());
    expectGolden('run-report-summary.rolled-back.md', md);
    expect(md).toContain('**Stopped at health-check.**');
    expect(md).toContain('**staging was rolled back to its snapshot**');
  });

  test('dry run', () => {
    expectGolden('run-report-summary.dry-run.md', renderRunReport(runDryRun()));
  });
});

test('bench summary: each method against sync, the ratios and their targets', () => {
  const methods = (sync: number): BenchResult['datasets'][number]['methods'] => [
    { id: 'a', method: 'pg_dump | psql --single-transaction', seconds: [9.8, 9.4, 9.6], medianSeconds: 9.6 },
    { id: 'b', method: 'pg_dump -Fc + pg_restore', seconds: [11.2, 11.0, 11.3], medianSeconds: 11.2 },
    { id: 'd', method: 'envsync sync', seconds: [sync + 0.2, sync, sync - 0.1], medianSeconds: sync },
    { id: 'h', method: 'envsync sync --digest', seconds: [8.7, 8.6, 8.8], medianSeconds: 8.7 },
    { id: 'e', method: 'envsync validate --digest', seconds: [2.1, 2.0, 2.2], medianSeconds: 2.1 },
    { id: 'g', method: 'envsync validate (both servers read)', seconds: [3.1, 3.0, 3.3], medianSeconds: 3.1 },
  ];
  const result: BenchResult = {
    runs: 3,
    cpus: 2,
    startedAt: '2026-03-01T12:00:00.000Z',
    pgcopydb: false,
    datasets: [
      {
        key: 'pgbench',
        name: 'pgbench -i -s 50',
        rows: 5_000_150,
        methods: methods(7.9),
        syncPhases: {
          preparationMs: 310,
          schemaMs: 120,
          copyMs: 5_900,
          postDataMs: 1_420,
          commitMs: 20,
          totalMs: 7_800,
        },
        ratios: {
          syncVsDump: 0.82,
          syncVsRestore: 0.71,
          validateVsSync: 0.27,
          validateBothVsSync: 0.39,
          syncDigestVsDump: 0.9,
          syncRowsPerSecond: 632_930,
        },
        growth: {
          smallName: 'pgbench -i -s 5',
          smallRows: 500_015,
          rows: 5_000_150,
          methods: [
            {
              id: 'a',
              method: 'pg_dump | psql --single-transaction',
              smallSeconds: 1.2,
              seconds: 9.6,
              ratio: 8,
            },
            { id: 'd', method: 'envsync sync', smallSeconds: 1.1, seconds: 7.9, ratio: 7.18 },
          ],
          syncPhases: { copyMs: [610, 5_900], postDataMs: [150, 1_420], totalMs: [900, 7_800] },
        },
      },
    ],
  };
  expectGolden('bench-summary.md', renderBenchSummary(result));
});

test('no database address outside a code span in any summary (GitHub would make user@host a mail link)', () => {
  const all = [
    renderPlanSummary(preparedReady()),
    renderPlanSummary(preparedBlocked()),
    renderSyncSummary(syncCommitted()),
    renderSyncSummary(syncDryRun()),
    renderValidateSummary(validateDrifted()),
    renderValidateSummary(validateIdentical()),
    renderBackupSummary(backupVerified()),
    renderBackupSummary(backupUnverified()),
    renderRollbackSummary(rollbackIdentical()),
    renderRollbackSummary(rollbackDiffers()),
    renderHealthSummary(unhealthy()),
    renderMarkProductionSummary(markedProduction()),
    renderPipelineSummary(pipelineRolledBack()),
    renderRunReport(runRolledBack()),
    renderRunReport(runDryRun()),
  ].join('\n');
  const outside = all.replace(/(`+)[^`]*?\1/g, '');
  expect(outside).not.toMatch(/\w@[\w.-]+/);
});

describe('golden files', () => {
  const renderers = readdirSync(path.join(repoRoot, 'scripts', 'lib', 'report'))
    .filter((f) => f.endsWith('-summary.ts'))
    .map((f) => f.replace(/\.ts$/, ''));

  test.each(renderers)('%s has a golden file', (renderer) => {
    expect(readdirSync(goldenDir).filter((g) => g.startsWith(`${renderer}.`))).not.toEqual([]);
  });

  test('a golden that does not match fails', () => {
    const saved = process.env.UPDATE_GOLDEN;
    delete process.env.UPDATE_GOLDEN;
    try {
      expect(() => expectGolden('mark-production-summary.md', 'something else')).toThrow();
    } finally {
      if (saved !== undefined) process.env.UPDATE_GOLDEN = saved;
    }
  });

  test('a missing golden fails, saying how to create it, and is not written', () => {
    const saved = process.env.UPDATE_GOLDEN;
    delete process.env.UPDATE_GOLDEN;
    const name = 'no-such-summary.md';
    try {
      expect(() => expectGolden(name, 'text')).toThrow(
        'create it with `UPDATE_GOLDEN=1 npm test -- tests/unit/summaries.test.ts`',
      );
      expect(existsSync(path.join(goldenDir, name))).toBe(false);
    } finally {
      rmSync(path.join(goldenDir, name), { force: true });
      if (saved !== undefined) process.env.UPDATE_GOLDEN = saved;
    }
  });
});

describe('lint-migrations summary', () => {
  test('errors and warnings against the base: files with errors first, errors before warnings', () => {
    const md = renderLintMigrationsSummary(lintFailed());
    expectGolden('lint-migrations-summary.failed.md', md);
    expect(md).toContain('**4 errors, 3 warnings** in 7 migrations (83 statements) · against `origin/main`');
    // The added file with errors comes before the one with only a warning; in it, errors first.
    const rates = md.indexOf(
      '### `supabase/migrations/20260301120000_room_rates.sql` — 2 errors, 2 warnings',
    );
    expect(rates).toBeGreaterThan(md.indexOf('### `supabase/migrations/20250201000000_chat.sql` — 1 error'));
    expect(
      md.indexOf('### `supabase/migrations/20260303000000_guest_email.sql` — 1 warning'),
    ).toBeGreaterThan(md.indexOf('### `supabase/migrations/20260302090000_cleanup.sql` — 1 error'));
    expect(md.indexOf('`table-without-rls`', rates)).toBeLessThan(
      md.indexOf('`index-not-concurrently`', rates),
    );
  });

  test('clean', () => {
    const md = renderLintMigrationsSummary(lintClean());
    expectGolden('lint-migrations-summary.clean.md', md);
    expect(md).toContain('**No errors, no warnings** in 4 migrations');
  });

  test('capped to one screen: the rest are counted, the JSON has them', () => {
    const r = lintFailed();
    const many = Array.from({ length: SHOWN_FINDINGS + 5 }, (_, i) => ({ ...r.findings[1]!, line: i + 1 }));
    const md = renderLintMigrationsSummary({ ...r, findings: [...r.findings, ...many] });
    expect(md.match(/^\| (❌ error|⚠️ warning) \|/gm)).toHaveLength(SHOWN_FINDINGS);
    expect(md).toContain(
      `… and ${r.findings.length + 5} more findings: \`lint-migrations.json\` lists every one.`,
    );
  });
});
