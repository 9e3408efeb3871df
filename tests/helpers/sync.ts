// Helpers for sync tests: run the pipeline's jobs between two test databases and
// describe a database's schema exactly.

import { execFileSync } from 'node:child_process';
import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import postgres from 'postgres';
import { readInventory } from '../../scripts/lib/catalog/inventory.ts';
import { libpqEnvironment } from '../../scripts/lib/db/libpq-env.ts';
import { findClientProgram } from '../../scripts/lib/db/pg-binaries.ts';
import { resolveDatabase } from '../../scripts/lib/db/url.ts';
import { schemaFingerprint } from '../../scripts/lib/sync/plan.ts';
import { supabaseDatabase, type TestDatabase } from './supabase-db.ts';
import { until } from './wait.ts';

/** `pg_dump --schema-only` of the app schemas, without pg_dump ≥ 17.6's random `\restrict` lines. */
export function schemaDump(db: TestDatabase, schemas: string[]): string {
  const target = resolveDatabase('--db', db.url, {});
  const pgDump = findClientProgram('pg_dump', 15, process.env);
  return execFileSync(pgDump.path, ['--schema-only', ...schemas.flatMap((s) => ['--schema', `"${s}"`])], {
    env: libpqEnvironment(target, 'test', process.env),
    maxBuffer: 64 * 1024 * 1024,
  })
    .toString()
    .split('\n')
    .filter((l) => !/^\\(un)?restrict /.test(l))
    .join('\n');
}

/** The schema fingerprint sync compares plans with: changes with any replicated object. */
export async function fingerprint(db: TestDatabase): Promise<string> {
  const sql = postgres(db.url, { max: 1, onnotice: () => {} });
  try {
    return schemaFingerprint(await readInventory(sql as never, { exactCounts: false }));
  } finally {
    await sql.end();
  }
}

/** dev (all migrations, seeded at `scale`) and a staging as the seed notes found theirs. */
export async function devAndStaleStaging(scale = 1): Promise<[TestDatabase, TestDatabase]> {
  return Promise.all([supabaseDatabase({ scale }), supabaseDatabase({ stale: true })]);
}

/** Whether the database answers (after a server was stopped in a test). */
export async function isUp(db: TestDatabase): Promise<boolean> {
  const s = postgres(db.url, { max: 1, connect_timeout: 2 });
  try {
    await s`select 1`;
    return true;
  } catch {
    return false;
  } finally {
    await s.end({ timeout: 1 }).catch(() => {});
  }
}

/** A local app endpoint that answers 500 to everything: a broken deploy for the health check. */
export async function brokenDeploy(): Promise<{ url: string; close: () => void }> {
  const server = createServer((_req, res) => {
    res.statusCode = 500;
    res.end('broken deploy');
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  return {
    url: `http://127.0.0.1:${(server.address() as AddressInfo).port}/health`,
    close: () => server.close(),
  };
}

/**
 * Polls `db` (as a superuser, every 10 ms, for up to 30 s) until `seen` says the moment has
 * come, then strikes. Returns whether it came: a fault test must prove it struck mid-job.
 */
export async function strikeWhen(
  db: TestDatabase,
  seen: (watcher: postgres.Sql) => Promise<boolean>,
  strike: () => Promise<unknown>,
): Promise<boolean> {
  const watcher = db.superuser();
  try {
    if (!(await until(() => seen(watcher), 30_000))) return false;
    await strike();
    return true;
  } finally {
    await watcher.end({ timeout: 1 }).catch(() => {});
  }
}

/** Strikes once `db` runs a statement of `application` matching `like` (ILIKE). */
export function strikeWhenRunning(
  db: TestDatabase,
  application: string,
  like: string,
  strike: () => Promise<unknown>,
): Promise<boolean> {
  return strikeWhen(
    db,
    async (w) =>
      (
        await w`select count(*)::int as n from pg_stat_activity
                where application_name = ${application} and query ilike ${like} and state = 'active'`
      )[0]!.n > 0,
    strike,
  );
}

/** Ends `application`'s sessions on `db` whose statement matches `like`; returns how many it ended. */
export async function terminateSessions(
  db: TestDatabase,
  application: string,
  like: string,
): Promise<number> {
  const su = db.superuser();
  try {
    const ended = await su`select pg_terminate_backend(pid) as ok from pg_stat_activity
                           where application_name = ${application} and query ilike ${like}`;
    return ended.filter((r) => r.ok).length;
  } finally {
    await su.end();
  }
}
