// Peers for the side-effect tests: a Supabase-shaped cluster that can really call out
// (pg_cron preloaded, webhooks and pg_net written in plpython3u) and a local HTTP server
// that records what reaches it.

import { execFileSync } from 'node:child_process';
import { existsSync, readFileSync } from 'node:fs';
import { createServer, type IncomingHttpHeaders } from 'node:http';
import type { AddressInfo } from 'node:net';
import path from 'node:path';
import postgres from 'postgres';
import { repoRoot } from '../../scripts/lib/cli/env-file.ts';
import {
  type Cluster,
  findServerBinaries,
  type ServerBinaries,
  startCluster,
} from '../../scripts/lib/db/cluster.ts';
import { installPlatform } from '../../scripts/lib/demo/supabase-fixture.ts';

const fixtures = path.join(repoRoot, 'tests/fixtures/side-effects');

/** Where the server looks for extension libraries and control files. */
function extensionDirs(b: ServerBinaries): { lib: string; share: string } {
  const pgConfig = path.join(b.bindir, 'pg_config');
  if (existsSync(pgConfig)) {
    const ask = (flag: string) => execFileSync(pgConfig, [flag], { encoding: 'utf8' }).trim();
    return { lib: ask('--pkglibdir'), share: ask('--sharedir') };
  }
  return { lib: path.join(b.bindir, '..', 'lib'), share: `/usr/share/postgresql/${b.major}` };
}

/**
 * Fails with the package to install when the server lacks pg_cron or plpython3u: CI installs
 * both (.ci/run), so a missing one is a broken machine, not a reason to skip.
 */
export function requireCallOutExtensions(b: ServerBinaries = findServerBinaries()): void {
  const { lib, share } = extensionDirs(b);
  const missing: string[] = [];
  if (
    !existsSync(path.join(lib, 'pg_cron.so')) ||
    !existsSync(path.join(share, 'extension', 'pg_cron.control'))
  )
    missing.push(`pg_cron (Debian/Ubuntu: apt-get install postgresql-${b.major}-cron)`);
  if (!existsSync(path.join(share, 'extension', 'plpython3u.control')))
    missing.push(`plpython3u (Debian/Ubuntu: apt-get install postgresql-plpython3-${b.major})`);
  if (missing.length)
    throw new Error(
      `the side-effect tests need ${missing.join(' and ')} for PostgreSQL ${b.major} (${b.bindir}); .ci/run installs them`,
    );
}

export interface CallOutDatabase {
  cluster: Cluster;
  /** `postgres`, the app role (not a superuser), over TCP. */
  url: string;
  app(): postgres.Sql;
  superuser(): postgres.Sql;
}

/**
 * A Supabase-shaped cluster with pg_cron preloaded and created as on the platform, and
 * webhooks / pg_net that really send HTTP (tests/fixtures/side-effects/*.sql). pg_cron runs
 * jobs in background workers: its default, a libpq connection to localhost, would need a
 * password there.
 */
export async function callOutDatabase(): Promise<CallOutDatabase> {
  requireCallOutExtensions();
  const cluster = await startCluster({
    name: 'side-effects',
    settings: {
      shared_preload_libraries: 'pg_cron',
      'cron.database_name': 'postgres',
      'cron.use_background_workers': 'on',
      // pg_cron's launcher and jobs, and logical replication's launcher and workers.
      max_worker_processes: '16',
    },
  });
  const password = 'side-effects-app';
  const admin = cluster.admin();
  try {
    await installPlatform(admin, admin, password);
    await admin.unsafe(readFileSync(path.join(fixtures, 'pg-cron.sql'), 'utf8'));
    await admin.unsafe(readFileSync(path.join(fixtures, 'outbound.sql'), 'utf8'));
  } catch (error) {
    await admin.end();
    await cluster.destroy().catch(() => {});
    throw error;
  }
  await admin.end();
  const url = cluster.url('postgres', password);
  return {
    cluster,
    url,
    app: () => postgres(url, { max: 1, onnotice: () => {} }),
    superuser: () => postgres(cluster.superuserUrl(), { max: 1, onnotice: () => {} }),
  };
}

export interface Received {
  method: string;
  /** Path and query, as sent. */
  path: string;
  headers: IncomingHttpHeaders;
  body: string;
}

export interface RecordingServer {
  /** `http://127.0.0.1:<port>` */
  base: string;
  received: Received[];
  close(): Promise<void>;
}

/** A local HTTP server that answers 200 to everything and records each request once its body is in. */
export async function recordingServer(): Promise<RecordingServer> {
  const received: Received[] = [];
  const server = createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', () => {
      received.push({
        method: req.method ?? '',
        path: req.url ?? '',
        headers: req.headers,
        body: Buffer.concat(chunks).toString('utf8'),
      });
      res.writeHead(200, { 'content-type': 'application/json' }).end('{}');
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', () => resolve()));
  return {
    base: `http://127.0.0.1:${(server.address() as AddressInfo).port}`,
    received,
    close: () =>
      new Promise<void>((resolve) => {
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  };
}

class RolledBack extends Error {}

/** Runs `work` in a transaction that is always rolled back; answers what `work` answered. */
export async function rolledBack<T>(
  sql: postgres.Sql,
  work: (tx: postgres.TransactionSql) => Promise<T>,
): Promise<T> {
  let result: T | undefined;
  try {
    await sql.begin(async (tx) => {
      result = await work(tx);
      throw new RolledBack();
    });
  } catch (error) {
    if (!(error instanceof RolledBack)) throw error;
  }
  return result as T;
}
