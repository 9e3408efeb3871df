// The Markdown renderers are pure: a fixed result must render to the golden file.

import { compareInventories } from '../../scripts/lib/catalog/compare.ts';
import type { Column, Inventory, Table, View } from '../../scripts/lib/catalog/model.ts';
import { attentionItems, countObjects } from '../../scripts/lib/catalog/summary.ts';
import { renderAnalyzeSummary } from '../../scripts/lib/report/analyze-summary.ts';
import { renderDemoSummary } from '../../scripts/lib/report/demo-summary.ts';
import type { AnalyzeResult } from '../../scripts/lib/results/analyze.ts';
import type { DemoResult } from '../../scripts/lib/results/demo.ts';
import { expectGolden } from '../helpers/golden.ts';

const col = (name: string, extra: Partial<Column> = {}): Column => ({
  name,
  type: 'text',
  notNull: false,
  default: null,
  generated: null,
  identity: null,
  collation: null,
  ...extra,
});

function tableOf(schema: string, name: string, extra: Partial<Table> = {}): Table {
  return {
    schema,
    name,
    kind: 'table',
    owner: 'postgres',
    platform: ['auth', 'storage'].includes(schema),
    isPartition: false,
    partitionOf: null,
    partitionBound: null,
    partitionKey: null,
    unlogged: false,
    accessMethod: 'heap',
    primaryKey: ['id'],
    columns: [col('id', { type: 'uuid', notNull: true })],
    generatedColumns: [],
    identityColumns: [],
    constraints: [],
    indexes: [],
    rowCount: 10,
    estimatedRows: 10,
    sizeBytes: 16384,
    rlsEnabled: false,
    rlsForced: false,
    readable: true,
    ...extra,
  };
}

function viewOf(name: string, kind: View['kind']): View {
  return {
    schema: 'public',
    name,
    kind,
    owner: 'postgres',
    platform: false,
    definition: 'select 1',
    populated: false,
    options: [],
    columns: [],
    indexes: [],
  };
}

function sampleInventory(): Inventory {
  const tables = [
    tableOf('public', 'tenant_registry', { primaryKey: ['tenant_id'], rlsEnabled: true, rowCount: 3 }),
    tableOf('public', 'staff_users', {
      primaryKey: ['user_id'],
      rlsEnabled: true,
      rlsForced: true,
      rowCount: 7,
    }),
    tableOf('public', 'guest_reservations', {
      generatedColumns: ['nights'],
      rowCount: 104,
      sizeBytes: 3 * 1024 * 1024,
      rlsEnabled: true,
    }),
    tableOf('public', 'Mixed Case|pipe', { primaryKey: [], rowCount: 1_234_567 }),
    tableOf('hotels', 'weird`tick', { identityColumns: ['id'], rowCount: 0 }),
    tableOf('auth', 'users', { rowCount: 2 }),
    tableOf('storage', 'objects', { rowCount: null, readable: false, rlsEnabled: true }),
  ];
  return {
    database: {
      name: 'postgres',
      serverVersion: '15.8',
      serverVersionNum: 150008,
      currentUser: 'postgres',
      isSuperuser: false,
      bypassRls: true,
      owner: 'postgres',
      encoding: 'UTF8',
      sizeBytes: 25 * 1024 * 1024,
      memberOf: ['postgres'],
      accessMethods: ['btree', 'heap'],
    },
    readAt: '2026-01-01T00:00:00.000Z',
    exactCounts: true,
    schemas: [
      { name: 'public', owner: 'pg_database_owner', comment: null, platform: false },
      { name: 'hotels', owner: 'postgres', comment: null, platform: false },
      { name: 'auth', owner: 'supabase_auth_admin', comment: null, platform: true },
      { name: 'storage', owner: 'supabase_storage_admin', comment: null, platform: true },
    ],
    tables,
    foreignKeys: [],
    views: [viewOf('v', 'view'), viewOf('mv', 'matview')],
    functions: [],
    triggers: [
      {
        schema: 'auth',
        table: 'users',
        name: 'on_auth_user_created',
        enabled: 'origin',
        function: 'public.handle_new_user',
        definition: '…',
        onPlatformTable: true,
        platform: false,
      },
    ],
    policies: [
      {
        schema: 'public',
        table: 'tenant_registry',
        name: 'read',
        command: 'select',
        permissive: true,
        roles: ['authenticated'],
        using: 'true',
        check: null,
        onPlatformTable: false,
      },
    ],
    grants: [
      {
        kind: 'table',
        schema: 'public',
        name: 'Mixed Case|pipe',
        grantee: 'anon',
        privilege: 'SELECT',
        grantable: false,
        grantor: 'postgres',
        owner: 'postgres',
        platform: false,
      },
    ],
    defaultPrivileges: [],
    sequences: [],
    extensions: [
      { name: 'pgcrypto', schema: 'extensions', version: '1.3', owner: 'supabase_admin', relocatable: false },
    ],
    enums: [],
    eventTriggers: [],
    objects: [],
    publications: [],
    casts: [],
    loadOrder: [
      [
        'auth.users',
        'hotels.weird`tick',
        'public.Mixed Case|pipe',
        'public.staff_users',
        'public.tenant_registry',
        'storage.objects',
      ],
      ['public.guest_reservations'],
    ],
    cycles: [
      {
        tables: ['public.staff_users', 'public.tenant_registry'],
        foreignKeys: [
          'public.staff_users.staff_users_tenant_id_fkey',
          'public.tenant_registry.tenant_registry_owner_user_id_fkey',
        ],
        breakableAt: ['public.tenant_registry.tenant_registry_owner_user_id_fkey'],
      },
    ],
    selfReferencing: [],
  };
}

function sampleAnalyze(): AnalyzeResult {
  const inv = sampleInventory();
  return {
    target: { name: 'dev', display: 'postgres://postgres@db.example.test:5432/postgres' },
    ...inv,
    counts: countObjects(inv),
    attention: attentionItems(inv),
    durationMs: 1234,
  };
}

test('analyze summary renders totals, tables in load order, then attention', () => {
  const md = renderAnalyzeSummary(sampleAnalyze());
  expectGolden('analyze-summary.md', md);
  // Order matters to a reader: totals, tables, attention.
  expect(md.indexOf('| Tables |')).toBeLessThan(md.indexOf('### App tables'));
  expect(md.indexOf('### Platform tables')).toBeLessThan(md.indexOf('### Needs attention'));
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
    timings: { clustersMs: 900, seedMs: 2100, analyzeMs: 300, pipelinesAndRollbackMs: 4000, totalMs: 7300 },
    steps: [
      { step: 'analyze-dev', job: 'analyze', exitCode: 0, durationMs: 150, headline: 'ok: 5 app tables' },
      { step: 'rollback-staging', job: 'rollback', exitCode: 0, durationMs: 2500, headline: 'ok: restored' },
    ],
    pipelines: [{ ok: true, rows: 51_000, syncMs: 1200, durationMs: 9000 }],
    stagingRolledBack: true,
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
