// analyze on the demo app's dev database, run as a user runs it.

import { randomUUID } from 'node:crypto';
import { mkdtempSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { replicaScope, scopeTables } from '../../scripts/lib/catalog/scope.ts';
import { loadConfig } from '../../scripts/lib/cli/config.ts';
import { analyzeJob } from '../../scripts/lib/jobs/analyze.ts';
import { resolveMasking } from '../../scripts/lib/masking/rules.ts';
import type { AnalyzeResult } from '../../scripts/lib/results/analyze.ts';
import type { JobRecord } from '../../scripts/lib/results/job-record.ts';
import { cleanEnv, runInProcess } from '../helpers/run-script.ts';
import { closeAll, supabaseDatabase, type TestDatabase } from '../helpers/supabase-db.ts';
import { until } from '../helpers/wait.ts';

let db: TestDatabase;
let result: AnalyzeResult;
let summary: string;

beforeAll(async () => {
  db = await supabaseDatabase({ scale: 1 });
  const out = mkdtempSync(path.join(os.tmpdir(), 'envsync-analyze-'));
  const run = await runInProcess(
    analyzeJob,
    ['--db', 'dev', '--out', out],
    cleanEnv({ DEV_DATABASE_URL: db.url }),
  );
  expect(run.stderr).toBe('');
  expect(run.code).toBe(0);
  const record = JSON.parse(readFileSync(path.join(out, 'analyze.json'), 'utf8')) as JobRecord<AnalyzeResult>;
  expect(record.status).toBe('ok');
  result = record.result!;
  summary = readFileSync(path.join(out, 'summary.md'), 'utf8');
});
afterAll(closeAll);

const table = (q: string) => {
  const t = result.tables.find((t) => `${t.schema}.${t.name}` === q);
  if (!t) throw new Error(`no table ${q} in the inventory`);
  return t;
};

const ownCluster = process.env.TEST_DATABASE_URL ? test.skip : test;

ownCluster('never writes: every statement it sends is a read inside one READ ONLY transaction', async () => {
  const su = db.superuser();
  await su`alter system set log_statement = 'all'`;
  await su`alter system set log_line_prefix = '@@%a@@ '`;
  await su`select pg_reload_conf()`;
  await su.end();
  const logFile = db.cluster!.logFile;
  const offset = readFileSync(logFile, 'utf8').length;
  /** A statement from a new session, seen in the log: the settings apply to new sessions, and all logged before it is written. */
  const logged = async () => {
    const marker = `envsync-log-marker-${randomUUID()}`;
    const s = db.superuser();
    try {
      await s.unsafe(`select '${marker}'`);
    } finally {
      await s.end();
    }
    return until(() => readFileSync(logFile, 'utf8').slice(offset).includes(marker), 10_000);
  };
  expect(await logged()).toBe(true);
  const run = await runInProcess(analyzeJob, [
    '--db',
    db.url,
    '--out',
    mkdtempSync(path.join(os.tmpdir(), 'envsync-ro-')),
  ]);
  expect(run.code).toBe(0);
  expect(await logged()).toBe(true);
  // Rebuild whole entries (multi-line statements continue on lines without the prefix).
  const entries: string[] = [];
  for (const line of readFileSync(logFile, 'utf8').slice(offset).split('\n')) {
    if (line.startsWith('@@')) entries.push(line);
    else if (entries.length) entries[entries.length - 1] += `\n${line}`;
  }
  const statements = entries
    .filter((e) => e.startsWith('@@envsync analyze@@ ') && e.includes('statement: '))
    .map((e) =>
      e
        .slice(e.indexOf('statement: ') + 'statement: '.length)
        .replace(/--[^\n]*/g, '')
        .trim(),
    );
  expect(statements.length).toBeGreaterThan(10);
  expect(statements).toContain('begin read only isolation level repeatable read');
  for (const s of statements) expect(s).toMatch(/^(select|with|begin read only|commit)\b/i);
  expect(statements.join('\n')).not.toMatch(
    /\b(insert|update|delete|create|alter|drop|truncate|grant|copy)\s/i,
  );
});

test('reads as the non-superuser app role', () => {
  expect(result.database).toMatchObject({ currentUser: 'postgres', isSuperuser: false, owner: 'postgres' });
  expect(result.target.display).toBe(db.display);
});

test('finds the non-id primary keys, including a composite one', () => {
  expect(table('public.tenant_registry').primaryKey).toEqual(['tenant_id']);
  expect(table('public.sire_countries').primaryKey).toEqual(['country_code']);
  expect(table('public.staff_users').primaryKey).toEqual(['user_id']);
  expect(table('hotels.policies').primaryKey).toEqual(['tenant_id', 'policy_key']);
  expect(table('public.user_tenant_permissions').primaryKey).toEqual(['user_id', 'tenant_id']);
  expect(table('public.job_logs').primaryKey).toEqual([]);
});

test('finds generated and identity columns', () => {
  expect(table('public.guest_reservations').generatedColumns).toEqual([
    'nights',
    'accommodation_unit_id_key',
  ]);
  expect(table('public.guest_reservations').columns.find((c) => c.name === 'nights')!.generated).toBe(
    '(check_out - check_in)',
  );
  expect(table('auth.users').generatedColumns).toEqual(['confirmed_at']);
  expect(table('public.chat_messages').identityColumns).toEqual(['id']);
  expect(table('public.chat_messages').columns.find((c) => c.name === 'id')!.identity).toBe('by default');
  expect(table('public.audit_log').columns.find((c) => c.name === 'id')!.identity).toBe('always');
});

test('row counts are exact: equal to count(*) of every table', async () => {
  const su = db.superuser();
  try {
    for (const t of result.tables) {
      const [r] = await su`select count(*)::int as n from ${su(t.schema)}.${su(t.name)}`;
      expect(`${t.schema}.${t.name}=${t.rowCount}`).toBe(`${t.schema}.${t.name}=${r!.n}`);
    }
  } finally {
    await su.end();
  }
  expect(table('public.chat_messages').rowCount).toBe(40_000);
  expect(result.counts.app.rows).toBeGreaterThan(45_000);
});

test('names the FK cycle with its FKs and the nullable one that breaks it', () => {
  expect(result.cycles).toEqual([
    {
      tables: ['public.spot_categories', 'public.tourist_spots'],
      foreignKeys: [
        'public.spot_categories.spot_categories_featured_spot_fkey',
        'public.tourist_spots.tourist_spots_category_id_fkey',
      ],
      breakableAt: ['public.spot_categories.spot_categories_featured_spot_fkey'],
    },
    {
      tables: ['public.staff_users', 'public.tenant_registry'],
      foreignKeys: [
        'public.staff_users.staff_users_tenant_id_fkey',
        'public.tenant_registry.tenant_registry_owner_user_id_fkey',
      ],
      breakableAt: ['public.tenant_registry.tenant_registry_owner_user_id_fkey'],
    },
  ]);
  expect(result.selfReferencing).toEqual(['hotels.accommodation_units', 'public.staff_users']);
});

test('load order puts every referenced table first (or in the same cycle)', () => {
  const level = new Map(result.loadOrder.flatMap((l, i) => l.map((t) => [t, i] as const)));
  expect(level.size).toBe(result.tables.length);
  const inCycle = new Set(result.cycles.flatMap((c) => c.tables));
  for (const fk of result.foreignKeys) {
    if (fk.table === fk.references) continue;
    if (inCycle.has(fk.table) && inCycle.has(fk.references)) continue;
    expect(`${fk.table} after ${fk.references}: ${level.get(fk.references)! < level.get(fk.table)!}`).toBe(
      `${fk.table} after ${fk.references}: true`,
    );
  }
  expect(level.get('auth.users')).toBe(0);
  expect(level.get('public.chat_messages')).toBeGreaterThan(level.get('public.chat_conversations')!);
});

test('finds RLS flags, policies, and the user objects on platform tables', () => {
  expect(table('public.guest_reservations')).toMatchObject({ rlsEnabled: true, rlsForced: false });
  expect(table('public.user_tenant_permissions')).toMatchObject({ rlsEnabled: true, rlsForced: true });
  expect(table('public.sire_countries').rlsEnabled).toBe(false);
  const trigger = result.triggers.find((t) => t.name === 'on_auth_user_created')!;
  expect(trigger).toMatchObject({
    schema: 'auth',
    table: 'users',
    onPlatformTable: true,
    platform: false,
    enabled: 'origin',
  });
  expect(result.policies.find((p) => p.schema === 'storage')).toMatchObject({
    table: 'objects',
    name: 'staff read tenant files',
    onPlatformTable: true,
  });
  const kinds = result.attention.map((a) => `${a.kind}: ${a.object}`);
  expect(kinds).toEqual(
    expect.arrayContaining([
      'fk-cycle: public.staff_users ↔ public.tenant_registry',
      'no-primary-key: public.job_logs',
      'rls-without-policies: public.sync_history',
      'trigger-on-platform-table: auth.users',
      'policy-on-platform-table: storage.objects',
    ]),
  );
});

test('counts every object kind, app and platform apart', () => {
  expect(result.counts.app).toMatchObject({
    schemas: 2,
    tables: 20,
    views: 1,
    matviews: 1,
    enums: 1,
    sequences: 7,
  });
  expect(result.counts.app.functions).toBe(6);
  expect(result.counts.app.triggers).toBe(11);
  expect(result.counts.app.policies).toBe(16);
  expect(result.counts.app.grants).toBeGreaterThan(0);
  // The faithful platform fixture: eight auth tables, three storage tables, the migration history.
  expect(result.counts.platform.tables).toBe(12);
  expect(result.extensions.map((e) => `${e.name}@${e.schema}`)).toEqual(
    expect.arrayContaining(['pgcrypto@extensions', 'uuid-ossp@extensions']),
  );
  expect(result.eventTriggers.map((e) => `${e.name}:${e.owner}`)).toEqual(
    expect.arrayContaining(['pgrst_ddl_watch:supabase_admin', 'pgrst_drop_watch:supabase_admin']),
  );
  expect(result.defaultPrivileges.filter((d) => d.grantee === 'anon').length).toBeGreaterThan(0);
});

test('the summary reads totals, tables, then attention', () => {
  expect(summary.indexOf('| Tables | 20 | 12 |')).toBeGreaterThan(0);
  expect(summary.indexOf('`public.chat_messages`')).toBeGreaterThan(summary.indexOf('| Tables |'));
  expect(summary.indexOf('### Needs attention')).toBeGreaterThan(summary.indexOf('### Platform tables'));
});

test('--estimate-only reports planner estimates, marked as such', async () => {
  const out = mkdtempSync(path.join(os.tmpdir(), 'envsync-analyze-'));
  const run = await runInProcess(analyzeJob, ['--db', db.url, '--estimate-only', '--out', out]);
  expect(run.code).toBe(0);
  const r = (JSON.parse(readFileSync(path.join(out, 'analyze.json'), 'utf8')) as JobRecord<AnalyzeResult>)
    .result!;
  expect(r.exactCounts).toBe(false);
  expect(r.tables.every((t) => t.rowCount === null)).toBe(true);
  // The seed ends with ANALYZE, so the estimates are close to the truth.
  expect(r.counts.app.rows).toBeGreaterThan(40_000);
  const md = readFileSync(path.join(out, 'summary.md'), 'utf8');
  expect(md).toContain('| Rows (planner estimate) | ≈');
  expect(md).toMatch(/`public\.chat_messages` \| id \| ≈4\d,\d{3} \|/);
});

test('hostile identifiers are read and counted correctly', async () => {
  const su = db.superuser();
  try {
    await su.unsafe(`
      create schema "Mixed ""Schema""";
      create table "Mixed ""Schema""".select ("we'ird col" int primary key, "ñandú" text, "from" text);
      insert into "Mixed ""Schema""".select select g, 'x', 'y' from generate_series(1, 37) g;
      create table "Mixed ""Schema"""."Tab\`le|pipe" (id int references "Mixed ""Schema""".select);
      create table "Mixed ""Schema""".events (id int, at date not null) partition by range (at);
      create table "Mixed ""Schema""".events_2025 partition of "Mixed ""Schema""".events for values from ('2025-01-01') to ('2026-01-01');
      create table "Mixed ""Schema""".events_2026 partition of "Mixed ""Schema""".events for values from ('2026-01-01') to ('2027-01-01');
      insert into "Mixed ""Schema""".events select g, date '2025-12-25' + g from generate_series(1, 10) g;
      grant usage on schema "Mixed ""Schema""" to postgres;
      grant select on all tables in schema "Mixed ""Schema""" to postgres;
    `);
  } finally {
    await su.end();
  }
  const out = mkdtempSync(path.join(os.tmpdir(), 'envsync-analyze-'));
  const run = await runInProcess(analyzeJob, ['--db', db.url, '--out', out]);
  expect(run.code).toBe(0);
  const r = (JSON.parse(readFileSync(path.join(out, 'analyze.json'), 'utf8')) as JobRecord<AnalyzeResult>)
    .result!;
  const hostile = r.tables.find((t) => t.schema === 'Mixed "Schema"' && t.name === 'select')!;
  expect(hostile).toMatchObject({ rowCount: 37, primaryKey: ["we'ird col"] });
  expect(r.loadOrder.flat()).toEqual(
    expect.arrayContaining(['Mixed "Schema".select', 'Mixed "Schema".Tab`le|pipe']),
  );
  const events = (n: string) => r.tables.find((t) => t.schema === 'Mixed "Schema"' && t.name === n)!;
  expect(events('events')).toMatchObject({ kind: 'partitioned', rowCount: 10 });
  expect(events('events_2025')).toMatchObject({ isPartition: true, rowCount: 6 });
  expect(events('events_2026')).toMatchObject({ isPartition: true, rowCount: 4 });
  // Rows are counted once: in the partitions, not again in their parent.
  expect(r.counts.app.rows).toBe(result.counts.app.rows + 37 + 10);
  const md = readFileSync(path.join(out, 'summary.md'), 'utf8');
  expect(md).toContain('``Mixed "Schema".Tab`le\\|pipe``');
});

// The demo's FKs: staff_users, profiles and user_tenant_permissions reference auth.users; the
// tenant registry points at its owner in staff_users, so every tenant's data (units, policies,
// reservations, chats, submissions) belongs to users, and so do guests' extras and saved spots.
// Reference data, the catalogue and logs reference no one.
test("suggests the demo's content: the SIRE reference data, the catalogue and the logs; every tenant's data is protected", () => {
  expect(result.contentSuggestion.users).toEqual([
    'hotels.accommodation_units',
    'hotels.policies',
    'public.chat_conversations',
    'public.chat_messages',
    'public.compliance_submissions',
    'public.guest_reservations',
    'public.profiles',
    'public.reservation_extras',
    'public.saved_spots',
    'public.staff_users',
    'public.tenant_registry',
    'public.user_tenant_permissions',
  ]);
  expect(result.contentSuggestion.content).toEqual([
    {
      table: 'public.amenities',
      key: ['id'],
      delete: 'keep',
      referencedBy: [{ table: 'public.reservation_extras', onDelete: 'cascade' }],
    },
    { table: 'public.audit_log', key: ['id'], delete: 'keep', referencedBy: [] },
    { table: 'public.job_logs', key: null, delete: 'keep', referencedBy: [] },
    { table: 'public.sire_cities', key: ['city_code'], delete: 'keep', referencedBy: [] },
    {
      table: 'public.sire_countries',
      key: ['country_code'],
      delete: 'keep',
      referencedBy: [{ table: 'public.guest_reservations', onDelete: 'no action' }],
    },
    { table: 'public.spot_categories', key: ['id'], delete: 'keep', referencedBy: [] },
    { table: 'public.sync_history', key: ['id'], delete: 'keep', referencedBy: [] },
    {
      table: 'public.tourist_spots',
      key: ['id'],
      delete: 'keep',
      referencedBy: [{ table: 'public.saved_spots', onDelete: 'cascade' }],
    },
  ]);
  const section = summary.slice(summary.indexOf('### Suggested content tables (envsync.yaml)'));
  expect(section).toContain(
    [
      '```yaml',
      'content:',
      '  tables:',
      '    # delete: keep (the default) on each: rows only the target has stay',
      "    # users' tables point at these",
      '    public.amenities: {}  # ← public.reservation_extras (cascade)',
      '    public.sire_countries: {}  # ← public.guest_reservations (no action)',
      '    public.tourist_spots: {}  # ← public.saved_spots (cascade)',
    ].join('\n'),
  );
  expect(section).toContain('    # public.job_logs: { key: [<column>] }');
  expect(section).toContain("Protected, users' tables (12)");
});

test('points at the suggestion in one line; writes no envsync.yaml, only its artifacts', async () => {
  const out = mkdtempSync(path.join(os.tmpdir(), 'envsync-analyze-'));
  const run = await runInProcess(analyzeJob, ['--db', db.url, '--out', out]);
  expect(run.code).toBe(0);
  expect(run.stdout).toMatch(
    /^content: \d+ candidate table\(s\), 12 users' table\(s\) protected; a starting envsync\.yaml is in summary\.md under "Suggested content tables"$/m,
  );
  expect(run.stdout).toMatch(
    /^masking: 5 personal table\(s\), 13 column\(s\) to mask; a starting envsync\.yaml masking section is in summary\.md under "Suggested masking rules"$/m,
  );
  expect(readdirSync(out).sort()).toEqual(['analyze.json', 'summary.md']);
});

// The demo's people: Supabase Auth's users and identities, the tenants' staff, the app's profiles
// (filled from auth.users by a trigger) and the guests named on reservations.
test("proposes masking for auth.users, auth.identities and the demo's staff, profiles and guests", () => {
  const m = result.masking;
  expect(m.personal).toEqual([
    'auth.identities',
    'auth.users',
    'public.guest_reservations',
    'public.profiles',
    'public.staff_users',
  ]);
  const masked = m.rules.filter((r) => r.strategy !== 'keep');
  expect(Object.fromEntries(masked.map((r) => [r.column, r.strategy]))).toEqual({
    'auth.identities.provider_id': 'hash',
    'auth.identities.identity_data': 'constant:{}',
    'auth.users.email': 'email',
    'auth.users.encrypted_password': 'null',
    'auth.users.confirmation_token': 'constant:',
    'auth.users.recovery_token': 'constant:',
    'auth.users.raw_user_meta_data': 'constant:{}',
    'auth.users.phone': 'phone',
    'public.guest_reservations.guest_name': 'name',
    'public.guest_reservations.guest_email': 'email',
    'public.profiles.email': 'email',
    'public.profiles.display_name': 'name',
    'public.staff_users.full_name': 'name',
  });
  // Every other column of those tables is kept by name (generated ones need no rule).
  const kept = (table: string) =>
    m.rules.filter((r) => r.strategy === 'keep' && r.column.startsWith(`${table}.`)).map((r) => r.column);
  for (const name of m.personal) {
    const t = table(name);
    const rule = new Set([...masked.map((r) => r.column), ...kept(name)]);
    expect(t.columns.filter((c) => !c.generated && !rule.has(`${name}.${c.name}`))).toEqual([]);
  }
  expect(kept('public.staff_users')).toEqual([
    'public.staff_users.user_id',
    'public.staff_users.tenant_id',
    'public.staff_users.role',
    'public.staff_users.permissions',
    'public.staff_users.manager_id',
    'public.staff_users.created_at',
    'public.staff_users.updated_at',
  ]);
  expect(m.rules.find((r) => r.column === 'public.staff_users.permissions')!.why).toBe(
    'kept — review: a text[] can hold personal data its name does not show',
  );
  // Generated: auth.identities.email follows identity_data; auth.users.confirmed_at is a time.
  expect(m.skipped).toEqual([
    {
      column: 'auth.identities.email',
      why: 'an email address, generated from identity_data: computed on the target from the masked value, no rule needed (a generated column cannot be masked)',
    },
  ]);
  // Not people: the tenant's trade name, a unit's or a country's name, the log's table_name and
  // job_name, the chat's token count; and no platform table a sync does not copy.
  const named = m.rules.map((r) => r.column);
  for (const column of [
    'public.tenant_registry.nombre_comercial',
    'hotels.accommodation_units.name',
    'public.sire_countries.name',
    'public.audit_log.table_name',
    'public.job_logs.job_name',
    'public.chat_messages.tokens',
  ])
    expect(named).not.toContain(column);
  expect(named.filter((c) => /^(auth\.(?!users\.|identities\.)|storage\.)/.test(c))).toEqual([]);
  const section = summary.slice(summary.indexOf('### Suggested masking rules (envsync.yaml)'));
  expect(section).toContain(
    [
      '    # public.staff_users',
      "    public.staff_users.full_name: name  # a person's name: a fake first and last name, deterministic",
      '    public.staff_users.user_id: keep  # kept: the primary key',
    ].join('\n'),
  );
});

test('the proposed masking section loads with loadConfig and resolves against the demo: nothing refused, nothing uncovered', () => {
  const file = path.join(mkdtempSync(path.join(os.tmpdir(), 'envsync-masking-')), 'envsync.yaml');
  writeFileSync(file, result.masking.yaml);
  const config = loadConfig(file).masking!;
  expect(config.personal).toEqual(result.masking.personal);
  expect(config.rules.map((r) => r.pattern)).toEqual(result.masking.rules.map((r) => r.column));
  const copied = scopeTables(result, replicaScope(result)).map((t) => `${t.schema}.${t.name}`);
  const plan = resolveMasking(config, result, copied);
  expect(plan.bad).toEqual([]);
  expect(plan.uncovered).toEqual([]);
  expect(plan.tables.get('auth.users')!.map((c) => `${c.column.name}=${c.strategy.kind}`)).toEqual([
    'email=email',
    'encrypted_password=null',
    'confirmation_token=constant',
    'recovery_token=constant',
    'raw_user_meta_data=constant',
    'phone=phone',
  ]);
});
