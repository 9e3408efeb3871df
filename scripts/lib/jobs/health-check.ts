// health-check: is the database reachable and fast, are the critical tables there
// with RLS where the API exposes them, do the app's and Supabase's HTTP endpoints
// answer — every probe bounded by a timeout, retried with backoff up to --wait.

import { createClient } from '@supabase/supabase-js';
import postgres from 'postgres';
import WebSocket from 'ws';
import { EnvsyncError, InputError, readFlags } from '../base/errors.ts';
import { parseList, requireDatabase } from '../cli/database-flags.ts';
import { parseDuration } from '../cli/duration.ts';
import { connectionError, driverConnection } from '../db/connect.ts';
import type { DatabaseTarget } from '../db/url.ts';
import { renderHealthSummary } from '../report/health-summary.ts';
import type { HealthResult, ProbeResult } from '../results/health-check.ts';
import type { Job, JobContext } from './runner.ts';

export interface HealthOptions {
  db: DatabaseTarget;
  urls: string[];
  criticalTables: string[];
  timeoutMs: number;
  waitMs: number;
  supabase?: { url: string; anonKey: string };
}

/** Schemas the Data API exposes: their critical tables must have RLS on. */
const EXPOSED = ['public'];
export const DEFAULT_CRITICAL_TABLES = ['auth.users', 'supabase_migrations.schema_migrations'];

type Probe = {
  name: string;
  /** Runs on the connection the connect probe opened. */
  needsDatabase?: boolean;
  run: () => Promise<{ ok: boolean; detail: string; latencyMs: number | null }>;
};

const elapsed = (t0: number) => Math.round(performance.now() - t0);

function withTimeout<T>(promise: Promise<T>, ms: number, what: string): Promise<T> {
  let timer: NodeJS.Timeout;
  return Promise.race([
    promise,
    new Promise<never>((_, reject) => {
      timer = setTimeout(() => reject(new Error(`no answer within ${ms} ms (${what})`)), ms);
    }),
  ]).finally(() => clearTimeout(timer));
}

function databaseProbes(o: HealthOptions, state: { sql?: postgres.Sql }): Probe[] {
  const connectProbe: Probe = {
    name: 'database: connect',
    run: async () => {
      await state.sql?.end({ timeout: 1 }).catch(() => {});
      const t0 = performance.now();
      const driver = driverConnection(o.db.url);
      const sql = postgres(driver.url, {
        ssl: driver.ssl,
        max: 1,
        connect_timeout: Math.ceil(o.timeoutMs / 1000),
        prepare: false,
        onnotice: () => {},
        connection: { application_name: 'envsync health-check' },
      });
      try {
        await withTimeout(sql`select 1`, o.timeoutMs, 'connect');
      } catch (error) {
        await sql.end({ timeout: 0 }).catch(() => {});
        const e = connectionError(o.db, error);
        // A wrong password or database name is configuration, not health: exit 2.
        if (e instanceof InputError && /password|does not exist|refused this role/.test(e.message)) throw e;
        return {
          ok: false,
          latencyMs: null,
          detail: e.message.replace(`${o.db.flag} ${o.db.display}: `, ''),
        };
      }
      state.sql = sql;
      return { ok: true, latencyMs: elapsed(t0), detail: o.db.display };
    },
  };
  const need = () => {
    if (!state.sql) throw new Error('not connected');
    return state.sql;
  };
  const queryProbe: Probe = {
    name: 'database: select 1',
    needsDatabase: true,
    run: async () => {
      const t0 = performance.now();
      const [r] = await withTimeout(
        need()`select current_setting('server_version') as v`,
        o.timeoutMs,
        'select 1',
      );
      return { ok: true, latencyMs: elapsed(t0), detail: `PostgreSQL ${r!.v}` };
    },
  };
  const tableProbes: Probe[] = o.criticalTables.map((q) => ({
    name: `table ${q}`,
    needsDatabase: true,
    run: async () => {
      const [schema, name] = q.includes('.') ? (q.split(/\.(.+)/) as [string, string]) : ['public', q];
      const t0 = performance.now();
      const [r] = await withTimeout(
        need()`select c.relrowsecurity as rls from pg_class c join pg_namespace n on n.oid = c.relnamespace
               where n.nspname = ${schema} and c.relname = ${name} and c.relkind in ('r', 'p')`,
        o.timeoutMs,
        q,
      );
      if (!r) return { ok: false, latencyMs: elapsed(t0), detail: 'missing' };
      if (EXPOSED.includes(schema) && !r.rls)
        return {
          ok: false,
          latencyMs: elapsed(t0),
          detail: 'present, but RLS is OFF in an API-exposed schema',
        };
      return { ok: true, latencyMs: elapsed(t0), detail: r.rls ? 'present, RLS on' : 'present' };
    },
  }));
  return [connectProbe, queryProbe, ...tableProbes];
}

function httpProbe(
  name: string,
  url: string,
  timeoutMs: number,
  headers: Record<string, string> = {},
): Probe {
  return {
    name,
    run: async () => {
      const t0 = performance.now();
      try {
        const res = await fetch(url, { headers, signal: AbortSignal.timeout(timeoutMs), redirect: 'follow' });
        await res.body?.cancel();
        return { ok: res.ok, latencyMs: elapsed(t0), detail: `HTTP ${res.status}` };
      } catch (error) {
        const e = error as Error & { cause?: { code?: string } };
        const detail =
          e.name === 'TimeoutError'
            ? `no answer within ${timeoutMs} ms`
            : `${e.cause?.code ?? e.name}: ${e.message}`;
        return { ok: false, latencyMs: null, detail };
      }
    },
  };
}

function supabaseProbes(o: HealthOptions): Probe[] {
  if (!o.supabase) return [];
  const { url, anonKey } = o.supabase;
  const timedFetch: typeof fetch = (input, init) =>
    fetch(input, { ...init, signal: AbortSignal.timeout(o.timeoutMs) });
  // Node 20 has no built-in WebSocket; supabase-js wants one for its (unused here) realtime client.
  const client = createClient(url, anonKey, {
    auth: { persistSession: false, autoRefreshToken: false },
    global: { fetch: timedFetch },
    // ws is the runtime realtime-js asks for; its .d.ts types the constructor differently.
    realtime: { transport: WebSocket as never },
  });
  const table = o.criticalTables.find((t) => t.startsWith('public.'))?.slice('public.'.length);
  const probes: Probe[] = [
    httpProbe('supabase: auth health', `${url.replace(/\/$/, '')}/auth/v1/health`, o.timeoutMs, {
      apikey: anonKey,
    }),
  ];
  if (table) {
    probes.unshift({
      name: `supabase: REST ${table}`,
      run: async () => {
        const t0 = performance.now();
        const { error, status } = await client.from(table).select('*', { count: 'exact', head: true });
        if (error)
          return {
            ok: false,
            latencyMs: elapsed(t0),
            detail: `HTTP ${status}: ${error.message || error.code || 'error'}`,
          };
        return { ok: true, latencyMs: elapsed(t0), detail: `HTTP ${status}` };
      },
    });
  }
  return probes;
}

export async function runHealthCheck(ctx: JobContext, o: HealthOptions): Promise<HealthResult> {
  const started = ctx.now().getTime();
  const deadline = started + o.waitMs;
  const state: { sql?: postgres.Sql } = {};
  const probes: Probe[] = [
    ...databaseProbes(o, state),
    ...o.urls.map((u, i) =>
      httpProbe(
        `http ${o.urls.length > 1 ? `#${i + 1} ` : ''}${new URL(u).host}${new URL(u).pathname}`,
        u,
        o.timeoutMs,
      ),
    ),
    ...supabaseProbes(o),
  ];
  const results: ProbeResult[] = [];
  try {
    let connected = true;
    for (const probe of probes) {
      if (probe.needsDatabase && !connected) {
        results.push({
          probe: probe.name,
          ok: false,
          latencyMs: null,
          detail: 'skipped: no database connection',
          attempts: 0,
        });
        continue;
      }
      let attempts = 0;
      let backoff = 500;
      for (;;) {
        attempts++;
        let outcome: { ok: boolean; detail: string; latencyMs: number | null };
        try {
          outcome = await probe.run();
        } catch (error) {
          if (error instanceof EnvsyncError) throw error;
          outcome = { ok: false, latencyMs: null, detail: (error as Error).message };
        }
        const now = ctx.now().getTime();
        if (outcome.ok || now + backoff > deadline) {
          results.push({ probe: probe.name, ...outcome, attempts });
          ctx.log.info(
            `  ${outcome.ok ? 'ok  ' : 'FAIL'} ${probe.name}: ${outcome.detail}${outcome.latencyMs !== null ? ` (${outcome.latencyMs} ms)` : ''}${attempts > 1 ? ` after ${attempts} attempts` : ''}`,
          );
          break;
        }
        ctx.log.info(
          `  waiting: ${probe.name}: ${outcome.detail}; retrying in ${(backoff / 1000).toFixed(1)} s`,
        );
        await new Promise((r) => setTimeout(r, backoff));
        backoff = Math.min(backoff * 2, 10_000);
      }
      if (probe.name === 'database: connect') connected = results.at(-1)!.ok;
    }
  } finally {
    await state.sql?.end({ timeout: 2 }).catch(() => {});
  }
  return {
    target: { name: o.db.name, display: o.db.display },
    probes: results,
    durationMs: ctx.now().getTime() - started,
  };
}

/** A health check must end: no probe timeout or wait above this. */
const HEALTH_LIMIT_MS = 30 * 60_000;

/** Every --url an http(s) address; the bad ones named together. */
function httpUrls(values: string[]): string[] {
  const isHttp = (u: string) => {
    try {
      return /^https?:$/.test(new URL(u).protocol);
    } catch {
      return false;
    }
  };
  const bad = values.filter((u) => !isHttp(u));
  if (bad.length)
    throw new InputError(
      `--url ${bad.join(', ')} ${bad.length === 1 ? 'is not an http(s) URL' : 'are not http(s) URLs'}`,
      'use e.g. --url https://staging.example.com/api/health',
    );
  return values;
}

export const healthCheckJob: Job<HealthOptions, HealthResult> = {
  name: 'health-check',
  description:
    'Probes a deployment: database connect and query latency, critical tables present (with RLS on in API-exposed ' +
    'schemas), each --url answering 2xx, and — when <ENV>_SUPABASE_URL and <ENV>_SUPABASE_ANON_KEY are set — the ' +
    'Supabase REST API and Auth health endpoint. Every probe has a timeout; --wait retries failing probes with backoff.',
  examples: [
    'npm run health-check -- --db staging --url https://staging.example.com/api/health --wait 60s',
    'npm run health-check -- --db dev --critical-tables public.tenant_registry,public.chat_messages',
  ],
  flags: {
    db: { type: 'string', value: '<env|url>', description: 'database: dev, staging, production or a URL' },
    url: {
      type: 'string',
      multiple: true,
      value: '<url>',
      description: 'an HTTP endpoint that must answer 2xx (repeatable)',
    },
    'critical-tables': {
      type: 'string',
      value: '<a,b>',
      description: `tables that must exist (default ${DEFAULT_CRITICAL_TABLES.join(', ')}; or <ENV>_CRITICAL_TABLES)`,
    },
    timeout: { type: 'string', value: '<duration>', description: 'per-probe timeout (default 5s)' },
    wait: {
      type: 'string',
      value: '<duration>',
      description: 'keep retrying failing probes for up to this long (default 0: once)',
    },
  },
  parse(flags, env) {
    const { db, urls, timeoutMs, waitMs } = readFlags({
      db: () => requireDatabase(flags, 'db', env),
      urls: () => httpUrls((flags.url as string[] | undefined) ?? []),
      timeoutMs: () => parseDuration('--timeout', flags.timeout, 5000, HEALTH_LIMIT_MS),
      waitMs: () => parseDuration('--wait', flags.wait, 0, HEALTH_LIMIT_MS),
    });
    const prefix = db.name === 'url' ? undefined : db.name.toUpperCase().replace(/-/g, '_');
    const tablesFlag =
      typeof flags['critical-tables'] === 'string'
        ? flags['critical-tables']
        : prefix
          ? env[`${prefix}_CRITICAL_TABLES`]
          : undefined;
    const criticalTables = parseList(tablesFlag) ?? DEFAULT_CRITICAL_TABLES;
    const supabaseUrl = prefix ? env[`${prefix}_SUPABASE_URL`] : undefined;
    const anonKey = prefix ? env[`${prefix}_SUPABASE_ANON_KEY`] : undefined;
    return {
      db,
      urls,
      criticalTables,
      timeoutMs,
      waitMs,
      ...(supabaseUrl && anonKey ? { supabase: { url: supabaseUrl, anonKey } } : {}),
    };
  },
  run: runHealthCheck,
  render: renderHealthSummary,
  verdict: (r) => {
    const failed = r.probes.filter((p) => !p.ok);
    return {
      ok: failed.length === 0,
      headline: `${r.probes.length - failed.length} of ${r.probes.length} probes healthy on ${r.target.display} (${(r.durationMs / 1000).toFixed(1)} s)`,
      problems: failed.map((p) => `${p.probe}: ${p.detail}`),
      warnings: [],
    };
  },
  outputs: (r) => ({
    healthy: r.probes.every((p) => p.ok),
    failed_probes: r.probes.filter((p) => !p.ok).length,
    db_latency_ms: r.probes.find((p) => p.probe === 'database: select 1')?.latencyMs ?? -1,
  }),
};
