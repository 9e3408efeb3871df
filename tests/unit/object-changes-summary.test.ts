// Summaries group object differences by the object they belong to: one line per table, view,
// function or schema, never one per grant; and the table stays one screen long.

import { diffInventories } from '../../scripts/lib/catalog/diff.ts';
import type { Grant, Inventory, Policy, Trigger } from '../../scripts/lib/catalog/model.ts';
import {
  describeObjectChanges,
  groupObjectChanges,
  objectChangesHeadline,
  objectChangesTable,
} from '../../scripts/lib/report/object-changes.ts';
import type { ObjectDifference } from '../../scripts/lib/results/plan.ts';
import { defaultGrants } from '../fixtures/results/differences.ts';
import { col, sampleInventory, tableOf } from '../fixtures/results/inventory.ts';

const grantsOn = (schema: string, name: string): Grant[] =>
  ['anon', 'authenticated', 'postgres', 'service_role'].flatMap((grantee) =>
    ['DELETE', 'INSERT', 'MAINTAIN', 'REFERENCES', 'SELECT', 'TRIGGER', 'TRUNCATE', 'UPDATE'].map(
      (privilege) => ({
        kind: 'table' as const,
        schema,
        name,
        grantee,
        privilege,
        grantable: false,
        grantor: 'postgres',
        owner: 'postgres',
        platform: false,
      }),
    ),
  );

const policy = (schema: string, table: string, name: string, roles = ['authenticated']): Policy => ({
  schema,
  table,
  name,
  command: 'select',
  permissive: true,
  roles,
  using: 'true',
  check: null,
  onPlatformTable: false,
});

const trigger = (schema: string, table: string, name: string): Trigger => ({
  schema,
  table,
  name,
  enabled: 'origin',
  function: 'public.touch',
  definition: `CREATE TRIGGER ${name} BEFORE UPDATE ON ${schema}.${table} FOR EACH ROW EXECUTE FUNCTION public.touch()`,
  onPlatformTable: false,
  platform: false,
});

/** The source; the target keeps a table the source dropped, with every part it had. */
function sourceAndTarget(): { source: Inventory; target: Inventory } {
  const source = sampleInventory();
  const target = sampleInventory();
  target.tables.push(
    tableOf('public', 'legacy_sync_log', {
      columns: ['id', 'synced_at', 'payload', 'status', 'error'].map((c) => col(c)),
      indexes: [
        {
          name: 'legacy_sync_log_pkey',
          definition: 'CREATE UNIQUE INDEX legacy_sync_log_pkey ON public.legacy_sync_log USING btree (id)',
        },
        {
          name: 'legacy_sync_log_at',
          definition: 'CREATE INDEX legacy_sync_log_at ON public.legacy_sync_log USING btree (synced_at)',
        },
      ].map((i) => ({ ...i, accessMethod: 'btree' })),
    }),
  );
  target.grants.push(...grantsOn('public', 'legacy_sync_log'));
  target.policies.push(
    policy('public', 'legacy_sync_log', 'legacy_read'),
    policy('public', 'legacy_sync_log', 'legacy_write'),
  );
  target.triggers.push(trigger('public', 'legacy_sync_log', 'legacy_touch'));
  // And the source added a column and an index to one table, and a policy to another.
  const reservations = source.tables.find((t) => t.name === 'guest_reservations')!;
  reservations.columns = [
    ...reservations.columns,
    col('nights', { type: 'integer', generated: '(check_out - check_in)' }),
  ];
  source.policies.push(policy('public', 'staff_users', 'own rows'));
  return { source, target };
}

test('a removed table with its 32 grants, 2 policies and trigger is one line', () => {
  const { source, target } = sourceAndTarget();
  const diffs = diffInventories(source, target);
  expect(diffs.filter((d) => d.kind === 'grant')).toHaveLength(32);
  const groups = groupObjectChanges(diffs);
  expect(groups.map((g) => `${g.kind} ${g.object}: ${describeObjectChanges(g, 'sync')}`)).toEqual([
    'table public.legacy_sync_log: **removed**, with 2 policies, 1 trigger, 32 grants',
    'table public.guest_reservations: changed: column `nights` added',
    'table public.staff_users: policy `own rows` added',
  ]);
  const md = objectChangesTable(diffs, { wording: 'sync', json: 'plan.json' });
  expect(md.split('\n')).toHaveLength(2 + 3);
  expect(objectChangesHeadline(groups, 'sync')).toBe(
    '**1 object removed** (table `public.legacy_sync_log`), 2 objects changed',
  );
});

test('compared rather than synced: the same groups in validate’s words', () => {
  const { source, target } = sourceAndTarget();
  const groups = groupObjectChanges(diffInventories(source, target));
  expect(groups.map((g) => describeObjectChanges(g, 'compare'))).toEqual([
    'only on target, with 2 policies, 1 trigger, 32 grants',
    'differs: column `nights` missing on target',
    'policy `own rows` missing on target',
  ]);
  expect(objectChangesHeadline(groups, 'compare')).toBe(
    '1 object only on target (table `public.legacy_sync_log`), 2 objects differ',
  );
});

test('policies and triggers find their table when names hold dots and spaces', () => {
  const diffs: ObjectDifference[] = [
    { kind: 'policy', object: 'hotels.Room.Types.staff read', change: 'missing on target' },
    { kind: 'trigger', object: 'hotels.Room.Types.touch.v2', change: 'only on target' },
    { kind: 'grant', object: 'SELECT on table hotels.Room.Types to anon', change: 'missing on target' },
    { kind: 'grant', object: 'USAGE on schema hotels to anon', change: 'missing on target' },
    {
      kind: 'grant',
      object: 'EXECUTE on function public.f(integer, text) to anon',
      change: 'only on target',
    },
    { kind: 'function', object: 'public.f(integer, text)', change: 'only on target' },
    {
      kind: 'default privilege',
      object: 'EXECUTE on functions to anon (for role postgres)',
      change: 'only on target',
    },
  ];
  const groups = groupObjectChanges(diffs, ['hotels.Room.Types']);
  expect(groups.map((g) => `${g.kind} ${g.object}: ${describeObjectChanges(g, 'sync')}`)).toEqual([
    'function public.f(integer, text): **removed**, with 1 grant',
    'schema hotels: 1 grant added (USAGE to anon)',
    'table hotels.Room.Types: trigger `touch.v2` removed; policy `staff read` added; 1 grant added (SELECT to anon)',
    'role postgres: 1 default privilege removed (EXECUTE on functions to anon)',
  ]);
});

test('grants name who gains or loses access, never a line each', () => {
  const diffs = defaultGrants('table', 'public.rooms', 'missing on target');
  const [g] = groupObjectChanges(diffs);
  expect(describeObjectChanges(g!, 'sync')).toBe(
    '32 grants added (to anon, authenticated, postgres, service_role)',
  );
});

test('a changed policy shows what changed in it', () => {
  const diffs: ObjectDifference[] = [
    {
      kind: 'policy',
      object: 'public.tenant_registry.members_read',
      change: 'differs',
      fields: [
        { field: 'roles', source: ['authenticated'], target: ['anon', 'authenticated'] },
        { field: 'using', source: '(tenant_id = auth.tenant_id())', target: 'true' },
      ],
    },
  ];
  const [g] = groupObjectChanges(diffs);
  expect(describeObjectChanges(g!, 'sync')).toBe(
    'policy `members_read` changed (roles −`anon`, using `true` → `(tenant_id = auth.tenant_id())`)',
  );
  expect(describeObjectChanges(g!, 'compare')).toBe(
    'policy `members_read` differs (roles `anon` only in target, using `(tenant_id = auth.tenant_id())` in source, `true` in target)',
  );
});

test('the table fits a screen: 30 objects, then how many more and where they are', () => {
  const diffs: ObjectDifference[] = Array.from({ length: 35 }, (_, i) => [
    { kind: 'table', object: `archive.t${String(i).padStart(2, '0')}`, change: 'only on target' as const },
    ...defaultGrants('table', `archive.t${String(i).padStart(2, '0')}`, 'only on target'),
  ]).flat();
  const md = objectChangesTable(diffs, { wording: 'sync', json: 'plan.json' });
  const lines = md.split('\n');
  expect(lines.filter((l) => l.startsWith('| table |'))).toHaveLength(30);
  expect(lines.at(-1)).toBe('… and 5 more objects (see plan.json).');
});
