// A Supabase-shaped database for one test: its own throwaway cluster, or a fresh
// database on the server TEST_DATABASE_URL names. Real PostgreSQL, never a mock.

import { createHash, randomBytes } from 'node:crypto';
import {
  existsSync,
  mkdirSync,
  readdirSync,
  readFileSync,
  renameSync,
  rmSync,
  statSync,
  utimesSync,
  writeFileSync,
} from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import postgres from 'postgres';
import { repoRoot } from '../../scripts/lib/cli/env-file.ts';
import type { Cluster } from '../../scripts/lib/db/cluster.ts';
import { redactUrl } from '../../scripts/lib/db/url.ts';
import { makeStaleStaging, migrate, startSupabaseCluster } from '../../scripts/lib/demo/environment.ts';
import { seedDemoData } from '../../scripts/lib/demo/seed-data.ts';
import { installPlatform } from '../../scripts/lib/demo/supabase-fixture.ts';

export interface TestDatabase {
  /** The app role `postgres` (not a superuser), with its password. */
  url: string;
  password: string;
  display: string;
  /** Present when the database has a cluster of its own (it can be stopped or killed). */
  cluster?: Cluster;
  /** A connection as the app role. */
  app(): postgres.Sql;
  /** A superuser connection, for arranging test situations. */
  superuser(): postgres.Sql;
  close(): Promise<void>;
}

export interface TestDatabaseOptions {
  /** Apply the demo app's migrations (all, or the first n). Default: all. */
  migrations?: boolean | number;
  /** Staging as the seed notes found it (demo/environment.ts makeStaleStaging); the rest is ignored. */
  stale?: boolean;
  /** Seed the demo data at this scale (after migrations). */
  scale?: number;
}

const open: TestDatabase[] = [];

export async function supabaseDatabase(options: TestDatabaseOptions = {}): Promise<TestDatabase> {
  if (!process.env.TEST_DATABASE_URL) {
    const db = await onOwnCluster(await preparedData(options));
    open.push(db);
    return db;
  }
  const db = await onSharedServer(process.env.TEST_DATABASE_URL);
  open.push(db);
  const app = db.app();
  try {
    await fill(app, options);
  } finally {
    await app.end();
  }
  return db;
}

/** Two platform-only databases (a source and a target), `sql` run on both as the app role. */
export async function databasePair(sql: string): Promise<[TestDatabase, TestDatabase]> {
  const pair = await Promise.all([
    supabaseDatabase({ migrations: false }),
    supabaseDatabase({ migrations: false }),
  ]);
  for (const db of pair) {
    const app = db.app();
    try {
      await app.unsafe(sql);
    } finally {
      await app.end();
    }
  }
  return pair;
}

const connectionTo = (url: string) => () => postgres(url, { max: 2, onnotice: () => {} });

/** The app's objects and rows `options` ask for, written as the app role. */
async function fill(app: postgres.Sql, options: TestDatabaseOptions): Promise<void> {
  if (options.stale) return makeStaleStaging(app, 1);
  const migrations = options.migrations ?? true;
  if (migrations !== false) await migrate(app, migrations === true ? undefined : migrations);
  if (options.scale) await seedDemoData(app, { scale: options.scale });
}

/** What a prepared data directory is built from: a change to any of it builds a new one. */
function preparedKey(options: TestDatabaseOptions): string {
  const hash = createHash('sha256').update(
    JSON.stringify([options.migrations ?? true, options.scale ?? 0, options.stale ?? false]),
  );
  const sources = [
    path.join(repoRoot, 'supabase'),
    path.join(repoRoot, 'scripts/lib/demo'),
    path.join(repoRoot, 'scripts/lib/db/cluster.ts'),
  ];
  for (const file of sources.flatMap((s) => (statSync(s).isDirectory() ? filesUnder(s) : [s])).sort())
    hash.update(file).update(readFileSync(file));
  return hash.digest('hex').slice(0, 16);
}

const filesUnder = (dir: string): string[] =>
  readdirSync(dir, { withFileTypes: true }).flatMap((e) =>
    e.isDirectory() ? filesUnder(path.join(dir, e.name)) : [path.join(dir, e.name)],
  );

/**
 * A stopped cluster's data directory with the platform, the migrations and the seed data that
 * `options` ask for, built once per run and machine (the seed alone costs ~2.4 s per database)
 * and copied for each test database, as the initdb template is.
 */
async function preparedData(options: TestDatabaseOptions): Promise<{ dataDir: string; appPassword: string }> {
  const dir = path.join(os.tmpdir(), `envsync-prepared-${preparedKey(options)}`);
  const appPassword = () => readFileSync(path.join(dir, 'app-password'), 'utf8');
  if (existsSync(path.join(dir, 'app-password'))) {
    utimesSync(dir, new Date(), new Date()); // in use: global-setup sweeps those unused for a day
    return { dataDir: path.join(dir, 'data'), appPassword: appPassword() };
  }
  const s = await startSupabaseCluster('prepare');
  const app = postgres(s.url, { max: 1, onnotice: () => {} });
  try {
    await fill(app, options);
  } finally {
    await app.end();
  }
  await s.cluster.stop('fast');
  const tmp = `${dir}.tmp-${process.pid}-${randomBytes(3).toString('hex')}`;
  mkdirSync(tmp);
  renameSync(s.cluster.dataDir, path.join(tmp, 'data'));
  rmSync(path.join(tmp, 'data', 'postmaster.pid'), { force: true });
  writeFileSync(path.join(tmp, 'app-password'), s.appPassword);
  await s.cluster.destroy();
  try {
    renameSync(tmp, dir);
  } catch {
    rmSync(tmp, { recursive: true, force: true }); // another worker's is as good as ours
  }
  return { dataDir: path.join(dir, 'data'), appPassword: appPassword() };
}

async function onOwnCluster(from: { dataDir: string; appPassword: string }): Promise<TestDatabase> {
  const s = await startSupabaseCluster('test', false, from);
  return {
    url: s.url,
    password: s.appPassword,
    display: redactUrl(s.url),
    cluster: s.cluster,
    app: connectionTo(s.url),
    superuser: connectionTo(s.cluster.superuserUrl()),
    close: () => s.cluster.destroy(),
  };
}

async function onSharedServer(serverUrl: string): Promise<TestDatabase> {
  const user = decodeURIComponent(new URL(serverUrl).username);
  if (user === 'postgres' || user === '') {
    // The fixture makes `postgres` a non-superuser app owner, as on Supabase: it must not
    // be the role the tests administer the server with (nor be demoted under our feet).
    throw new Error(
      'TEST_DATABASE_URL must connect as a superuser other than `postgres`, on a disposable server ' +
        "(the fixture creates Supabase's roles there and makes `postgres` a non-superuser): " +
        "CREATE ROLE supabase_admin SUPERUSER LOGIN PASSWORD '…' and use it in the URL",
    );
  }
  const password = process.env.ENVSYNC_TEST_APP_PASSWORD ?? 'envsync-test';
  const name = `envsync_test_${randomBytes(5).toString('hex')}`;
  const main = postgres(serverUrl, { max: 1, onnotice: () => {} });
  const dbUrl = new URL(serverUrl);
  dbUrl.pathname = `/${name}`;
  try {
    await main`select pg_advisory_lock(872341)`;
    await main.unsafe(`create database ${name}`);
    const target = postgres(dbUrl.toString(), { max: 1, onnotice: () => {} });
    try {
      await installPlatform(main, target, password);
    } finally {
      await target.end();
    }
  } finally {
    await main`select pg_advisory_unlock(872341)`.catch(() => {});
    await main.end();
  }
  const appUrl = new URL(dbUrl.toString());
  appUrl.username = 'postgres';
  appUrl.password = password;
  return {
    url: appUrl.toString(),
    password,
    display: redactUrl(appUrl.toString()),
    app: connectionTo(appUrl.toString()),
    superuser: connectionTo(dbUrl.toString()),
    close: async () => {
      const admin = postgres(serverUrl, { max: 1, onnotice: () => {} });
      await admin.unsafe(`drop database if exists ${name} with (force)`);
      await admin.end();
    },
  };
}

/** The same URL with another user, password and/or database. */
export function withUrl(
  url: string,
  change: { user?: string; password?: string; database?: string },
): string {
  const u = new URL(url);
  if (change.user !== undefined) u.username = encodeURIComponent(change.user);
  if (change.password !== undefined) u.password = encodeURIComponent(change.password);
  if (change.database !== undefined) u.pathname = `/${encodeURIComponent(change.database)}`;
  return u.toString();
}

/** Closes every database this test file opened (call from afterAll). */
export async function closeAll(): Promise<void> {
  await Promise.all(open.splice(0).map((db) => db.close()));
}
