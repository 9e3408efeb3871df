// The catalog coverage fixture (tests/fixtures/coverage): at least one of every kind of
// object pg_dump emits for an app schema, in awkward forms, for proving sync,
// backup→rollback, validate and analyze exact on schemas nobody on the team wrote.
// What each file holds, and what a per-schema pg_dump leaves out, is in its header.

import { readFileSync } from 'node:fs';
import path from 'node:path';
import type postgres from 'postgres';
import { repoRoot } from '../../scripts/lib/cli/env-file.ts';

const dir = path.join(repoRoot, 'tests', 'fixtures', 'coverage');
/** Run as the app owner `postgres` (not a superuser) in a Supabase-shaped database. */
export const COVERAGE_SOURCE_SQL = path.join(dir, 'source.sql');
/** Run as a superuser in the same database, after source.sql: kinds `postgres` cannot create. */
export const COVERAGE_SUPERUSER_SQL = path.join(dir, 'superuser.sql');
/** Run as `postgres` in another Supabase-shaped database: what a stale target holds. */
export const COVERAGE_STALE_TARGET_SQL = path.join(dir, 'stale-target.sql');

/** The app schemas source.sql creates, exactly as named. */
export const COVERAGE_SCHEMAS: readonly string[] = ['public', 'inventory', 'archive', 'Wéird "Schema" $x'];
/** The app schemas stale-target.sql creates (`legacy` only there, no `archive`). */
export const STALE_TARGET_SCHEMAS: readonly string[] = ['public', 'inventory', 'Wéird "Schema" $x', 'legacy'];

/** The sections of superuser.sql (`-- @kind: <name>`), in file order. */
export const SUPERUSER_KINDS = [
  'operator-class',
  'text-search-parser-template',
  'internal-function',
  'leakproof-function',
  'access-method',
  'foreign-table',
] as const;
export type SuperuserKind = (typeof SUPERUSER_KINDS)[number];

function superuserSections(): Map<string, string> {
  const sections = new Map<string, string>();
  let kind: string | undefined;
  for (const line of readFileSync(COVERAGE_SUPERUSER_SQL, 'utf8').split('\n')) {
    const marker = /^-- @kind: (\S+)\s*$/.exec(line);
    if (marker) {
      kind = marker[1]!;
      sections.set(kind, '');
    } else if (kind) sections.set(kind, `${sections.get(kind)}${line}\n`);
  }
  return sections;
}

/** Runs a file that manages its own transactions on one connection, rolling back on failure. */
async function runFile(sql: postgres.Sql, file: string): Promise<void> {
  const conn = await sql.reserve();
  try {
    await conn.unsafe(readFileSync(file, 'utf8'));
  } catch (error) {
    await conn.unsafe('rollback').catch(() => {});
    throw error;
  } finally {
    conn.release();
  }
}

/**
 * Loads source.sql as `app` (the app owner), then, given a superuser connection to the
 * same database, the superuser.sql sections asked for (all by default), one transaction each.
 */
export async function loadCoverageSource(
  app: postgres.Sql,
  superuser?: postgres.Sql,
  options: { superuserKinds?: readonly SuperuserKind[] } = {},
): Promise<void> {
  await runFile(app, COVERAGE_SOURCE_SQL);
  if (!superuser) return;
  const sections = superuserSections();
  for (const kind of options.superuserKinds ?? SUPERUSER_KINDS) {
    const text = sections.get(kind);
    if (text === undefined) throw new Error(`superuser.sql has no section "${kind}"`);
    await superuser.begin((tx) => tx.unsafe(text));
  }
}

/** Loads stale-target.sql as `app` (the app owner) into the target database. */
export async function loadStaleTarget(app: postgres.Sql): Promise<void> {
  await runFile(app, COVERAGE_STALE_TARGET_SQL);
}
