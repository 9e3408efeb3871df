// The plpgsql function bodies of a database's app schemas checked with plpgsql_check, where its
// server has the extension: PostgreSQL itself checks a body only when it runs, so a reference to
// a dropped column or a misspelt table otherwise waits for the first call in production.

import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { describePgError, type Sql } from '../db/connect.ts';
import type { FunctionCheck, FunctionProblem } from '../results/drift.ts';

const sqlDir = path.join(path.dirname(fileURLToPath(import.meta.url)), 'sql');

/** Where the extension lives while it checks: its own schema, in a transaction that is rolled back. */
const CHECK_SCHEMA = 'envsync_plpgsql_check';

export const PLPGSQL_CHECK_MISSING = 'plpgsql_check not installed: function bodies not checked';

type Row = Record<string, unknown>;
const strOrNull = (v: unknown): string | null => (v === null || v === undefined ? null : String(v));
const numOrNull = (v: unknown): number | null => (v === null || v === undefined ? null : Number(v));

/**
 * Checks every plpgsql function and procedure of `schemas` (a trigger function against each
 * table of its triggers). `sql` is a superuser's single connection (the extension is not
 * trusted); the extension is created in a transaction rolled back at the end, so the database is
 * left as it was.
 */
export async function checkFunctionBodies(sql: Sql, schemas: string[]): Promise<FunctionCheck> {
  const [available] = await sql`
    select default_version from pg_catalog.pg_available_extensions where name = 'plpgsql_check'`;
  if (!available) {
    return {
      available: false,
      version: null,
      note: PLPGSQL_CHECK_MISSING,
      functions: 0,
      checks: 0,
      unchecked: [],
      problems: [],
    };
  }
  // By hand, not sql.begin(): the transaction is always rolled back, never committed.
  await sql.unsafe('begin');
  try {
    await sql`select pg_catalog.set_config('search_path', '', true)`;
    await sql.unsafe(`create schema ${CHECK_SCHEMA}; create extension plpgsql_check schema ${CHECK_SCHEMA}`);
    const targets = (await sql.file(path.join(sqlDir, 'plpgsql-functions.sql'), [
      schemas,
    ])) as unknown as Row[];
    const check: FunctionCheck = {
      available: true,
      version: String(available.default_version),
      note: null,
      functions: 0,
      checks: 0,
      unchecked: [],
      problems: [],
    };
    const checked = new Set<string>();
    for (const t of targets) {
      const fn = String(t.function);
      if (t.trigger_function && t.relid === null) {
        check.unchecked.push({
          function: fn,
          reason: 'a trigger function no trigger uses: plpgsql_check needs the table it fires on',
        });
        continue;
      }
      const relation = strOrNull(t.relation);
      // A check that raises (rather than reporting) must not end the transaction for the others.
      await sql.unsafe('savepoint envsync_function');
      try {
        const rows = (await sql`
          select lineno, statement, sqlstate, message, detail, hint, level, "position", query, context
          from ${sql(CHECK_SCHEMA)}.plpgsql_check_function_tb(
            ${String(t.oid)}::pg_catalog.oid::pg_catalog.regprocedure,
            ${String(t.relid ?? 0)}::pg_catalog.oid::pg_catalog.regclass,
            fatal_errors => false)`) as unknown as Row[];
        await sql.unsafe('release savepoint envsync_function');
        check.checks++;
        checked.add(fn);
        check.problems.push(...rows.map((r) => toProblem(fn, relation, r)));
      } catch (error) {
        await sql.unsafe('rollback to savepoint envsync_function');
        check.unchecked.push({ function: fn, reason: `plpgsql_check failed: ${describePgError(error)}` });
      }
    }
    check.functions = checked.size;
    return check;
  } finally {
    await sql.unsafe('rollback').catch(() => {});
  }
}

function toProblem(fn: string, relation: string | null, r: Row): FunctionProblem {
  return {
    function: fn,
    relation,
    level: String(r.level),
    line: numOrNull(r.lineno),
    statement: strOrNull(r.statement),
    sqlstate: strOrNull(r.sqlstate),
    message: String(r.message),
    detail: strOrNull(r.detail),
    hint: strOrNull(r.hint),
    query: strOrNull(r.query),
    position: numOrNull(r.position),
    context: strOrNull(r.context),
  };
}
