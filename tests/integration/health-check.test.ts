// health-check against a real database and real local HTTP servers: healthy, failing,
// silent, recovering — every run ends in bounded time.

import { mkdtempSync, readFileSync } from 'node:fs';
import http from 'node:http';
import type net from 'node:net';
import os from 'node:os';
import path from 'node:path';
import { freePort } from '../../scripts/lib/db/cluster.ts';
import { healthCheckJob } from '../../scripts/lib/jobs/health-check.ts';
import type { HealthResult } from '../../scripts/lib/results/health-check.ts';
import type { JobRecord } from '../../scripts/lib/results/job-record.ts';
import { cleanEnv, runInProcess, runScript } from '../helpers/run-script.ts';
import { closeAll, supabaseDatabase, type TestDatabase, withUrl } from '../helpers/supabase-db.ts';

let db: TestDatabase;
let server: http.Server;
let base: string;
let flakyHits = 0;
let silentHits = 0;
const sockets = new Set<net.Socket>();

beforeAll(async () => {
  db = await supabaseDatabase({ scale: 1 });
  server = http.createServer((req, res) => {
    const url = req.url ?? '/';
    if (url === '/healthy') return res.end('ok');
    if (url === '/broken') return res.writeHead(500).end('boom');
    if (url === '/silent') {
      silentHits++;
      return; // never answers
    }
    if (url === '/flaky') return ++flakyHits <= 2 ? res.writeHead(503).end() : res.end('ok');
    // Stand-ins for the two Supabase endpoints the probe calls.
    if (url === '/auth/v1/health')
      return res.writeHead(200, { 'content-type': 'application/json' }).end('{"version":"v2"}');
    if (url.startsWith('/rest/v1/tenant_registry')) {
      return res
        .writeHead(req.headers.apikey === 'anon-key-123456' ? 200 : 401, { 'content-range': '0-9/10' })
        .end();
    }
    res.writeHead(404).end();
  });
  server.on('connection', (s) => {
    sockets.add(s);
    s.on('close', () => sockets.delete(s));
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', () => r()));
  base = `http://127.0.0.1:${(server.address() as net.AddressInfo).port}`;
});
afterAll(async () => {
  for (const s of sockets) s.destroy();
  await new Promise((r) => server.close(r));
  await closeAll();
});

const out = () => mkdtempSync(path.join(os.tmpdir(), 'envsync-health-'));
const result = (d: string) =>
  JSON.parse(readFileSync(path.join(d, 'health-check.json'), 'utf8')) as JobRecord<HealthResult>;
const probe = (r: HealthResult, name: string) => r.probes.find((p) => p.probe.startsWith(name))!;

test('healthy: database, critical tables with RLS, an HTTP endpoint and Supabase REST/Auth all pass with latencies', async () => {
  const d = out();
  const run = await runInProcess(
    healthCheckJob,
    [
      '--db',
      'staging',
      '--url',
      `${base}/healthy`,
      '--critical-tables',
      'public.tenant_registry,auth.users',
      '--out',
      d,
    ],
    cleanEnv({
      STAGING_DATABASE_URL: db.url,
      STAGING_SUPABASE_URL: base,
      STAGING_SUPABASE_ANON_KEY: 'anon-key-123456',
    }),
  );
  expect(run.stderr).toBe('');
  expect(run.code).toBe(0);
  const r = result(d).result!;
  expect(r.probes.map((p) => [p.probe, p.ok])).toEqual([
    ['database: connect', true],
    ['database: select 1', true],
    ['table public.tenant_registry', true],
    ['table auth.users', true],
    [`http 127.0.0.1:${new URL(base).port}/healthy`, true],
    ['supabase: REST tenant_registry', true],
    ['supabase: auth health', true],
  ]);
  for (const p of r.probes) expect(p.latencyMs).toBeGreaterThanOrEqual(0);
  expect(probe(r, 'table public.tenant_registry').detail).toBe('present, RLS on');
  expect(probe(r, 'database: select 1').detail).toMatch(/^PostgreSQL 1\d/);
  const md = readFileSync(path.join(d, 'summary.md'), 'utf8');
  expect(md).toContain('| Probe | Result | Latency | Detail |');
  expect(md).toContain('All 7 probes healthy');
  expect(run.stdout + md).not.toContain('anon-key-123456');
});

test('an endpoint answering 500, a missing table and a public table without RLS fail the check (exit 1)', async () => {
  const d = out();
  const run = await runInProcess(healthCheckJob, [
    '--db',
    db.url,
    '--url',
    `${base}/broken`,
    '--critical-tables',
    'public.nope,public.sire_countries',
    '--out',
    d,
  ]);
  expect(run.code).toBe(1);
  const r = result(d).result!;
  expect(probe(r, 'http')).toMatchObject({ ok: false, detail: 'HTTP 500' });
  expect(probe(r, 'table public.nope')).toMatchObject({ ok: false, detail: 'missing' });
  expect(probe(r, 'table public.sire_countries')).toMatchObject({
    ok: false,
    detail: 'present, but RLS is OFF in an API-exposed schema',
  });
  expect(run.stderr).toContain('  - http 127.0.0.1');
  expect(readFileSync(path.join(d, 'summary.md'), 'utf8')).toContain('**3 of 5 probes failed**');
});

test('an endpoint that never answers is cut off at --timeout, once, and the run ends', async () => {
  silentHits = 0;
  const d = out();
  // Without the cut-off the run would never end: runScript kills it at 30 s and the exit code is null.
  const run = await runScript(
    'health-check',
    ['--db', db.url, '--url', `${base}/silent`, '--timeout', '1s', '--out', d],
    cleanEnv(),
    30_000,
  );
  expect(run.code).toBe(1);
  const rec = result(d);
  // Abandoned by the --timeout timer (its value named), not by an error, and not retried.
  expect(probe(rec.result!, 'http')).toMatchObject({
    ok: false,
    detail: 'no answer within 1000 ms',
    attempts: 1,
  });
  expect(silentHits).toBe(1);
});

test('--wait retries with backoff until a recovering endpoint answers', async () => {
  flakyHits = 0;
  const d = out();
  const run = await runInProcess(healthCheckJob, [
    '--db',
    db.url,
    '--url',
    `${base}/flaky`,
    '--wait',
    '20s',
    '--out',
    d,
  ]);
  expect(run.code).toBe(0);
  expect(probe(result(d).result!, 'http')).toMatchObject({ ok: true, attempts: 3 });
  expect(run.stdout).toMatch(/waiting: http .*HTTP 503; retrying in 0\.5 s/);
});

test('--wait is a bound, never forever: a broken endpoint fails after about that long', async () => {
  const d = out();
  const run = await runInProcess(healthCheckJob, [
    '--db',
    db.url,
    '--url',
    `${base}/broken`,
    '--wait',
    '2s',
    '--out',
    d,
  ]);
  expect(run.code).toBe(1);
  const rec = result(d);
  // Backoff 0.5 s, then 1 s, then 2 s: within a 2 s --wait there is room for 3 attempts at most
  // (2 when the machine is slow); more means the bound was not kept.
  const { attempts } = probe(rec.result!, 'http');
  expect([2, 3]).toContain(attempts);
  expect(run.stdout).toMatch(/waiting: http .*HTTP 500; retrying in 0\.5 s/);
  expect(run.stdout).not.toMatch(/retrying in 2\.0 s/);
  expect(run.stdout).toMatch(new RegExp(`FAIL http .*HTTP 500 .*after ${attempts} attempts`));
  expect(rec.durationMs).toBeGreaterThan(1000);
});

test('an unreachable database fails its probes (exit 1); the dependent ones are skipped', async () => {
  const d = out();
  const port = await freePort();
  const run = await runInProcess(healthCheckJob, [
    '--db',
    `postgres://postgres:x@127.0.0.1:${port}/postgres`,
    '--out',
    d,
  ]);
  expect(run.code).toBe(1);
  const r = result(d).result!;
  expect(probe(r, 'database: connect')).toMatchObject({ ok: false, detail: 'connection refused' });
  expect(probe(r, 'database: select 1')).toMatchObject({
    ok: false,
    detail: 'skipped: no database connection',
  });
});

test('a wrong password is configuration, not health: exit 2', async () => {
  const run = await runInProcess(healthCheckJob, ['--db', withUrl(db.url, { password: 'Wrong-Health-Pw' })]);
  expect(run.code).toBe(2);
  expect(run.stderr).toMatch(/^error: --db .*: password authentication failed$/m);
  expect(run.stderr).not.toContain('Wrong-Health-Pw');
});

test('bad durations and URLs are bad input', async () => {
  const wait = await runInProcess(healthCheckJob, ['--db', db.url, '--wait', 'forever']);
  expect(wait.code).toBe(2);
  expect(wait.stderr).toMatch(/^error: --wait forever is not a duration$/m);
  const url = await runInProcess(healthCheckJob, ['--db', db.url, '--url', 'ftp://x']);
  expect(url.code).toBe(2);
});
