// bench: envsync sync and validate against pg_dump | psql, pg_dump -Fc | pg_restore and
// (when installed) pgcopydb, on the same data in the same run, each into a target that
// already holds an older copy. A benchmark, not a test. See docs/bench.md.

import { spawn } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import postgres from 'postgres';
import { InputError, readFlags } from '../base/errors.ts';
import type { ParsedFlags } from '../base/flags.ts';
import { repoRoot } from '../cli/env-file.ts';
import { libpqEnvironment } from '../db/libpq-env.ts';
import { findClientProgram } from '../db/pg-binaries.ts';
import { resolveDatabase } from '../db/url.ts';
import { migrate, type SupabaseCluster, startSupabaseCluster } from '../demo/environment.ts';
import { seedDemoData } from '../demo/seed-data.ts';
import {
  benchGrowthLines,
  benchPhasesLine,
  benchRatioLines,
  renderBenchSummary,
} from '../report/bench-summary.ts';
import {
  BENCH_TARGETS,
  type BenchDataset,
  type BenchDatasetKey,
  type BenchGrowth,
  type BenchMethod,
  type BenchResult,
} from '../results/bench.ts';
import type { JobRecord } from '../results/job-record.ts';
import type { SyncResult } from '../results/sync.ts';
import type { Job, JobContext } from './runner.ts';

export interface BenchOptions {
  runs: number;
  datasets: BenchDatasetKey[];
  pgbenchScale: number;
  demoScale: number;
  /** The environment the timed commands run with (PATH, and nothing of the databases'). */
  env: NodeJS.ProcessEnv;
}

const DATASETS: BenchDatasetKey[] = ['pgbench', 'demo'];

/**
 * Runs a command line through bash (pipes allowed), failing loudly; returns wall seconds.
 * `ownGroup`: in a process group of its own (pgcopydb ends a failure by signalling its whole
 * group, which would otherwise be the bench's).
 */
function sh(command: string, env: NodeJS.ProcessEnv, ownGroup = false): Promise<number> {
  const t0 = performance.now();
  return new Promise((resolve, reject) => {
    const child = spawn('bash', ['-o', 'pipefail', '-c', command], {
      env,
      stdio: ['ignore', 'ignore', 'pipe'],
      detached: ownGroup,
    });
    let err = '';
    child.stderr.on('data', (d) => {
      err = (err + d).slice(-2000);
    });
    child.on('close', (code) =>
      code === 0
        ? resolve((performance.now() - t0) / 1000)
        : reject(new Error(`${command.split(' ')[0]} … exited ${code}: ${err}`)),
    );
  });
}

const median = (xs: number[]) => {
  const s = [...xs].sort((a, b) => a - b);
  return s.length % 2 ? s[(s.length - 1) / 2]! : (s[s.length / 2 - 1]! + s[s.length / 2]!) / 2;
};

interface Dataset {
  name: string;
  schemas: string[];
  /**
   * `pg_dump --clean` cannot replace these schemas (a trigger on auth.users depends on an
   * app function): the baselines drop the schemas with CASCADE first, in the same
   * transaction — what people do by hand (and it silently loses that trigger).
   */
  dropFirst: boolean;
  load(source: SupabaseCluster, target: SupabaseCluster): Promise<void>;
}

/** The client programs and libpq settings the baselines use. */
interface Tools {
  bin: string;
  pgEnv(url: string): NodeJS.ProcessEnv;
}

function datasetOf(key: BenchDatasetKey, o: BenchOptions, tools: Tools): Dataset {
  if (key === 'pgbench') {
    return {
      name: `pgbench -i -s ${o.pgbenchScale}`,
      schemas: ['public'],
      dropFirst: false,
      async load(source, target) {
        for (const c of [source, target]) {
          await sh(`${tools.bin}/pgbench -i -q -s ${o.pgbenchScale}`, tools.pgEnv(c.url));
        }
        // The target holds an older copy: the source has moved on since.
        const sql = postgres(source.url, { max: 1, onnotice: () => {} });
        await sql`update pgbench_accounts set abalance = abalance + 1 where aid % 100 = 0`;
        await sql.end();
      },
    };
  }
  return {
    name: `demo app, scale ${o.demoScale}`,
    schemas: ['public', 'hotels'],
    dropFirst: true,
    async load(source, target) {
      const scale = o.demoScale;
      const [s, t] = [source, target].map((c) => postgres(c.url, { max: 1, onnotice: () => {} }));
      await Promise.all([
        migrate(s!).then(() => seedDemoData(s!, { scale })),
        migrate(t!).then(() => seedDemoData(t!, { scale, keep: (_table, i) => i % 10 !== 0 })),
      ]);
      await Promise.all([s!.end(), t!.end()]);
    },
  };
}

/** A pgpass file for these URLs: no password on a command line (visible to every user) or in an error. */
function pgpassFile(dir: string, urls: string[], tools: Tools): string {
  const file = path.join(dir, 'pgpass');
  const esc = (v: string | undefined) => String(v ?? '').replace(/([:\\])/g, '\\$1');
  const lines = urls
    .map((u) => tools.pgEnv(u))
    .map((e) => [e.PGHOST, e.PGPORT, '*', e.PGUSER, e.PGPASSWORD].map(esc).join(':'));
  writeFileSync(file, `${lines.join('\n')}\n`, { mode: 0o600 });
  return file;
}

function pgcopydbInstalled(env: NodeJS.ProcessEnv): boolean {
  return env.PATH?.split(':').some((d) => existsSync(path.join(d, 'pgcopydb'))) ?? false;
}

/**
 * pgcopydb, the field's fastest copier, belongs in the comparison: when it is missing the bench
 * installs the Debian package (as root, with apt-get), and otherwise says why it could not.
 */
async function ensurePgcopydb(ctx: JobContext, env: NodeJS.ProcessEnv): Promise<string | null> {
  if (pgcopydbInstalled(env)) return null;
  const apt = env.PATH?.split(':').some((d) => existsSync(path.join(d, 'apt-get'))) ?? false;
  if (!apt) return 'pgcopydb is not installed and there is no apt-get to install it';
  if (process.getuid?.() !== 0)
    return 'pgcopydb is not installed; installing it needs root (apt-get install pgcopydb)';
  ctx.log.info('(c) pgcopydb is not installed: apt-get install pgcopydb');
  try {
    await sh('apt-get install -y -q --no-install-recommends pgcopydb', {
      ...env,
      DEBIAN_FRONTEND: 'noninteractive',
    });
  } catch (error) {
    return `pgcopydb could not be installed: ${(error as Error).message.split('\n')[0]}`;
  }
  return pgcopydbInstalled(env) ? null : 'pgcopydb was installed but is not on PATH';
}

async function benchDataset(
  ctx: JobContext,
  key: BenchDatasetKey,
  o: BenchOptions,
  tools: Tools,
): Promise<BenchDataset> {
  const ds = datasetOf(key, o, tools);
  ctx.log.info('');
  ctx.log.info(`## ${ds.name}: starting two clusters and loading (not timed)`);
  const [source, target] = await Promise.all([
    startSupabaseCluster('bench-src'),
    startSupabaseCluster('bench-tgt'),
  ]);
  const tmp = mkdtempSync(path.join(os.tmpdir(), 'envsync-bench-'));
  try {
    await ds.load(source, target);
    // The baselines run as the superuser: their best case, no permission trouble.
    const urls = { source: source.cluster.superuserUrl(), target: target.cluster.superuserUrl() };
    // Secrets travel in the environment and a pgpass file, never in argv.
    const env = {
      ...o.env,
      ENVSYNC_ENV_FILE: 'none',
      PGPASSFILE: pgpassFile(tmp, [urls.source, urls.target], tools),
      BENCH_SOURCE_DATABASE_URL: source.url,
      BENCH_TARGET_DATABASE_URL: target.url,
    };
    const phases: SyncResult['timings'][] = [];
    const methods = [
      ...baselineMethods(ds, tools, urls, tmp, env),
      ...(pgcopydbInstalled(o.env) ? [pgcopydbMethod(tools, urls, tmp, env)] : []),
      ...envsyncMethods(tmp, env, phases),
    ];
    if (!pgcopydbInstalled(o.env)) ctx.log.info('(c) pgcopydb: skipped');
    const rows = await liveRows(source.url, ds.schemas);
    const timed = await timeMethods(ctx, methods, o.runs);
    const p = (k: keyof SyncResult['timings']) => median(phases.map((x) => x[k]));
    const of = (id: BenchMethod['id']) => timed.find((m) => m.id === id)!.medianSeconds;
    // Each ratio is the median of the rounds' own ratios: the two ran in the same round, so a slow
    // moment of the machine hits both (the runs are interleaved, round by round).
    const paired = (x: BenchMethod['id'], y: BenchMethod['id']) => {
      const [a, b] = [x, y].map((id) => timed.find((m) => m.id === id)!.seconds);
      return median(a!.map((s, i) => s / b![i]!));
    };
    const result: BenchDataset = {
      key,
      name: ds.name,
      rows,
      methods: timed,
      syncPhases: {
        preparationMs: p('preparationMs'),
        schemaMs: p('schemaMs'),
        copyMs: p('copyMs'),
        postDataMs: p('postDataMs'),
        commitMs: p('commitMs'),
        totalMs: p('totalMs'),
      },
      ratios: {
        syncVsDump: paired('d', 'a'),
        syncVsRestore: paired('d', 'b'),
        validateVsSync: paired('e', 'h'),
        validateBothVsSync: paired('g', 'd'),
        syncDigestVsDump: paired('h', 'a'),
        syncRowsPerSecond: rows / of('d'),
      },
    };
    ctx.log.info(`  ${benchPhasesLine(result)}`);
    for (const m of timed) ctx.log.info(`  median ${m.method}: ${m.medianSeconds.toFixed(2)} s`);
    for (const line of benchRatioLines(result)) ctx.log.info(`  ${line}`);
    if (key === 'pgbench' && o.pgbenchScale >= 10) {
      result.growth = await growthCurve(ctx, o, tools, { source, target }, methods, phases, result);
      for (const line of benchGrowthLines(result)) ctx.log.info(`  ${line}`);
    }
    return result;
  } finally {
    await Promise.all([source.cluster.destroy(), target.cluster.destroy()]);
    rmSync(tmp, { recursive: true, force: true });
  }
}

/**
 * The growth curve: pgbench reloaded on the same clusters at a tenth of the scale, and
 * pg_dump | psql, sync and validate timed again the same way — 10× the rows should cost at most
 * 10.5× the time (less, where start-up is a fixed cost).
 */
async function growthCurve(
  ctx: JobContext,
  o: BenchOptions,
  tools: Tools,
  clusters: { source: SupabaseCluster; target: SupabaseCluster },
  methods: Method[],
  phases: SyncResult['timings'][],
  big: BenchDataset,
): Promise<BenchGrowth> {
  const small = datasetOf('pgbench', { ...o, pgbenchScale: Math.round(o.pgbenchScale / 10) }, tools);
  ctx.log.info('');
  ctx.log.info(`## growth: ${small.name} on the same clusters (not timed while loading)`);
  await small.load(clusters.source, clusters.target);
  const smallRows = await liveRows(clusters.source.url, small.schemas);
  const from = phases.length;
  const timed = await timeMethods(
    ctx,
    methods.filter(([id]) => ['a', 'd', 'h', 'e', 'g'].includes(id)),
    o.runs,
  );
  const smallPhases = phases.slice(from);
  const p = (k: 'copyMs' | 'postDataMs' | 'totalMs'): [number, number] => [
    median(smallPhases.map((x) => x[k])),
    big.syncPhases[k],
  ];
  return {
    smallName: small.name,
    smallRows,
    rows: big.rows,
    methods: timed.map((m) => {
      const seconds = big.methods.find((b) => b.id === m.id)!.medianSeconds;
      return {
        id: m.id,
        method: m.method,
        smallSeconds: m.medianSeconds,
        seconds,
        ratio: seconds / m.medianSeconds,
      };
    }),
    syncPhases: { copyMs: p('copyMs'), postDataMs: p('postDataMs'), totalMs: p('totalMs') },
  };
}

/** One timed way of making the target a copy of the source: its id, its label, and a run returning seconds. */
type Method = [BenchMethod['id'], string, () => Promise<number>];

/** A libpq connection string without the password: that comes from the run's pgpass file. */
const libpqConn = (tools: Tools, url: string) => {
  const e = tools.pgEnv(url);
  return `host=${e.PGHOST} port=${e.PGPORT} user=${e.PGUSER} dbname=${e.PGDATABASE}`;
};

/** (a) pg_dump | psql and (b) pg_dump -Fc + pg_restore, as a careful person would run them by hand. */
function baselineMethods(
  ds: ReturnType<typeof datasetOf>,
  tools: Tools,
  urls: { source: string; target: string },
  tmp: string,
  env: NodeJS.ProcessEnv,
): Method[] {
  const { bin } = tools;
  const [src, tgt] = [libpqConn(tools, urls.source), libpqConn(tools, urls.target)];
  const n = ds.schemas.map((s) => `--schema=${s}`).join(' ');
  const psqlTx = `${bin}/psql -q --single-transaction -v ON_ERROR_STOP=1 -o /dev/null '${tgt}'`;
  // (f) parallel, as fast as the tools go — and not atomic: pg_restore -j cannot run in one transaction.
  const parallel = `rm -rf ${tmp}/f.dir && ${bin}/pg_dump -Fd -j2 ${n} -f ${tmp}/f.dir '${src}'`;
  if (!ds.dropFirst)
    return [
      [
        'f',
        '(f) pg_dump -Fd -j2 + pg_restore -j2 (not atomic)',
        () => sh(`${parallel} && ${bin}/pg_restore --clean --if-exists -j2 -d '${tgt}' ${tmp}/f.dir`, env),
      ],
      [
        'a',
        '(a) pg_dump --clean | psql --single-transaction',
        () => sh(`${bin}/pg_dump --clean --if-exists ${n} '${src}' | ${psqlTx}`, env),
      ],
      [
        'b',
        '(b) pg_dump -Fc + pg_restore --single-transaction',
        () =>
          sh(
            `${bin}/pg_dump -Fc ${n} -f ${tmp}/b.dump '${src}' && ${bin}/pg_restore --clean --if-exists --single-transaction -d '${tgt}' ${tmp}/b.dump`,
            env,
          ),
      ],
    ];
  // Drop the app schemas and replace the platform rows the app needs (auth users before the
  // app's FKs to them are re-created): the least a by-hand baseline must do.
  const platform = ['auth.identities', 'auth.users', 'supabase_migrations.schema_migrations'];
  const drop = `echo '${ds.schemas.map((x) => `DROP SCHEMA IF EXISTS "${x}" CASCADE;`).join(' ')} ${platform.map((t) => `DELETE FROM ${t};`).join(' ')}'`;
  const platformData = platform.map((t) => `--table=${t}`).join(' ');
  return [
    [
      'a',
      '(a) DROP SCHEMA … CASCADE + pg_dump | psql --single-transaction',
      () =>
        sh(
          `(${drop}; ${bin}/pg_dump --data-only ${platformData} '${src}'; ${bin}/pg_dump ${n} '${src}') | ${psqlTx}`,
          env,
        ),
    ],
    [
      'f',
      '(f) DROP SCHEMA … CASCADE + pg_dump -Fd -j2 + pg_restore -j2 (not atomic)',
      () =>
        sh(
          `${bin}/pg_dump -Fc --data-only ${platformData} -f ${tmp}/p.dump '${src}' && ${parallel} && (${drop}; ${bin}/pg_restore -f - ${tmp}/p.dump) | ${psqlTx} && ${bin}/pg_restore -j2 -d '${tgt}' ${tmp}/f.dir`,
          env,
        ),
    ],
    [
      'b',
      '(b) DROP SCHEMA … CASCADE + pg_dump -Fc + pg_restore | psql --single-transaction',
      () =>
        sh(
          `${bin}/pg_dump -Fc --data-only ${platformData} -f ${tmp}/p.dump '${src}' && ${bin}/pg_dump -Fc ${n} -f ${tmp}/b.dump '${src}' && (${drop}; ${bin}/pg_restore -f - ${tmp}/p.dump; ${bin}/pg_restore -f - ${tmp}/b.dump) | ${psqlTx}`,
          env,
        ),
    ],
  ];
}

/**
 * (c) pgcopydb clone, into a database of its own on the target's server made from the target
 * (`CREATE DATABASE … TEMPLATE`, not timed): the same older copy to replace, and when pgcopydb
 * fails halfway — its pg_restore --clean drops Supabase's platform objects, auth.users among
 * them, before it stops — the damage stays out of the target every other method uses.
 */
function pgcopydbMethod(
  tools: Tools,
  urls: { source: string; target: string },
  tmp: string,
  env: NodeJS.ProcessEnv,
): Method {
  const withoutPassword = (url: string, database?: string) => {
    const u = new URL(url);
    u.password = '';
    if (database) u.pathname = `/${database}`;
    return u.toString();
  };
  const scratch = 'envsync_bench_pgcopydb';
  const admin = libpqConn(tools, urls.target);
  return [
    'c',
    '(c) pgcopydb clone',
    async () => {
      rmSync(`${tmp}/pgcopydb`, { recursive: true, force: true });
      await sh(
        `${tools.bin}/psql -q -v ON_ERROR_STOP=1 '${admin}' -c 'DROP DATABASE IF EXISTS ${scratch}' -c 'CREATE DATABASE ${scratch} TEMPLATE postgres'`,
        env,
      );
      return sh(
        `pgcopydb clone --source '${withoutPassword(urls.source)}' --target '${withoutPassword(urls.target, scratch)}' --dir ${tmp}/pgcopydb --drop-if-exists --no-owner`,
        env,
        true,
      );
    },
  ];
}

/**
 * (d) envsync sync, its phases kept from sync.json; (h) sync --digest and (e) validate against that
 * digest, as the pipeline runs them; (g) validate reading both servers: as a user runs them.
 */
function envsyncMethods(tmp: string, env: NodeJS.ProcessEnv, phases: SyncResult['timings'][]): Method[] {
  // As package.json runs them: node with tsx's loader, not the tsx CLI (a second process, +0.25 s).
  const tsx = `cd '${repoRoot}' && '${process.execPath}' --import tsx`;
  const script = (job: string) => path.join(repoRoot, 'scripts', `${job}.ts`);
  const pair = '--source bench-source --target bench-target';
  return [
    [
      'd',
      '(d) envsync sync',
      async () => {
        const s = await sh(`${tsx} ${script('sync')} ${pair} --out ${tmp}/sync`, env);
        const r = (JSON.parse(readFileSync(`${tmp}/sync/sync.json`, 'utf8')) as JobRecord<SyncResult>)
          .result!;
        phases.push(r.timings);
        return s;
      },
    ],
    // The pipeline's pair: sync keeping a digest of the source, then validate against it.
    [
      'h',
      '(h) envsync sync --digest',
      () => sh(`${tsx} ${script('sync')} ${pair} --digest --out ${tmp}/sync-digest`, env),
    ],
    [
      'e',
      '(e) envsync validate --digest',
      () => sh(`${tsx} ${script('validate')} ${pair} --digest ${tmp}/sync-digest --out ${tmp}/validate`, env),
    ],
    [
      'g',
      '(g) envsync validate (both servers read)',
      () => sh(`${tsx} ${script('validate')} ${pair} --out ${tmp}/validate-both`, env),
    ],
  ];
}

async function liveRows(url: string, schemas: string[]): Promise<number> {
  const sql = postgres(url, { max: 1, onnotice: () => {} });
  try {
    const [r] =
      await sql`select sum(n_live_tup)::int8 as rows from pg_stat_user_tables where schemaname = any(${schemas})`;
    return Number(r!.rows);
  } finally {
    await sql.end();
  }
}

/** Every method `runs` times, interleaved so a slow moment of the machine hits them alike. */
async function timeMethods(ctx: JobContext, methods: Method[], runs: number): Promise<BenchMethod[]> {
  const timed: BenchMethod[] = methods.map(([id, method]) => ({ id, method, seconds: [], medianSeconds: 0 }));
  const failed = new Set<number>();
  for (let i = 0; i < runs; i++) {
    for (const [j, [id, method, run]] of methods.entries()) {
      if (failed.has(j)) continue;
      let s: number;
      try {
        s = await run();
      } catch (error) {
        // Another tool failing on this data says something about it, not about the bench: left out, said.
        if (id !== 'c') throw error;
        const lines = (error as Error).message.split('\n');
        const why = lines.find((l) => /\bERROR\b/.test(l)) ?? lines[0]!;
        ctx.log.warn(`${method} failed on this data set (${why.trim().slice(0, 240)}); left out`);
        failed.add(j);
        continue;
      }
      timed[j]!.seconds.push(s);
      ctx.log.info(`  run ${i + 1}/${runs} ${method}: ${s.toFixed(2)} s`);
    }
  }
  for (const m of timed) m.medianSeconds = median(m.seconds);
  return timed.filter((_, j) => !failed.has(j));
}

export async function runBench(ctx: JobContext, o: BenchOptions): Promise<BenchResult> {
  const startedAt = ctx.now().toISOString();
  const tools: Tools = {
    bin: path.dirname(findClientProgram('pg_dump', 15, o.env).path),
    pgEnv: (url) => libpqEnvironment(resolveDatabase('--db', url, {}), 'envsync bench', o.env),
  };
  const pgcopydbMissing = await ensurePgcopydb(ctx, o.env);
  if (pgcopydbMissing) ctx.log.warn(`(c) ${pgcopydbMissing}: skipped`);
  const datasets: BenchDataset[] = [];
  for (const key of o.datasets) datasets.push(await benchDataset(ctx, key, o, tools));
  return {
    runs: o.runs,
    cpus: os.cpus().length,
    startedAt,
    pgcopydb: pgcopydbInstalled(o.env),
    ...(pgcopydbMissing ? { pgcopydbMissing } : {}),
    datasets,
  };
}

/** A whole number from `min` to `max`, or the default when the flag is absent. */
function wholeNumber(flags: ParsedFlags, name: string, fallback: number, min: number, max: number): number {
  const value = flags[name];
  if (value === undefined) return fallback;
  const n = Number(value);
  if (typeof value !== 'string' || value.trim() === '' || !Number.isInteger(n) || n < min || n > max) {
    throw new InputError(
      `--${name} ${String(value)} is not a whole number from ${min} to ${max}`,
      `use e.g. --${name} ${fallback}`,
    );
  }
  return n;
}

function parseDatasets(value: unknown): BenchDatasetKey[] {
  if (value === undefined) return [...DATASETS];
  const keys = String(value)
    .split(',')
    .map((s) => s.trim())
    .filter(Boolean);
  const unknown = keys.filter((k) => !DATASETS.includes(k as BenchDatasetKey));
  if (keys.length === 0 || unknown.length) {
    throw new InputError(
      `--datasets ${keys.length ? `has no data set ${unknown.join(', ')}` : 'is empty'}`,
      `choose from ${DATASETS.join(', ')}, e.g. --datasets pgbench`,
    );
  }
  return [...new Set(keys)] as BenchDatasetKey[];
}

/** Targets a data set missed: worth a look, never a failure (a bench measures a machine). */
function missedTargets(d: BenchDataset): string[] {
  const r = d.ratios;
  return [
    ...(r.syncVsDump > BENCH_TARGETS.syncVsDump
      ? [
          `${d.name}: sync takes ${r.syncVsDump.toFixed(2)}× pg_dump | psql (target ≤ ${BENCH_TARGETS.syncVsDump}×)`,
        ]
      : []),
    ...(Math.min(r.validateVsSync, r.validateBothVsSync) > BENCH_TARGETS.validateVsSync
      ? [
          `${d.name}: validate takes ${r.validateBothVsSync.toFixed(2)}× sync (${r.validateVsSync.toFixed(2)}× with the digest; target ≤ ${BENCH_TARGETS.validateVsSync}×)`,
        ]
      : []),
    ...(d.growth?.methods ?? [])
      .filter((m) => m.id === 'd' && m.ratio > BENCH_TARGETS.growthPerTenfold)
      .map(
        (m) =>
          `${d.name}: sync took ${m.ratio.toFixed(1)}× the time of ${d.growth!.smallName} (target ≤ ${BENCH_TARGETS.growthPerTenfold}×)`,
      ),
    ...(r.syncRowsPerSecond < BENCH_TARGETS.syncRowsPerSecond
      ? [
          `${d.name}: sync copies ${Math.round(r.syncRowsPerSecond).toLocaleString('en-US')} rows/s (target ≥ ${BENCH_TARGETS.syncRowsPerSecond.toLocaleString('en-US')})`,
        ]
      : []),
  ];
}

export const benchJob: Job<BenchOptions, BenchResult> = {
  name: 'bench',
  description:
    'Times envsync sync and validate against pg_dump | psql, pg_dump -Fc + pg_restore and (when installed) ' +
    'pgcopydb on the same data in the same run, each into a target that already holds an older copy, on two ' +
    'throwaway local clusters per data set; prints each method’s median and sync’s ratio to pg_dump | psql. ' +
    'A benchmark, not a test: missed targets are warnings. See docs/bench.md.',
  examples: ['npm run bench', 'npm run bench -- --runs 3 --datasets pgbench --pgbench-scale 10'],
  flags: {
    runs: { type: 'string', value: '<n>', description: 'timed runs of each method (default 5)' },
    datasets: {
      type: 'string',
      value: '<a,b>',
      description: `the data sets: ${DATASETS.join(', ')} (default both)`,
    },
    'pgbench-scale': { type: 'string', value: '<n>', description: 'pgbench -i -s for pgbench (default 50)' },
    'demo-scale': { type: 'string', value: '<n>', description: 'the demo app’s scale (default 100)' },
  },
  parse: (flags, env) => ({
    ...readFlags({
      runs: () => wholeNumber(flags, 'runs', 5, 1, 100),
      datasets: () => parseDatasets(flags.datasets),
      pgbenchScale: () => wholeNumber(flags, 'pgbench-scale', 50, 1, 10_000),
      demoScale: () => wholeNumber(flags, 'demo-scale', 100, 1, 1000),
    }),
    env,
  }),
  run: runBench,
  render: renderBenchSummary,
  verdict: (r) => ({
    ok: true,
    headline: `sync / pg_dump | psql: ${r.datasets.map((d) => `${d.ratios.syncVsDump.toFixed(2)}× on ${d.name}`).join(', ')} (median of ${r.runs})`,
    problems: [],
    warnings: r.datasets.flatMap(missedTargets),
  }),
  outputs: (r) =>
    Object.fromEntries(
      r.datasets.flatMap((d) => [
        [`${d.key}_sync_vs_pg_dump`, Number(d.ratios.syncVsDump.toFixed(3))],
        [`${d.key}_validate_vs_sync`, Number(d.ratios.validateVsSync.toFixed(3))],
        [`${d.key}_sync_rows_per_second`, Math.round(d.ratios.syncRowsPerSecond)],
        ...(d.growth
          ? [
              [
                `${d.key}_sync_growth_per_tenfold`,
                Number(d.growth.methods.find((m) => m.id === 'd')!.ratio.toFixed(2)),
              ],
            ]
          : []),
      ]),
    ),
};
