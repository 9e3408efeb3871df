// suggestContent reads the FK graph of an inventory: users' tables (auth.users and everything that
// points at it, transitively) are protected; the other app tables are content candidates.

import { suggestContent } from '../../scripts/lib/catalog/content-suggestion.ts';
import type { Inventory } from '../../scripts/lib/catalog/model.ts';
import { foreignKeyOf, sampleInventory, tableOf } from '../fixtures/results/inventory.ts';

/** A course platform: users enrol in courses; courses, lessons and tags are authored content. */
function coursesInventory(): Inventory {
  const inv = sampleInventory();
  inv.tables = [
    tableOf('auth', 'users'),
    tableOf('storage', 'objects'),
    tableOf('public', 'profiles'),
    tableOf('public', 'enrollments'),
    tableOf('public', 'lesson_progress'),
    tableOf('public', 'teams'),
    tableOf('public', 'team_members', { primaryKey: ['team_id', 'user_id'] }),
    tableOf('public', 'courses'),
    tableOf('public', 'lessons'),
    tableOf('public', 'tags', { primaryKey: [] }),
    tableOf('catalog', 'categories', { primaryKey: ['slug'] }),
    tableOf('public', 'activity', { kind: 'partitioned' }),
    tableOf('public', 'activity_2025', {
      isPartition: true,
      partitionOf: 'public.activity',
      partitionBound: "FOR VALUES FROM ('2025-01-01') TO ('2026-01-01')",
    }),
  ];
  inv.foreignKeys = [
    // Platform tables are never candidates, whatever they reference.
    foreignKeyOf('storage.objects', 'owner', 'auth.users', 'set null'),
    // Direct.
    foreignKeyOf('public.profiles', 'id', 'auth.users', 'cascade'),
    // Transitive, two levels down.
    foreignKeyOf('public.enrollments', 'profile_id', 'public.profiles', 'cascade'),
    foreignKeyOf('public.lesson_progress', 'enrollment_id', 'public.enrollments', 'cascade'),
    // A cycle among users' tables, entered through one FK.
    foreignKeyOf('public.teams', 'owner_id', 'public.team_members', 'set null', { nullable: true }),
    foreignKeyOf('public.team_members', 'team_id', 'public.teams', 'cascade'),
    foreignKeyOf('public.team_members', 'user_id', 'public.profiles', 'cascade'),
    // Users' tables pointing at content: cascade, restrict, no action, two FKs from one table.
    foreignKeyOf('public.enrollments', 'course_id', 'public.courses', 'cascade'),
    foreignKeyOf('public.lesson_progress', 'lesson_id', 'public.lessons', 'restrict'),
    foreignKeyOf('public.enrollments', 'category', 'catalog.categories', 'no action'),
    foreignKeyOf('public.enrollments', 'previous_category', 'catalog.categories', 'set null'),
    foreignKeyOf('public.teams', 'category', 'catalog.categories', 'no action'),
    // Content pointing at content stays content.
    foreignKeyOf('public.lessons', 'course_id', 'public.courses', 'cascade'),
    foreignKeyOf('public.courses', 'category', 'catalog.categories', 'restrict'),
    // An FK declared on a partition alone counts for its partitioned parent.
    foreignKeyOf('public.activity_2025', 'user_id', 'auth.users', 'cascade'),
  ];
  return inv;
}

test("users' tables: those referencing auth.users, then everything that references them, through cycles", () => {
  expect(suggestContent(coursesInventory()).users).toEqual([
    'public.activity',
    'public.enrollments',
    'public.lesson_progress',
    'public.profiles',
    'public.team_members',
    'public.teams',
  ]);
});

test('content candidates: the other app tables, never platform tables or partitions', () => {
  const { content } = suggestContent(coursesInventory());
  expect(content.map((t) => t.table)).toEqual([
    'catalog.categories',
    'public.courses',
    'public.lessons',
    'public.tags',
  ]);
});

test('each candidate has its key (null without a primary key), delete: keep, and who points at it', () => {
  const byTable = new Map(suggestContent(coursesInventory()).content.map((t) => [t.table, t]));
  expect(byTable.get('public.courses')).toEqual({
    table: 'public.courses',
    key: ['id'],
    delete: 'keep',
    // Only users' tables: public.lessons (content) points at it too and is not listed.
    referencedBy: [{ table: 'public.enrollments', onDelete: 'cascade' }],
  });
  expect(byTable.get('public.lessons')!.referencedBy).toEqual([
    { table: 'public.lesson_progress', onDelete: 'restrict' },
  ]);
  expect(byTable.get('catalog.categories')).toEqual({
    table: 'catalog.categories',
    key: ['slug'],
    delete: 'keep',
    referencedBy: [
      { table: 'public.enrollments', onDelete: 'no action' },
      { table: 'public.enrollments', onDelete: 'set null' },
      { table: 'public.teams', onDelete: 'no action' },
    ],
  });
  expect(byTable.get('public.tags')).toEqual({
    table: 'public.tags',
    key: null,
    delete: 'keep',
    referencedBy: [],
  });
  expect(suggestContent(coursesInventory()).content.every((t) => t.delete === 'keep')).toBe(true);
});

test('without auth.users (or any FK to it) every app table is a candidate', () => {
  const inv = coursesInventory();
  inv.foreignKeys = inv.foreignKeys.filter((fk) => fk.references !== 'auth.users');
  const s = suggestContent(inv);
  expect(s.users).toEqual([]);
  expect(s.content.map((t) => t.table)).toEqual([
    'catalog.categories',
    'public.activity',
    'public.courses',
    'public.enrollments',
    'public.lesson_progress',
    'public.lessons',
    'public.profiles',
    'public.tags',
    'public.team_members',
    'public.teams',
  ]);
});

test('hostile names are carried as they are', () => {
  const inv = sampleInventory();
  inv.tables = [tableOf('auth', 'users'), tableOf('Mixed "Schema"', 'select'), tableOf('public', "we'ird t")];
  inv.foreignKeys = [
    foreignKeyOf("public.we'ird t", 'user_id', 'auth.users', 'cascade'),
    foreignKeyOf("public.we'ird t", 'sel', 'Mixed "Schema".select', 'restrict'),
  ];
  expect(suggestContent(inv)).toEqual({
    content: [
      {
        table: 'Mixed "Schema".select',
        key: ['id'],
        delete: 'keep',
        referencedBy: [{ table: "public.we'ird t", onDelete: 'restrict' }],
      },
    ],
    users: ["public.we'ird t"],
  });
});
