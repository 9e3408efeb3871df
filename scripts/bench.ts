// npm run bench: envsync sync and validate against pg_dump | psql, pg_dump -Fc |
// pg_restore and (when installed) pgcopydb, on the same data in the same run, each into
// a target that already holds an older copy. A benchmark, not a test. See docs/bench.md.
//
//   npm run bench                       # pgbench scale 50 and the demo app at scale 100, 5 runs
//   npm run bench -- --runs 3 --datasets pgbench --pgbench-scale 10

import { spawn } from 'node:child_process';
import { existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { parseArgs } from 'node:util';
import postgres from 'postgres';
import { libpqEnvironment } from './lib/db/libpq-env.ts';
import { findClientProgram } from './lib/db/pg-binaries.ts';
import { resolveDatabase } from './lib/db/url.ts';
import { migrate, type SupabaseCluster, startSupabaseCluster } from './lib/demo/environment.ts';
import { seedDemoData } from './lib/demo/seed-data.ts';
import type { JobRecord } from './lib/results/job-record.ts';
import type { SyncResult } from './lib/results/sync.ts';

const { values: flags } = parseArgs({
  options: {
    runs: { type: 'string', default: '5' },
    datasets: { type: 'string', default: 'pgbench,demo' },
    'pgbench-scale': { type: 'string', default: '50' },
    'demo-scale': { type: 'string', default: '100' },
    out: { type: 'string', default: path.join('artifacts', 'bench') },
  },
});
const runs = Number(flags.runs);
const tsx = path.join('node_modules', '.bin', 'tsx');
const log = (line: string) => process.stdout.write(`${line}\n`);

/** Runs a command line through bash (pipes allowed), failing loudly; returns wall seconds. */
function sh(command: string, env: NodeJS.ProcessEnv): Promise<number> {
  const t0 = performance.now();
  return new Promise((resolve, reject) => {
    const child = spawn('bash', ['-o', 'pipefail', '-c', command], {
      env,
      stdio: ['ignore', 'ignore', 'pipe'],
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

const bin = path.dirname(findClientProgram('pg_dump', 15).path);
const pgEnv = (url: string) =>
  libpqEnvironment(resolveDatabase('--db', url, {}), 'envsync bench', process.env);
/** A libpq connection string without the password: that comes from the run's pgpass file. */
const conn = (url: string) => {
  const e = pgEnv(url);
  return `host=${e.PGHOST} port=${e.PGPORT} user=${e.PGUSER} dbname=${e.PGDATABASE}`;
};
/** A pgpass file for these URLs: no password on a command line (visible to every user) or in an error. */
function pgpassFile(dir: string, urls: string[]): string {
  const file = path.join(dir, 'pgpass');
  const esc = (v: string | undefined) => String(v ?? '').replace(/([:\\])/g, '\\$1');
  const lines = urls
    .map((u) => pgEnv(u))
    .map((e) => [e.PGHOST, e.PGPORT, '*', e.PGUSER, e.PGPASSWORD].map(esc).join(':'));
  writeFileSync(file, `${lines.join('\n')}\n`, { mode: 0o600 });
  return file;
}

const datasets: Record<string, Dataset> = {
  pgbench: {
    name: `pgbench -i -s ${flags['pgbench-scale']}`,
    schemas: ['public'],
    dropFirst: false,
    async load(source, target) {
      for (const c of [source, target]) {
        await sh(`${bin}/pgbench -i -q -s ${flags['pgbench-scale']}`, pgEnv(c.url));
      }
      // The target holds an older copy: the source has moved on since.
      const sql = postgres(source.url, { max: 1, onnotice: () => {} });
      await sql`update pgbench_accounts set abalance = abalance + 1 where aid % 100 = 0`;
      await sql.end();
    },
  },
  demo: {
    name: `demo app, scale ${flags['demo-scale']}`,
    schemas: ['public', 'hotels'],
    dropFirst: true,
    async load(source, target) {
      const scale = Number(flags['demo-scale']);
      const [s, t] = [source, target].map((c) => postgres(c.url, { max: 1, onnotice: () => {} }));
      await Promise.all([
        migrate(s!).then(() => seedDemoData(s!, { scale })),
        migrate(t!).then(() => seedDemoData(t!, { scale, keep: (_table, i) => i % 10 !== 0 })),
      ]);
      await Promise.all([s!.end(), t!.end()]);
    },
  },
};

interface Row {
  dataset: string;
  rows: number;
  method: string;
  seconds: number[];
  median: number;
}

async function benchDataset(key: string): Promise<Row[]> {
  const ds = datasets[key];
  if (!ds) throw new Error(`unknown dataset ${key} (choose pgbench, demo)`);
  log(`\n## ${ds.name}: starting two clusters and loading (not timed)`);
  const [source, target] = await Promise.all([
    startSupabaseCluster('bench-src'),
    startSupabaseCluster('bench-tgt'),
  ]);
  const tmp = mkdtempSync(path.join(os.tmpdir(), 'envsync-bench-'));
  try {
    await ds.load(source, target);
    // The baselines run as the superuser: their best case, no permission trouble.
    const [srcSu, tgtSu] = [source.cluster.superuserUrl(), target.cluster.superuserUrl()];
    const n = ds.schemas.map((s) => `--schema=${s}`).join(' ');
    // Secrets travel in the environment and a pgpass file, never in argv.
    const env = {
      ...process.env,
      ENVSYNC_ENV_FILE: 'none',
      PGPASSFILE: pgpassFile(tmp, [srcSu, tgtSu]),
      BENCH_SOURCE_DATABASE_URL: source.url,
      BENCH_TARGET_DATABASE_URL: target.url,
    };
    const withoutPassword = (url: string) => {
      const u = new URL(url);
      u.password = '';
      return u.toString();
    };
    // Drop the app schemas and replace the platform rows the app needs (auth users before the
    // app's FKs to them are re-created): the least a by-hand baseline must do.
    const platform = ['auth.identities', 'auth.users', 'supabase_migrations.schema_migrations'];
    const drop = `echo '${ds.schemas.map((x) => `DROP SCHEMA IF EXISTS "${x}" CASCADE;`).join(' ')} ${platform.map((t) => `DELETE FROM ${t};`).join(' ')}'`;
    const platformData = platform.map((t) => `--table=${t}`).join(' ');
    const psqlTx = `${bin}/psql -q --single-transaction -v ON_ERROR_STOP=1 -o /dev/null '${conn(tgtSu)}'`;
    const methods: [string, () => Promise<number>][] = ds.dropFirst
      ? [
          [
            '(a) DROP SCHEMA … CASCADE + pg_dump | psql --single-transaction',
            () =>
              sh(
                `(${drop}; ${bin}/pg_dump --data-only ${platformData} '${conn(srcSu)}'; ${bin}/pg_dump ${n} '${conn(srcSu)}') | ${psqlTx}`,
                env,
              ),
          ],
          [
            '(b) DROP SCHEMA … CASCADE + pg_dump -Fc + pg_restore | psql --single-transaction',
            () =>
              sh(
                `${bin}/pg_dump -Fc --data-only ${platformData} -f ${tmp}/p.dump '${conn(srcSu)}' && ${bin}/pg_dump -Fc ${n} -f ${tmp}/b.dump '${conn(srcSu)}' && (${drop}; ${bin}/pg_restore -f - ${tmp}/p.dump; ${bin}/pg_restore -f - ${tmp}/b.dump) | ${psqlTx}`,
                env,
              ),
          ],
        ]
      : [
          [
            '(a) pg_dump --clean | psql --single-transaction',
            () => sh(`${bin}/pg_dump --clean --if-exists ${n} '${conn(srcSu)}' | ${psqlTx}`, env),
          ],
          [
            '(b) pg_dump -Fc + pg_restore --single-transaction',
            () =>
              sh(
                `${bin}/pg_dump -Fc ${n} -f ${tmp}/b.dump '${conn(srcSu)}' && ${bin}/pg_restore --clean --if-exists --single-transaction -d '${conn(tgtSu)}' ${tmp}/b.dump`,
                env,
              ),
          ],
        ];
    if (process.env.PATH?.split(':').some((d) => existsSync(path.join(d, 'pgcopydb')))) {
      methods.push([
        '(c) pgcopydb clone',
        () =>
          sh(
            `pgcopydb clone --source '${withoutPassword(srcSu)}' --target '${withoutPassword(tgtSu)}' --dir ${tmp}/pgcopydb --drop-if-exists --no-owner`,
            env,
          ),
      ]);
    } else log('(c) pgcopydb is not installed: skipped');
    const phases: SyncResult['timings'][] = [];
    methods.push(
      [
        '(d) envsync sync',
        async () => {
          const s = await sh(
            `${tsx} scripts/sync.ts --source bench-source --target bench-target --out ${tmp}/sync`,
            env,
          );
          const r = (JSON.parse(readFileSync(`${tmp}/sync/sync.json`, 'utf8')) as JobRecord<SyncResult>)
            .result!;
          phases.push(r.timings);
          return s;
        },
      ],
      [
        '(e) envsync validate',
        () =>
          sh(
            `${tsx} scripts/validate.ts --source bench-source --target bench-target --out ${tmp}/validate`,
            env,
          ),
      ],
    );
    const [{ rows }] = await (async () => {
      const sql = postgres(source.url, { max: 1, onnotice: () => {} });
      const r =
        await sql`select sum(n_live_tup)::int8 as rows from pg_stat_user_tables where schemaname = any(${ds.schemas})`;
      await sql.end();
      return r as unknown as [{ rows: number }];
    })();
    const out: Row[] = methods.map(([method]) => ({
      dataset: ds.name,
      rows: Number(rows),
      method,
      seconds: [],
      median: 0,
    }));
    for (let i = 0; i < runs; i++) {
      for (const [j, [method, run]] of methods.entries()) {
        const s = await run();
        out[j]!.seconds.push(s);
        log(`  run ${i + 1}/${runs} ${method}: ${s.toFixed(2)} s`);
      }
    }
    for (const r of out) r.median = median(r.seconds);
    const p = (k: keyof SyncResult['timings']) => median(phases.map((x) => x[k])) / 1000;
    log(
      `  sync phases (median, in the job): preparation ${p('preparationMs').toFixed(2)} s, schema ${p('schemaMs').toFixed(2)} s, ` +
        `COPY ${p('copyMs').toFixed(2)} s, indexes/constraints/grants ${p('postDataMs').toFixed(2)} s, commit ${p('commitMs').toFixed(2)} s, total ${p('totalMs').toFixed(2)} s`,
    );
    return out;
  } finally {
    await Promise.all([source.cluster.destroy(), target.cluster.destroy()]);
    rmSync(tmp, { recursive: true, force: true });
  }
}

const results: Row[] = [];
for (const key of String(flags.datasets).split(',')) results.push(...(await benchDataset(key.trim())));

const lines = [
  `# envsync bench — median of ${runs} run(s), ${os.cpus().length} CPU(s), ${new Date().toISOString()}`,
  '',
];
for (const ds of [...new Set(results.map((r) => r.dataset))]) {
  const rows = results.filter((r) => r.dataset === ds);
  const get = (prefix: string) => rows.find((r) => r.method.startsWith(prefix));
  const sync = get('(d)')!;
  lines.push(
    `## ${ds} (${rows[0]!.rows.toLocaleString('en-US')} rows)`,
    '',
    '| Method | Median | Runs | vs sync |',
    '| --- | ---: | --- | ---: |',
  );
  for (const r of rows) {
    lines.push(
      `| ${r.method.replace(/\|/g, '\\|')} | ${r.median.toFixed(2)} s | ${r.seconds.map((s) => s.toFixed(1)).join(', ')} | ${(r.median / sync.median).toFixed(2)}× |`,
    );
  }
  const a = get('(a)')!;
  const b = get('(b)')!;
  const v = get('(e)')!;
  lines.push(
    '',
    `- sync / (a) pg_dump | psql: **${(sync.median / a.median).toFixed(2)}×** (target ≤ 0.9×)`,
    `- sync / (b) pg_dump -Fc + pg_restore: **${(sync.median / b.median).toFixed(2)}×**`,
    `- validate / sync: **${(v.median / sync.median).toFixed(2)}×** (target ≤ 0.4×)`,
    `- sync throughput: **${Math.round(sync.rows / sync.median).toLocaleString('en-US')} rows/s** wall, tsx start included (target ≥ 500,000)`,
    '',
  );
}
const text = lines.join('\n');
log(`\n${text}`);
mkdirSync(String(flags.out), { recursive: true });
writeFileSync(path.join(String(flags.out), 'bench.md'), text);
writeFileSync(path.join(String(flags.out), 'bench.json'), `${JSON.stringify(results, null, 2)}\n`);
